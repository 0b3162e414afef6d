"""The app as bench/booking.py serves it: kakehashi's own, counting the SQL statements each
``POST /api/meetings`` sends, on the server's side (a ``before_cursor_execute`` event on
every engine; the identity look-up of the middleware and the commit's flush included).

``GET /__bench/statements`` answers, and forgets, what was counted since the last time:
for each response status, how many bookings sent how many statements, and the first
booking's statements (their first lines). asyncpg's BEGIN and COMMIT are not cursor
statements, so they are not counted; SQLite's BEGIN IMMEDIATE is.

    uvicorn --factory bench.statement_count:create_app
"""

from __future__ import annotations

import json
from collections import Counter
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kakehashi.app import create_app as create_kakehashi

COUNTED = ("POST", "/api/meetings")
REPORT_PATH = "/__bench/statements"
FIRST_LINE_CHARS = 160

# The statements of the booking this task is serving (SQLAlchemy's greenlets run in the
# request task's context), None outside a booking.
_sent: ContextVar[list[str] | None] = ContextVar("bench_statements", default=None)


def _note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    sent = _sent.get()
    if sent is not None:
        sent.append(statement)


class CountBookings:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.counts: dict[int, Counter[int]] = {}
        self.examples: dict[int, list[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (scope["method"], scope["path"]) == ("GET", REPORT_PATH):
            await self.report(send)
            return
        if (scope["method"], scope["path"]) != COUNTED:
            await self.app(scope, receive, send)
            return
        sent: list[str] = []
        status = 0

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = _sent.set(sent)
        try:
            await self.app(scope, receive, noting)
        finally:
            _sent.reset(token)
        self.counts.setdefault(status, Counter())[len(sent)] += 1
        self.examples.setdefault(
            status, [s.strip().splitlines()[0][:FIRST_LINE_CHARS] for s in sent]
        )

    async def report(self, send: Send) -> None:
        body = json.dumps(
            {
                "counts": {
                    str(status): {str(n): k for n, k in sorted(c.items())}
                    for status, c in self.counts.items()
                },
                "examples": {str(status): sent for status, sent in self.examples.items()},
            }
        ).encode()
        self.counts, self.examples = {}, {}
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app() -> ASGIApp:
    if not event.contains(Engine, "before_cursor_execute", _note):
        event.listen(Engine, "before_cursor_execute", _note)
    return CountBookings(create_kakehashi())
