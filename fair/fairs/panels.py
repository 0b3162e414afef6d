"""A panel that a feature above the core adds to a fair's pages (its page and its directory):
the composition root hands it in, so the core shows e.g. the buyer's recommended booths
without knowing matchmaking. It returns safe HTML, or "" for nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from fair.fairs.models import Fair

FairPanel = Callable[[Request, Fair], Awaitable[str]]


async def no_panel(request: Request, fair: Fair) -> str:
    return ""
