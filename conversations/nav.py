"""The menu's unread marker: before a page is rendered for someone who may have threads, the
number of messages waiting for them is put on the request (``request.state.unread_messages``)
for the base template. Pure ASGI, after ``Identity`` (the user) and ``UnitOfWork`` (the
session); API calls, files and anonymous visitors cost nothing."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from conversations import service
from fair.accounts.models import Role

TALKERS = (Role.BUYER, Role.EXHIBITOR, Role.INTERPRETER)


class UnreadMarker:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            state: dict[str, Any] = scope.setdefault("state", {})
            user = state.get("user")
            if (
                user is not None
                and user.has_role(*TALKERS)
                and not path.startswith(("/api/", "/static/", "/media/", "/ws/"))
                and "db" in state
            ):
                # The database away: the page (or its error page) goes without the marker.
                with contextlib.suppress(DBAPIError, OSError):
                    state["unread_messages"] = await service.unread_total(state["db"], user)
        await self.app(scope, receive, send)
