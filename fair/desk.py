"""The organizers' desk (``/organizer``): one page that lists every organizer tool the
features bring, each with how many things wait on it (booths to review, disputes, reports).

The header has room for a handful of links in every language; the organizer's tools grew past
that (nine links wrapped to a second row at 1280 px), so they live here and the header links
the desk. Each feature declares its items in its ``feature.py``; the composition root hands
them to the core, which names no feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.web import db, page, user_of

# How many things wait on a tool, for the person looking (None: the tool has no queue).
Waiting = Callable[[AsyncSession, User], Awaitable[int]]

DESK_ROLES = (Role.ORGANIZER, Role.STAFF)


@dataclass(frozen=True)
class DeskItem:
    path: str
    title: str  # a msgid (``lazy``), translated on the page
    about: str  # a msgid: what the tool is for, one sentence
    roles: tuple[Role, ...] = (Role.ORGANIZER,)
    waiting: Waiting | None = None


@dataclass(frozen=True)
class DeskRow:
    item: DeskItem
    waiting: int | None


async def rows_for(session: AsyncSession, user: User, items: Sequence[DeskItem]) -> list[DeskRow]:
    """The tools this person may use, in the order given, with what waits on each."""
    rows = []
    for item in items:
        if not user.has_role(*item.roles):
            continue
        count = await item.waiting(session, user) if item.waiting is not None else None
        rows.append(DeskRow(item, count))
    return rows


def routes(items: Sequence[DeskItem]) -> list[Route]:
    async def desk_page(request: Request) -> Response:
        user = require_role(user_of(request), *DESK_ROLES)
        rows = await rows_for(db(request), user, items)
        return page(request, "desk.html", {"rows": rows})

    return [Route("/organizer", desk_page, methods=["GET"])]
