"""Request helpers shared by every package's routes: reading input, CSRF, cookies, pages."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fair import i18n, resources
from fair.accounts.models import User
from fair.api import Error, ErrorDetail, dump_json, token_scopes
from fair.config import Settings
from fair.errors import BadRequest, DomainError, Forbidden
from fair.i18n import lazy
from fair.schemas import check_timezone
from fair.templating import render

SESSION_COOKIE = "kk_session"
CSRF_COOKIE = "kk_csrf"
LANG_COOKIE = "kk_lang"
MAX_JSON_BYTES = 1_000_000
MAX_FORM_BYTES = 200_000


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    message = lazy("Send the request body as JSON (Content-Type: application/json).")


class BodyRefused(DomainError):
    """A request body refused before it was read whole: the rest of it is never read, so
    the connection closes after the answer."""

    def headers(self) -> dict[str, str]:
        return {"Connection": "close"}


class PayloadTooLarge(BodyRefused):
    status = 413
    code = "payload_too_large"
    message = lazy("The request body is too large.")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = lazy("The form has expired or was sent from another site. Please try again.")


def settings_of(request: Request) -> Settings:
    return resources.of_request(request).settings


def db(request: Request) -> AsyncSession:
    return request.state.db


async def writing(request: Request) -> AsyncSession:
    """The request's session, from here on in transactions that may write: a GET that
    records something (a visit) ends the transaction it read in, and its next one takes
    SQLite's write lock at BEGIN (a reader's transaction cannot safely become a writer's).
    What it loaded stays loaded; for other requests, their session as it is."""
    session = db(request)
    engine = resources.of_request(request).engine.sync_engine
    if session.sync_session.bind is not engine:
        if session.in_transaction():
            await session.commit()
        session.sync_session.bind = engine
    return session


def user_of(request: Request) -> User | None:
    return getattr(request.state, "user", None)


def zone_param(request: Request, default: str) -> str:
    """``?tz=``, else ``default``; a name that is no zone (``America/Argentina`` is a folder
    of the zone database) is refused with 400 naming the parameter."""
    raw = request.query_params.get("tz") or default
    try:
        return check_timezone(raw)
    except ValueError:
        raise BadRequest(lazy("Unknown time zone."), field="tz") from None


def viewer_zone(request: Request, default: str = "Asia/Tokyo") -> str:
    """The zone a page shows times in: ``?tz=`` (400 when it names no zone), else the
    viewer's own, else ``default``."""
    viewer = user_of(request)
    own = viewer.timezone if viewer else None
    try:
        fallback = check_timezone(own) if own else default
    except ValueError:
        fallback = default  # an account's stored zone is not this request's input
    return zone_param(request, fallback)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    """The JSON body; 415 for another content type, 413 when too large, 400 when malformed."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType()
    raw = await _body(request, MAX_JSON_BYTES)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(lazy("The request body is not valid JSON.")) from None
    if _has_nul(data):
        # PostgreSQL text cannot hold NUL: refused here, not by the database (a 503).
        raise BadRequest(lazy("The request could not be processed."))
    return data


def _has_nul(data: Any) -> bool:
    pending = [data]  # a loop, not recursion: the nesting depth is the sender's choice
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
    return False


async def read_form(request: Request) -> FormData:
    """A urlencoded HTML form whose CSRF token matches the browser's cookie."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(lazy("Send the form as application/x-www-form-urlencoded."))
    raw = await _body(request, MAX_FORM_BYTES)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(lazy("The form could not be read.")) from None
    form = FormData(pairs)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token", "")
    if not cookie or not isinstance(sent, str) or not secrets.compare_digest(cookie, sent):
        raise CsrfFailed()
    if any("\x00" in name or "\x00" in value for name, value in pairs):
        raise BadRequest(lazy("The form could not be read."))  # no NUL into PostgreSQL text
    return form


def check_upload_csrf(request: Request, fields: Mapping[str, str] | None = None) -> None:
    """A multipart POST can come from any site's form, unlike a JSON one: a cookie's request
    must echo the CSRF cookie in the X-CSRF-Token header (a page's script, the API) or, once
    the body is read, in a ``csrf_token`` field (a page's plain form). An API token is no
    cookie: no other site sends it."""
    if token_scopes(request) is not None:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and fields is not None:
        sent = fields.get("csrf_token", "")
    if not cookie or not secrets.compare_digest(cookie, sent):
        raise CsrfFailed()


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, minted on first use and set as a cookie by ``page``."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def cookie_flags(settings: Settings) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": settings.https, "path": "/"}


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=settings.session_days * 86400, **cookie_flags(settings)
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, **cookie_flags(settings))


def rotate_csrf_cookie(response: Response, settings: Settings) -> None:
    """A new CSRF token whenever who is signed in changes (sign-in, registration,
    sign-out): a token learnt or planted before is worth nothing after."""
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), **cookie_flags(settings))


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a full page in the request's language, with the user and a CSRF token."""
    token = csrf_token(request)
    body = render(
        template,
        request=request,
        user=user_of(request),
        csrf_token=token,
        language=i18n.current_language(),
        path=request.url.path,
        **(context or {}),
    )
    response = HTMLResponse(body, status_code=status)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES and chosen != request.cookies.get(LANG_COOKIE):
        # A language picked by link is remembered, so the next form or link keeps it.
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=365 * 86400, **cookie_flags(settings_of(request))
        )
    if getattr(request.state, "new_csrf", None):
        response.set_cookie(CSRF_COOKIE, token, **cookie_flags(settings_of(request)))
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_response(
    body: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``body`` (a response shape of the API: a pydantic model or dataclass) as JSON."""
    return Response(
        dump_json(body), status_code=status_code, headers=headers, media_type="application/json"
    )


def error_json(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    detail = ErrorDetail(code=code, message=message, fields=dict(fields) if fields else MISSING)
    return json_response(Error(error=detail), status)
