"""Request bodies are read before any database work, bounded in size and in time.

A request's unit of work (``fair.middleware.UnitOfWork``) holds a database connection, and
on SQLite a signed-in request's first query takes the write lock (BEGIN IMMEDIATE): a body
read inside it lets a client that sends slowly hold the database for everyone (``/``,
``/healthz`` and the directory waited for the lock, then answered 503; on PostgreSQL each
such client held a pooled connection). ``ReadBodyFirst`` sits outside the unit of work and
reads the whole body into memory first, at most ``MAX_BUFFERED_BYTES`` (413 beyond) within
``FAIR_BODY_TIMEOUT_SECONDS`` from the first byte asked for (408 after), then hands it to
the app. A slow client so holds a socket and a task, never the database.

Uploads (``multipart/form-data``) are too large to hold in memory: their body streams to
the endpoint, each piece within ``FAIR_BODY_TIMEOUT_SECONDS`` of the one before (408
after), and the upload endpoint ends its transaction before it reads the file
(``booths.routes.api_upload``).
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fair import i18n, resources
from fair.error_pages import on_domain_error
from fair.i18n import lazy
from fair.web import LANG_COOKIE, MAX_FORM_BYTES, MAX_JSON_BYTES, BodyRefused, PayloadTooLarge

# The largest body any endpoint reads whole (JSON and forms); uploads stream.
MAX_BUFFERED_BYTES = max(MAX_JSON_BYTES, MAX_FORM_BYTES)
STREAMED_TYPES = {"multipart/form-data"}


class RequestTimeout(BodyRefused):
    """408: the body did not arrive in time."""

    status = 408
    code = "request_timeout"
    message = lazy("The request took too long to arrive. Please try again.")


class _ClientGone(Exception):
    """The client closed the connection before its body was complete: nobody to answer."""


def _streams(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type in STREAMED_TYPES


async def read_body(receive: Receive, headers: Headers, *, limit: int, seconds: float) -> bytes:
    """The whole body: ``PayloadTooLarge`` when it declares or sends more than ``limit``
    bytes (before waiting for them), ``RequestTimeout`` when it is not complete ``seconds``
    after the first read."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientGone()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge()  # a chunked body, which declares no length
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise RequestTimeout() from None


def replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read already, in one message; then the server's
    own (which waits for the client to leave)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def idle_bounded(receive: Receive, timeout: float) -> Receive:
    """``receive`` for a streamed body: ``RequestTimeout`` when a piece of the body takes
    more than ``timeout`` seconds to come; once the body is complete, the server's own
    (waiting for a disconnect is no body read)."""
    complete = False

    async def bounded() -> Message:
        nonlocal complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout(timeout):
                message = await receive()
        except TimeoutError:
            raise RequestTimeout() from None
        complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return bounded


class ReadBodyFirst:
    """Reads and bounds each HTTP request's body before the app (and its unit of work)
    sees the request; streams uploads with a timeout per piece."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timeout = resources.of_app(scope["app"]).settings.body_timeout_seconds
        headers = Headers(scope=scope)
        if _streams(headers):
            await self.app(scope, idle_bounded(receive, timeout), send)
            return
        try:
            body = await read_body(receive, headers, limit=MAX_BUFFERED_BYTES, seconds=timeout)
        except _ClientGone:
            return
        except BodyRefused as refused:
            await _refuse(scope, receive, send, refused)
            return
        await self.app(scope, replaying(body, receive), send)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: BodyRefused) -> None:
    """The error page or JSON (``BodyRefused``: the connection then closes), in the
    language the request asks for (who is asking is not looked up: that is database work)."""
    request = Request(scope, receive)
    i18n.set_language(
        i18n.choose_language(
            user_locale=None,
            query=request.query_params.get("lang"),
            cookie=request.cookies.get(LANG_COOKIE),
            accept_language=request.headers.get("accept-language"),
        )
    )
    response = await on_domain_error(request, error)
    await response(scope, receive, send)
