"""HTTP caching and compression: validators on dynamic pages and APIs (ETag, answered 304
when the browser already has the body) and gzip for text bodies where it cannot leak a
secret. (Static files: ``fair.static``.)

Why an ETag of the body rather than of the data: a page depends on many rows, the reader's
language and who is signed in; hashing what was rendered is always right and costs a few
microseconds, while the browser's or a proxy's copy saves the transfer and the parsing."""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fair.static import STATIC_PREFIX
from fair.web import CSRF_COOKIE, SESSION_COOKIE

# Every dynamic answer may be kept by the browser but is checked each time (a 304 when
# unchanged): a booth's page changes the moment its exhibitor saves it.
REVALIDATE = "no-cache"
# Who is signed in or which language is chosen changes the body.
VARY = ("Cookie", "Accept-Language")
# Bodies under this size are sent as they are: gzip's header and CPU would not pay.
GZIP_MINIMUM_BYTES = 1024
# zlib's default: most of level 9's saving for a fraction of its CPU on 20-100 kB pages.
GZIP_LEVEL = 6
COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
)


def weak_etag(body: bytes) -> str:
    """A weak validator of a body: the same bytes, the same tag. Weak because gzip may send
    the same content in other bytes (RFC 9110 8.8.1)."""
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


def _has_our_cookies(headers: Headers) -> bool:
    """Whether the browser sent its session or its CSRF token: what a page may then hold is
    for this browser only."""
    cookies = cookie_parser(headers.get("cookie", ""))
    return SESSION_COOKIE in cookies or CSRF_COOKIE in cookies


class ConditionalGet:
    """For a dynamic ``GET`` answered 200 in one body: a weak ``ETag`` of the body, a
    ``Cache-Control`` when the endpoint set none (``no-cache``, and ``private`` when the
    request carried our cookies or credentials or the answer sets a cookie, so no shared
    cache keeps it), ``Vary``; and 304 with no body when the browser sent that tag in
    ``If-None-Match``, unless the answer sets a cookie. Streamed bodies (exports), files
    (which bring their own validators) and ``no-store`` answers pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"].startswith(STATIC_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        start: Message | None = None
        passing = False

        async def send_with_etag(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                if (
                    message["status"] != 200
                    or "etag" in headers
                    or "no-store" in headers.get("cache-control", "")
                ):
                    passing = True
                    await send(message)
                else:
                    start = message  # held until the body says whether it is whole
                return
            assert start is not None
            if message["type"] != "http.response.body" or message.get("more_body", False):
                passing = True  # streamed: sent as it comes
                await send(start)
                await send(message)
                return
            body = message.get("body", b"")
            etag = weak_etag(body)
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            headers["ETag"] = etag
            if "cache-control" not in headers:
                private = (
                    _has_our_cookies(request_headers)
                    or "authorization" in request_headers
                    or "set-cookie" in headers
                )
                headers["Cache-Control"] = f"private, {REVALIDATE}" if private else REVALIDATE
            for name in VARY:
                headers.add_vary_header(name)
            # An answer that sets a cookie (a language picked by link, a new CSRF token) is
            # sent whole: the browser's copy may be the same page, but not the cookie.
            if "set-cookie" not in headers and _matches(
                request_headers.get("if-none-match", ""), etag
            ):
                # RFC 9110 15.4.5: the validators and cache headers, no body.
                kept = [
                    (name, value)
                    for name, value in headers.raw
                    if name not in (b"content-length", b"content-type")
                ]
                await send({**start, "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": headers.raw})
            await send(message)

        await self.app(scope, receive, send_with_etag)


def _may_compress(headers: Headers) -> bool:
    """BREACH: a compressed body's length tells what it holds when a page reflects what
    another site put in its URL beside a secret (the browser's CSRF token, a signed-in
    person's data), and that site can make the browser ask again and again. Compressed are
    answers to requests without our cookies (a first visit, a script, an API token: no
    browser sends a token on another site's behalf) and, from a browser that has them,
    requests it says it made itself (``Sec-Fetch-Site: same-origin``, or ``none`` for a
    typed address or a bookmark), which another site cannot cause. A browser that does not
    say gets its answers uncompressed."""
    if not _has_our_cookies(headers):
        return True
    return headers.get("sec-fetch-site") in ("same-origin", "none")


class _Selective(GZipResponder):
    """Starlette's gzip, for text bodies only: files already compressed (pictures, video,
    PDF) and partial content (a Range answer must stay the bytes asked for) go as they
    are."""

    async def send_with_compression(self, message: Message) -> None:
        await super().send_with_compression(message)
        if message["type"] == "http.response.start":
            headers = Headers(raw=message.get("headers", []))
            kind = headers.get("content-type", "")
            if message["status"] == 206 or not kind.startswith(COMPRESSIBLE):
                self.content_type_is_excluded = True


class Compress:
    """gzip for text answers of at least ``GZIP_MINIMUM_BYTES`` to a browser that accepts
    it, where ``_may_compress`` allows; the rest as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        responder: IdentityResponder
        if "gzip" in headers.get("accept-encoding", "") and _may_compress(headers):
            responder = _Selective(self.app, GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
        else:
            responder = IdentityResponder(self.app, GZIP_MINIMUM_BYTES)
        await responder(scope, receive, send)
