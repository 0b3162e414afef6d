"""Issue 16, item 2: a slow request body holds nothing of the database. Signed-in clients
that send headers and then stall their bodies (JSON, forms, an upload) leave the home page,
``/healthz``, the directory and other people's writes answering, and get 408 when the body
timeout runs out; an oversize body is refused (413) before it is read and changes nothing;
a GET takes no write lock (SQLite), so a writer holding one does not stop it. On SQLite and
on PostgreSQL, against the real server (uvicorn)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import login, make_client, serving
from sqlalchemy import text

from kakehashi.app import create_app

SLUG = "2027-06"
CSRF = "slow-body-csrf-token-0123456789"
BODY_TIMEOUT_SECONDS = 3.0
# Far below SQLite's 15 s busy timeout and PostgreSQL's 30 s pool timeout: a page that
# waits for the database held by a stalled client fails here rather than answering late.
PROMPT_SECONDS = 8.0
# Only how long a broken server may keep the test waiting for its answer; nothing is timed.
ANSWER_WITHIN_SECONDS = 60.0
STALLED = 16  # more than PostgreSQL's pool (5 + 10 overflow) holds


@pytest.fixture
async def app(settings: Any, engine: Any) -> AsyncIterator[Any]:
    """The app with a short body timeout."""
    application = create_app(settings.with_overrides(body_timeout_seconds=BODY_TIMEOUT_SECONDS))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def booth(app: Any, session: Any) -> AsyncIterator[dict[str, Any]]:
    """An approved booth, its exhibitor's session (``token``) and cookie header."""
    await make_fair(session)
    async with make_client(app) as client:
        await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
        created = await create_booth(client)
        await approve(client, session, created["id"])
        await login(client, "kenji@tsubame.example")
        token = client.cookies["kk_session"]
        yield {**created, "token": token, "cookie": f"kk_session={token}; kk_csrf={CSRF}"}


class RawRequest:
    """An HTTP/1.1 request on a socket of its own: headers sent, body sent as the test says."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def start(
        cls,
        base: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        first_bytes: bytes = b"",
    ) -> RawRequest:
        netloc = urlsplit(base).netloc
        host, port = netloc.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        lines = [f"{method} {path} HTTP/1.1", f"Host: {netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + first_bytes)
        await writer.drain()
        return cls(reader, writer)

    async def answer(self) -> tuple[int, dict[str, str], bytes]:
        """The server's answer: status, headers (lower-case names), body."""
        async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
            status_line = await self.reader.readline()
            assert status_line.startswith(b"HTTP/1.1 "), status_line
            headers: dict[str, str] = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    async def closed_by_server(self) -> bool:
        async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
            return await self.reader.read() == b""

    def close(self) -> None:
        self.writer.close()


def _stalled_requests(booth: dict[str, Any]) -> list[tuple[str, str, dict[str, str], bytes]]:
    """(method, path, headers, the part of the body sent before stalling): the writes a
    signed-in exhibitor sends as JSON, a form, an upload."""
    cookie = booth["cookie"]

    def json_body(data: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        raw = json.dumps(data).encode()
        headers = {
            "Cookie": cookie,
            "Content-Type": "application/json",
            "Content-Length": str(len(raw)),
        }
        return headers, raw[: len(raw) // 2]

    booth_path = f"/api/booths/{booth['id']}"
    create = json_body({"company": {"en": "Stalled Co."}, "categories": ["metal_parts"]})
    patch = json_body({"tagline": {"en": "Never finished"}})
    product = json_body(TUMBLER)
    login_json = json_body({"email": "kenji@tsubame.example", "password": "x" * 12})
    form = b"csrf_token=" + CSRF.encode() + b"&locale=ja"
    form_headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(form)),
    }
    boundary = "slowbodyboundary"
    upload_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + b"\x89PNG\r\n\x1a\n"
    upload_headers = {
        "Cookie": cookie,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(200_000),
        "X-CSRF-Token": CSRF,
    }
    kinds = [
        ("POST", f"/api/fairs/{SLUG}/booths", *create),
        ("PATCH", booth_path, *patch),
        ("POST", f"{booth_path}/products", *product),
        ("POST", "/api/auth/login", *login_json),
        ("POST", "/language", form_headers, form[:10]),
        ("POST", f"{booth_path}/media", upload_headers, upload_head),
    ]
    return [kinds[i % len(kinds)] for i in range(STALLED)]


