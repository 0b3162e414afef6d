"""A webhook receiver for tests: a real HTTP server (the stdlib's, in a thread) on
127.0.0.1 that keeps every request and answers with the statuses it is told."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from helpers import free_port
from sqlalchemy import select

from fair import outbox
from fair.resources import job_context, of_app
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint
from kakehashi import jobs


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    # The statuses of the next answers, in order; 204 once they run out.
    answers: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/kakehashi"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = receiver.answers.pop(0) if receiver.answers else 204
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler


@contextlib.contextmanager
def receiving(port: int | None = None) -> Iterator[Receiver]:
    """A receiver listening on ``port`` (a free one by default) until the block ends."""
    receiver = Receiver(port or free_port())
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def run_due(app: Any, ctx: dict[str, Any] | None = None) -> int:
    """Run every job that is due now (the clock stands still), as often as new ones come."""
    ctx = ctx or job_context(of_app(app))
    ran = 0
    while done := await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, ctx):
        ran += done
    return ran


async def _rows(session: Any, statement: Any) -> list[Any]:
    """Fresh rows, detached, then the transaction ends (on SQLite it would otherwise keep
    the write lock the app's next write waits for)."""
    rows = list((await session.scalars(statement.execution_options(populate_existing=True))).all())
    session.expunge_all()
    await session.rollback()
    return rows


async def deliveries(session: Any) -> list[WebhookDelivery]:
    """Every delivery, oldest first."""
    return await _rows(
        session, select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    )


async def endpoint_row(session: Any, endpoint_id: str) -> WebhookEndpoint:
    rows = await _rows(session, select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    assert rows, endpoint_id
    return rows[0]
