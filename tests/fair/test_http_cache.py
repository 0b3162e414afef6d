"""HTTP caching and compression (issue 19): a browser that already has a page or an API
answer gets 304 and no body; versioned static files are kept for a year; text bodies are
gzipped, except where the compressed length could leak a signed-in browser's secrets
(BREACH) and for files, which are compressed already or asked for by byte range."""

from __future__ import annotations

import gzip
import re

import httpx
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_user
from media_files import mp4
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from fair.http_cache import ConditionalGet

CSRF = "test-csrf-token-0123456789"
GZIP = {"accept-encoding": "gzip"}
IDENTITY = {"accept-encoding": "identity"}
HTML = {"accept": "text/html"}


async def public_booth(client, session) -> dict:
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    client.cookies.clear()
    return booth


async def test_an_unchanged_api_answer_is_304_without_a_body(client, session):
    await make_fair(session)
    first = await client.get("/api/fairs")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "no-cache"
    assert {"Cookie", "Accept-Language"} <= {
        part.strip() for part in first.headers["vary"].split(",")
    }

    again = await client.get("/api/fairs", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers
    # A list of tags, one of them current, as a browser with two copies sends.
    listed = await client.get("/api/fairs", headers={"if-none-match": f'W/"old", {etag}'})
    assert listed.status_code == 304


async def test_a_change_or_another_language_is_a_new_body(client, session):
    await make_fair(session)
    etag = (await client.get("/api/fairs")).headers["etag"]
    await make_fair(session, "2027-07")
    changed = await client.get("/api/fairs", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert {fair["slug"] for fair in changed.json()["fairs"]} == {"2027-06", "2027-07"}
    assert changed.headers["etag"] != etag

    english = await client.get("/fairs/2027-07", headers={**HTML, "accept-language": "en"})
    japanese = await client.get(
        "/fairs/2027-07",
        headers={**HTML, "accept-language": "ja", "if-none-match": english.headers["etag"]},
    )
    assert japanese.status_code == 200
    assert "展示会 2027-07" in japanese.text


async def test_signed_in_answers_are_private_and_writes_carry_no_tag(client, session):
    await make_fair(session)
    await make_user(session, "buyer", "lan@buyer.example")
    await login(client, "lan@buyer.example")
    me = await client.get("/api/me")
    assert me.headers["cache-control"] == "private, no-cache"
    assert (
        await client.get("/api/me", headers={"if-none-match": me.headers["etag"]})
    ).status_code == 304
    # A first visit's page mints the browser's CSRF cookie: for that browser only.
    client.cookies.clear()
    page = await client.get("/fairs/2027-06", headers=HTML)
    assert "kk_csrf" in page.headers.get("set-cookie", "")
    assert page.headers["cache-control"] == "private, no-cache"
    refused = await client.post("/api/auth/login", json={"email": "x", "password": "y"})
    assert "etag" not in refused.headers


async def test_no_store_and_streamed_answers_pass_untouched():
    # A join token or a data export says no-store: no copy, so no tag to revalidate it by.
    # An export streamed in parts is sent as it comes, never held to be hashed.
    async def secret(request):
        return JSONResponse({"token": "abc"}, headers={"Cache-Control": "no-store"})

    async def export(request):
        async def rows():
            for n in range(3):
                yield f"row {n}\n".encode()

        return StreamingResponse(rows(), media_type="text/csv")

    app = ConditionalGet(Starlette(routes=[Route("/secret", secret), Route("/export", export)]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as plain:
        kept = await plain.get("/secret")
        assert kept.json() == {"token": "abc"}
        assert "etag" not in kept.headers
        assert kept.headers["cache-control"] == "no-store"
        streamed = await plain.get("/export")
        assert streamed.text == "row 0\nrow 1\nrow 2\n"
        assert "etag" not in streamed.headers


async def test_pages_name_static_files_by_version_and_those_are_kept_a_year(client, session):
    await make_fair(session)
    page = await client.get("/fairs/2027-06", headers=HTML)
    found = re.search(r'href="(/static/css/app\.css\?v=(\w+))"', page.text)
    assert found, "the style sheet is linked by a versioned URL"
    sheet = await client.get(found.group(1), headers=IDENTITY)
    assert sheet.status_code == 200
    assert sheet.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = await client.get("/static/css/app.css", headers=IDENTITY)
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.content == sheet.content
    # Revalidated by Starlette's own validators.
    unchanged = await client.get(
        "/static/css/app.css", headers={"if-none-match": plain.headers["etag"]}
    )
    assert unchanged.status_code == 304
    assert unchanged.headers["cache-control"] == "no-cache"


async def test_anonymous_text_is_gzipped_and_says_so(client, session):
    await public_booth(client, session)
    raw = await client.get("/fairs/2027-06/booths", headers={**HTML, **IDENTITY})
    assert "content-encoding" not in raw.headers
    client.cookies.clear()  # a first visit: no CSRF cookie yet, nothing of ours to learn
    packed = await client.get("/fairs/2027-06/booths", headers={**HTML, **GZIP})
    assert packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"]
    # httpx unpacks it: the same page, and the wire held far fewer bytes.
    assert "Tsubame" in packed.text
    assert int(packed.headers["content-length"]) < len(raw.content) / 2
    client.cookies.clear()
    api = await client.get("/api/openapi.json", headers=GZIP)
    assert api.headers["content-encoding"] == "gzip"
    assert gzip.decompress(await _wire(client, "/api/openapi.json")) == api.content
    # Small bodies are not worth it.
    small = await client.get("/api/fairs/2027-06/booths", headers=GZIP)
    assert len(small.content) < 1024
    assert "content-encoding" not in small.headers


async def _wire(client, path: str) -> bytes:
    """The bytes as sent, not unpacked by httpx."""
    async with client.stream("GET", path, headers=GZIP) as response:
        return b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_signed_in_browser_gets_gzip_only_for_its_own_requests(client, session):
    await make_fair(session)
    await make_user(session, "buyer", "lan@buyer.example")
    await login(client, "lan@buyer.example")
    # Asked from another site (or by a browser that does not say): the page holds the
    # CSRF token beside what the URL asked for, so its length must not depend on both.
    for site in ({}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):
        answer = await client.get("/fairs/2027-06/booths?q=abc", headers={**HTML, **GZIP, **site})
        assert answer.status_code == 200
        assert "content-encoding" not in answer.headers, site
    for site in ("same-origin", "none"):
        answer = await client.get(
            "/fairs/2027-06/booths?q=abc", headers={**HTML, **GZIP, "sec-fetch-site": site}
        )
        assert answer.headers["content-encoding"] == "gzip", site


async def test_files_and_byte_ranges_are_sent_as_stored(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    client.cookies.set("kk_csrf", CSRF)
    video = mp4(payload=8192)
    item = await client.post(
        f"/api/booths/{booth['id']}/media",
        files={"file": ("demo.mp4", video, "video/mp4")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert item.status_code == 201, item.text
    await approve(client, session, booth["id"])
    client.cookies.clear()
    full = await client.get(item.json()["url"], headers=GZIP)
    assert full.status_code == 200
    assert "content-encoding" not in full.headers
    assert full.content == video
    part = await client.get(item.json()["url"], headers={**GZIP, "range": "bytes=100-199"})
    assert part.status_code == 206
    assert "content-encoding" not in part.headers
    assert part.content == video[100:200]


async def test_an_answer_that_sets_a_cookie_is_sent_whole(client, session):
    """A language picked by link is remembered in a cookie: a browser that already has the
    page in that language still gets the cookie, so the choice sticks."""
    await make_fair(session)
    client.cookies.set("kk_lang", "en")
    japanese = await client.get("/fairs/2027-06?lang=ja", headers=HTML)
    assert "kk_lang=ja" in japanese.headers["set-cookie"]
    token = client.cookies.get("kk_csrf")
    client.cookies.clear()  # switched back to English meanwhile, the same browser
    client.cookies.set("kk_csrf", token)
    client.cookies.set("kk_lang", "en")
    again = await client.get(
        "/fairs/2027-06?lang=ja", headers={**HTML, "if-none-match": japanese.headers["etag"]}
    )
    assert again.status_code == 200
    assert "kk_lang=ja" in again.headers["set-cookie"]
    assert again.text == japanese.text