async def test_stalled_bodies_hold_no_database_and_time_out(
    app: Any, booth: dict[str, Any], settings: Any
):
    async with serving(app) as base:
        stalled = [
            await RawRequest.start(base, method, path, headers=headers, first_bytes=first)
            for method, path, headers, first in _stalled_requests(booth)
        ]
        try:
            async with httpx.AsyncClient(base_url=base, timeout=PROMPT_SECONDS) as visitor:
                for path in ("/", "/healthz", f"/api/fairs/{SLUG}/booths", f"/fairs/{SLUG}/booths"):
                    response = await visitor.get(path)
                    assert response.status_code == 200, (path, response.text[:300])
                # The exhibitor's own complete writes and reads go through as well (markets:
                # a choice from a list, published at once on an approved booth).
                visitor.cookies.set("kk_session", booth["token"])
                edited = await visitor.patch(
                    f"/api/booths/{booth['id']}", json={"markets": ["TH", "VN"]}
                )
                assert edited.status_code == 200, edited.text
                mine = await visitor.get("/api/me/booths")
                assert [b["markets"] for b in mine.json()["booths"]] == [["TH", "VN"]]

            answers = [await request.answer() for request in stalled]
            for (method, path, _, _), (status, headers, body) in zip(
                _stalled_requests(booth), answers, strict=True
            ):
                assert status == 408, (method, path, body[:300])
                assert headers.get("connection") == "close", (method, path)
                if path.startswith("/api/"):
                    assert json.loads(body)["error"]["code"] == "request_timeout"
            assert all([await request.closed_by_server() for request in stalled])
        finally:
            for request in stalled:
                request.close()

        # Nothing of the stalled writes was kept.
        async with make_client(app) as client:
            directory = (await client.get(f"/api/fairs/{SLUG}/booths")).json()
            assert [b["id"] for b in directory["booths"]] == [booth["id"]]
            detail = (await client.get(f"/api/booths/{booth['id']}")).json()
            assert detail["markets"] == ["TH", "VN"]
            assert detail["products"] == [] and detail["media"] == []
        # Nor of the uploads' first bytes (their staging files are gone).
        assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []


async def test_a_body_sent_slowly_but_in_time_is_read(app: Any, booth: dict[str, Any]):
    raw = json.dumps({"markets": ["US", "VN"]}).encode()
    headers = {"Cookie": booth["cookie"], "Content-Type": "application/json"}
    async with serving(app) as base:
        request = await RawRequest.start(
            base,
            "PATCH",
            f"/api/booths/{booth['id']}",
            headers={**headers, "Content-Length": str(len(raw))},
            first_bytes=raw[:5],
        )
        # Meanwhile the site answers; then the rest arrives, well within the timeout.
        async with httpx.AsyncClient(base_url=base, timeout=PROMPT_SECONDS) as visitor:
            assert (await visitor.get("/healthz")).status_code == 200
        request.writer.write(raw[5:])
        status, _, body = await request.answer()
        request.close()
    assert status == 200, body
    assert json.loads(body)["markets"] == ["US", "VN"]


async def test_an_oversize_body_is_refused_before_it_is_read_and_changes_nothing(
    app: Any, booth: dict[str, Any]
):
    path = f"/api/booths/{booth['id']}"
    async with serving(app) as base:
        # Declared too large: refused at once, without waiting for a byte of it.
        request = await RawRequest.start(
            base,
            "PATCH",
            path,
            headers={
                "Cookie": booth["cookie"],
                "Content-Type": "application/json",
                "Content-Length": str(5 * 1024 * 1024),
            },
        )
        status, headers, body = await request.answer()
        assert (status, json.loads(body)["error"]["code"]) == (413, "payload_too_large")
        assert headers.get("connection") == "close"
        assert await request.closed_by_server()
        request.close()

    # Sent in chunks, declaring no length: refused once past the limit. (In process: a real
    # client still sending when the answer comes has its connection reset.)
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"tagline": {"en": "'
        for _ in range(40):
            yield b"A" * 64 * 1024
        yield b'"}}'

    async with make_client(app) as client:
        client.cookies.set("kk_session", booth["token"])
        refused = await client.patch(
            path, content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "payload_too_large"
        detail = (await client.get(path)).json()
    async with make_client(app) as browser:
        # A form's post too, answered as a page in the browser's language.
        form = await browser.post(
            "/language",
            content=b"csrf_token=" + b"x" * 2_000_000,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/html",
                "Accept-Language": "ja",
            },
        )
        assert form.status_code == 413
        assert "text/html" in form.headers["content-type"]
        assert "リクエスト本文が大きすぎます" in form.text
    assert detail["tagline"] == booth["tagline"]


async def test_reading_requests_pass_a_writer_that_holds_the_database(
    app: Any, booth: dict[str, Any], engine: Any
):
    async with make_client(app) as client, engine.connect() as writer:
        client.cookies.set("kk_session", booth["token"])
        # Another connection is in the middle of a write (on SQLite: holds the write lock).
        await writer.execute(text("UPDATE fairs SET timezone = timezone"))
        for path in (
            "/",
            "/healthz",
            f"/api/fairs/{SLUG}/booths",
            f"/fairs/{SLUG}/booths",
            "/api/me/booths",
        ):
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
        await writer.rollback()
