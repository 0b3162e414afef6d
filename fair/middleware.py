"""ASGI middleware: each request's id, metrics and access line; one unit of work per
request, who is asking and in which language, same-origin checks and security headers."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fair import i18n, logs, metrics, resources
from fair.accounts.api_tokens import note_used, user_for_api_token
from fair.accounts.service import note_seen, user_for_token
from fair.api import InvalidToken
from fair.error_pages import on_database_down
from fair.errors import Conflict, DomainError, ServiceUnavailable
from fair.web import LANG_COOKIE, SESSION_COOKIE, error_json

logger = logging.getLogger(__name__)
access_log = logging.getLogger("fair.access")

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _is_static(scope: Scope) -> bool:
    return scope["path"].startswith("/static/")


class _DynamicRequests(ABC):
    """Middleware for HTTP requests other than static files; the rest pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_static(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The middleware's work for one such request."""


REQUEST_ID_HEADER = b"x-request-id"


class Observe:
    """The outermost of the app's middleware: gives each HTTP request its id (the incoming
    ``X-Request-ID`` when sane, else a new one), there for every log line written while it is
    served and sent back in ``X-Request-ID``; then counts it in the metrics by route template
    and writes its access line.

    The access line names the route's template, never the path or the query, which may hold
    a mailed link's token or an e-mail address; no header (cookies, Authorization) either."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates = metrics.RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = logs.sane_request_id(incoming)
        header = (REQUEST_ID_HEADER, request_id.encode())
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # unless a response starts: an error no handler answered

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = self.templates.of(scope)
            method = scope["method"]
            metrics.record_request(route, method, status, elapsed)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %.1fms",
                method,
                route,
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "client": client[0] if client else None,
                },
            )
            logs.request_id.reset(token)


class UnitOfWork(_DynamicRequests):
    """A session per HTTP request, committed just before the response starts when it is a
    success (or the error asked to keep its changes), rolled back otherwise. A commit that
    fails replaces the response with 409 (constraint) or 503 (database away).

    A GET, HEAD or OPTIONS request's session only reads (``fair.db.reading``: on SQLite no
    write lock, so no writer holds it up); one that must write says so first
    (``fair.web.writing``)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        res = resources.of_app(scope["app"])
        state: dict[str, Any] = scope.setdefault("state", {})
        bind = res.reader if scope["method"] in SAFE_METHODS else res.engine
        async with res.sessionmaker(bind=bind) as session:
            state["db"] = session
            started = False
            replaced = False

            async def send_after_commit(message: Message) -> None:
                nonlocal started, replaced
                if replaced:
                    return
                if message["type"] == "http.response.start" and not started:
                    started = True
                    if message["status"] < 400 or state.get("persist_changes"):
                        failure = await _commit(session)
                        if failure is not None:
                            replaced = True
                            await failure(scope, receive, send)
                            return
                    else:
                        await session.rollback()
                await send(message)

            try:
                await self.app(scope, receive, send_after_commit)
            except BaseException:
                await session.rollback()
                raise


def _as_json(error: DomainError) -> Any:
    # A failed commit replaces the response, before it starts, with the error in JSON, in
    # its one wording (fair/errors.py).
    return error_json(error.status, error.code, error.translated())


async def _commit(session: Any) -> Any:
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return _as_json(Conflict())
    except (DBAPIError, SQLAlchemyError, OSError):
        await session.rollback()
        return _as_json(ServiceUnavailable())
    return None


# Work noted after a reading request's response, in a short transaction of its own.
Note = Callable[[AsyncSession], Awaitable[None]]


def bearer_token(request: Request) -> str | None:
    """The credentials of an ``Authorization: Bearer`` header ("" when there are none), on
    ``/api`` only; None without one. Other schemes (a proxy's Basic) are not ours."""
    path = request.url.path
    if path != "/api" and not path.startswith("/api/"):
        return None  # pages go by the cookie: a token there is ignored
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


class Identity(_DynamicRequests):
    """Loads who is asking and chooses the request's language before any endpoint: on
    ``/api`` an API token (``Authorization: Bearer``) when one is sent, and then only it
    (one that does not work is 401, never the cookie instead); otherwise the session
    cookie."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        state = scope["state"]
        user = None
        stale: Note | None = None  # a reading request's "last seen" or "last used" is old
        away: Exception | None = None
        refused = False
        reading = scope["method"] in SAFE_METHODS
        token = request.cookies.get(SESSION_COOKIE)
        secret = bearer_token(request)
        try:
            if secret is not None:
                by_token = await user_for_api_token(state["db"], secret, reading=reading)
                if by_token is None:
                    refused = True
                else:
                    user, row, used = by_token
                    state["token_scopes"] = frozenset(row.scopes)
                    stale = partial(note_used, token_id=used) if used else None
            elif token:
                found = await user_for_token(state["db"], token, reading=reading)
                if found is not None:
                    user, seen = found
                    stale = partial(note_seen, session_id=seen) if seen else None
        except (DBAPIError, OSError) as exc:
            user, stale = None, None  # the database is away; /healthz and error pages answer
            away = exc
        state["user"] = user
        i18n.set_language(
            i18n.choose_language(
                user_locale=user.locale if user else None,
                query=request.query_params.get("lang"),
                cookie=request.cookies.get(LANG_COOKIE),
                accept_language=request.headers.get("accept-language"),
            )
        )
        if away is not None and request.url.path != "/healthz":
            # Who is asking is unknown, not "nobody": 503 (try again), never 401 (sign in),
            # which would sign a page out or end a call that should reconnect.
            response = await on_database_down(request, away)
            await response(scope, receive, send)
            return
        if refused:
            error = InvalidToken()
            response = error_json(error.status, error.code, error.translated())
            response.headers.update(error.headers())
            await response(scope, receive, send)
            return
        if stale is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, noting_status)
        if status < 400:  # as a writing request's note is kept only with its success
            await _note(scope, stale)


async def _note(scope: Scope, note: Note) -> None:
    """A reading request may not write, and must not wait for SQLite's write lock before it
    answers: its session's "last seen" (or its token's "last used") is noted after the
    response, in a short transaction of its own, at most once in ``SEEN_EVERY`` (or
    ``USED_EVERY``). Losing it (the database busy or away) costs only a stale time."""
    try:
        async with resources.of_app(scope["app"]).sessionmaker() as session:
            await note(session)
            await session.commit()
    except (SQLAlchemyError, OSError):
        logger.warning("could not note that a session or token was used", exc_info=True)


class SameOrigin:
    """Refuses unsafe requests whose Origin names another site (CSRF defence in depth)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            # A NUL byte reaches no query: PostgreSQL refuses it in text (a 503 otherwise).
            response = error_json(
                400, "bad_request", i18n.gettext("The request could not be processed.")
            )
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin and (origin == "null" or urlsplit(origin).netloc != headers.get("host")):
                response = error_json(
                    403, "cross_origin", i18n.gettext("Requests from other sites are not accepted.")
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
                ]
                if self.https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)
