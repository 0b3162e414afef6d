"""Hostile uploads (issue 16): metadata and pixel bombs, fake videos, storage abuse, upload
floods and download names. Every refusal is a 4xx in the error shape and keeps nothing;
the app's media workers survive what a file does to them.

The memory each upload costs the server is measured in test_upload_memory.py, against a
real ``fair serve``."""

from __future__ import annotations

import contextlib
import dataclasses
import email.message
import io
import os
import signal
from datetime import timedelta
from pathlib import Path

import av
import pytest
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import eventually, login, make_client, read_scalar
from hostile_files import (
    jpeg_with_exif_bomb,
    mp4_header_then_html,
    pdf_html_polyglot,
    pixel_bomb,
    png_with_exif_bomb,
    png_with_iccp_bomb,
    png_with_itxt_bomb,
    png_with_ztxt_bomb,
    webp_with_exif_bomb,
)
from media_files import jpeg_with_gps, mp4, pdf, png, video, webm, windows_exe
from sqlalchemy import func, select

from booths.models import Media
from booths.sandbox import sandbox_of
from fair.resources import of_app
from kakehashi.app import create_app

CSRF = "test-csrf-token-0123456789"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def owner_booth(client, session, slug: str = "2027-06") -> dict:
    await make_fair(session, slug)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    client.cookies.set("kk_csrf", CSRF)
    return await create_booth(client, slug)


async def upload(client, booth_id: str, content: bytes, name: str = "file.bin"):
    return await client.post(
        f"/api/booths/{booth_id}/media",
        files={"file": (name, content, "application/octet-stream")},
        headers={"X-CSRF-Token": CSRF},
    )


async def media_count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Media))


def refused_as(response, status: int, code: str) -> bool:
    return (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.fixture
async def app_with(settings, engine):
    """Starts an app with some settings changed (its lifespan running until the test ends);
    gives it and a client for it."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides):
            application = create_app(settings.with_overrides(**overrides))
            await stack.enter_async_context(application.router.lifespan_context(application))
            return application, make_client(application)

        yield start


# --- item 1: metadata ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (png_with_exif_bomb, "exif.png"),
        (jpeg_with_exif_bomb, "exif.jpg"),
        (webp_with_exif_bomb, "exif.webp"),
    ],
)
async def test_exif_whose_tags_all_point_at_one_block_is_refused(
    client, session, settings, build, name
):
    """300 tags x 100 KB at one offset: 30 MB to Pillow from a 100 KB file (the real attack
    used 1 MB for 800 MB)."""
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], build(), name)
    assert refused_as(response, 422, "metadata_too_large"), response.text
    assert await media_count(session) == 0
    assert stored_files(settings.media_dir) == []


@pytest.mark.parametrize(
    "build",
    [png_with_ztxt_bomb, png_with_itxt_bomb, png_with_iccp_bomb],
    ids=["zTXt", "iTXt", "iCCP"],
)
async def test_text_and_profile_chunks_inflating_past_a_megabyte_are_422_not_500(
    client, session, settings, build
):
    booth = await owner_booth(client, session)
    data = build()
    assert len(data) < 10_000  # 2 MB once inflated
    response = await upload(client, booth["id"], data, "small.png")
    assert refused_as(response, 422, "metadata_too_large"), response.text
    assert await media_count(session) == 0


async def test_ordinary_metadata_still_passes_and_is_stripped(client, session):
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], jpeg_with_gps(), "IMG_0001.JPG")
    assert response.status_code == 201, response.text


# --- item 7: pixels by the memory they need --------------------------------------------------


async def test_a_pixel_bomb_is_refused_by_the_memory_its_pixels_need(client, session, settings):
    bomb = pixel_bomb()
    assert len(bomb) < 250_000  # 7071 x 7071 RGBA: 200 MB decoded
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], bomb, "poster.png")
    assert refused_as(response, 413, "image_too_large"), response.text
    assert "33" in response.json()["error"]["message"]  # 128 MiB at 4 bytes a pixel
    assert await media_count(session) == 0
    assert stored_files(settings.media_dir) == []


# --- item 1: the bounded worker ---------------------------------------------------------------


async def test_a_worker_out_of_memory_gives_422_and_the_next_upload_works(app_with, session):
    # The pixel cap let through (256 MiB), the worker held to 40 MiB: 4000 x 4000 RGBA
    # (64 MB decoded) runs it out of memory.
    app, client = await app_with(
        max_image_memory_bytes=256 * 1024 * 1024, media_worker_memory_bytes=40 * 1024 * 1024
    )
    async with client:
        booth = await owner_booth(client, session)
        response = await upload(client, booth["id"], pixel_bomb(4000), "big.png")
        assert refused_as(response, 422, "file_too_demanding"), response.text
        assert sandbox_of(of_app(app)).worker_pids() == []  # that worker is gone
        assert (await client.get("/healthz")).status_code == 200
        after = await upload(client, booth["id"], png(), "small.png")
        assert after.status_code == 201, after.text
    assert await media_count(session) == 1


async def test_a_worker_over_its_time_is_killed_and_replaced(app_with, session):
    app, client = await app_with(media_worker_seconds=1e-6)
    async with client:
        booth = await owner_booth(client, session)
        response = await upload(client, booth["id"], png(), "slow.png")
        assert refused_as(response, 422, "file_too_demanding"), response.text
        assert sandbox_of(of_app(app)).worker_pids() == []
        sandbox = sandbox_of(of_app(app))
        sandbox.limits = dataclasses.replace(sandbox.limits, seconds=30.0)
        after = await upload(client, booth["id"], png(), "again.png")
        assert after.status_code == 201, after.text
    assert await media_count(session) == 1


async def test_a_worker_killed_from_outside_is_replaced(client, session, app):
    booth = await owner_booth(client, session)
    assert (await upload(client, booth["id"], png((10, 10)), "a.png")).status_code == 201
    [pid] = sandbox_of(of_app(app)).worker_pids()
    os.kill(pid, signal.SIGKILL)
    await eventually(
        lambda: sandbox_of(of_app(app)).worker_pids() == [], "the killed worker to exit"
    )
    assert (await upload(client, booth["id"], png((20, 10)), "b.png")).status_code == 201
    replacement = sandbox_of(of_app(app)).worker_pids()
    assert replacement and pid not in replacement


# --- item 7: videos ---------------------------------------------------------------------------


def audio_only_mp4() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as muxer:
        stream = muxer.add_stream("aac", rate=8000)
        for number in range(4):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.sample_rate = 8000
            frame.pts = number * 1024
            frame.planes[0].update(bytes(4 * 1024))
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    "build", [mp4_header_then_html, audio_only_mp4], ids=["mp4 header then HTML", "audio only"]
)
async def test_a_file_that_is_no_real_video_is_415(client, session, settings, build):
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], build(), "demo.mp4")
    assert refused_as(response, 415, "unsupported_file"), response.text
    assert "video" in response.json()["error"]["message"]
    assert await media_count(session) == 0
    assert stored_files(settings.media_dir) == []


async def test_real_videos_pass_with_their_size_and_a_too_long_one_is_422(app_with, session):
    _, client = await app_with(max_video_seconds=5)
    async with client:
        booth = await owner_booth(client, session)
        for content, name in [(mp4(), "a.mp4"), (webm(), "b.webm")]:
            response = await upload(client, booth["id"], content, name)
            assert response.status_code == 201, response.text
            assert (response.json()["width"], response.json()["height"]) == (64, 48)
        long = video("mp4", "libx264", frames=60)  # 6 s at 10 frames a second
        response = await upload(client, booth["id"], long, "long.mp4")
        assert refused_as(response, 422, "video_too_long"), response.text
    assert await media_count(session) == 2


# --- item 7: storage ----------------------------------------------------------------------------


def brochure(number: int) -> bytes:
    return pdf() + b"%" + str(number).encode() * 100 + b"\n"


async def test_a_company_storage_quota_refuses_the_file_that_would_pass_it(app_with, session):
    _, client = await app_with(company_storage_bytes=len(brochure(1)) * 2 + 10)
    async with client:
        booth = await owner_booth(client, session)
        await approve(client, session, booth["id"])
        await login(client, "kenji@tsubame.example")
        assert (await upload(client, booth["id"], brochure(1), "1.pdf")).status_code == 201
        assert (await upload(client, booth["id"], brochure(2), "2.pdf")).status_code == 201
        third = await upload(client, booth["id"], brochure(3), "3.pdf")
        assert refused_as(third, 413, "storage_quota_exceeded"), third.text
        assert third.json()["error"]["fields"]["file"]
        # The same file again takes no room: still answered as before.
        assert (await upload(client, booth["id"], brochure(2), "2.pdf")).status_code == 200
    assert await media_count(session) == 2


async def test_a_booth_not_yet_approved_holds_a_few_files_until_approval(app_with, session):
    _, client = await app_with(unapproved_max_files=2)
    async with client:
        booth = await owner_booth(client, session)
        for number in (1, 2):
            response = await upload(client, booth["id"], brochure(number), f"{number}.pdf")
            assert response.status_code == 201, response.text
        third = await upload(client, booth["id"], brochure(3), "3.pdf")
        assert refused_as(third, 422, "approval_needed"), third.text
        assert await media_count(session) == 2
        await approve(client, session, booth["id"])
        await login(client, "kenji@tsubame.example")
        assert (await upload(client, booth["id"], brochure(3), "3.pdf")).status_code == 201


async def test_a_copy_of_an_approved_booth_counts_only_its_new_files(app_with, session):
    _, client = await app_with(unapproved_max_files=1)
    async with client:
        booth = await owner_booth(client, session)
        await approve(client, session, booth["id"])
        await login(client, "kenji@tsubame.example")
        for number in (1, 2, 3):
            assert (await upload(client, booth["id"], brochure(number), "b.pdf")).status_code == 201
        await make_fair(session, "2027-07", days_from_now=50)
        copy = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
        assert copy.status_code == 201, copy.text
        copy_id = copy.json()["id"]
        assert (await upload(client, copy_id, brochure(4), "4.pdf")).status_code == 201
        refused = await upload(client, copy_id, brochure(5), "5.pdf")
        assert refused_as(refused, 422, "approval_needed"), refused.text


# --- item 15: uploads per account -------------------------------------------------------------


async def test_uploads_per_account_are_rate_limited_refused_ones_included(
    app_with, session, stopped_clock
):
    _, client = await app_with(upload_max_per_account=3, upload_window_minutes=10)
    async with client:
        booth = await owner_booth(client, session)
        # Refused at the first bytes: costs nothing, counts nothing.
        assert (await upload(client, booth["id"], windows_exe(), "x.jpg")).status_code == 415
        # Refused by a media worker: counts.
        assert (await upload(client, booth["id"], png_with_ztxt_bomb(), "z.png")).status_code == 422
        assert (await upload(client, booth["id"], png((10, 10)), "a.png")).status_code == 201
        assert (await upload(client, booth["id"], png((20, 10)), "b.png")).status_code == 201
        limited = await upload(client, booth["id"], png((30, 10)), "c.png")
        assert refused_as(limited, 429, "upload_rate_limited"), limited.text
        assert await media_count(session) == 2
        stopped_clock.advance(timedelta(minutes=11))
        assert (await upload(client, booth["id"], png((30, 10)), "c.png")).status_code == 201


# --- item 13: downloads -----------------------------------------------------------------------


def disposition(response) -> tuple[str, str | None]:
    message = email.message.Message()
    message["content-disposition"] = response.headers["content-disposition"]
    return message.get_content_disposition(), message.get_filename()


async def test_a_pdf_that_is_html_too_downloads_as_a_sandboxed_pdf(client, session):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], pdf_html_polyglot(), "brochure.html")).json()
    served = await client.get(item["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/pdf"
    assert disposition(served) == ("attachment", "brochure.pdf")
    assert served.headers["content-security-policy"].split(";")[0] == "sandbox"
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_every_file_is_named_for_its_sniffed_type_and_sandboxed(client, session):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], png(), "photo.html")).json()
    shown = await client.get(item["url"])
    assert disposition(shown) == ("inline", "photo.png")
    assert "sandbox" in shown.headers["content-security-policy"]
    saved = await client.get(item["url"], params={"download": "1"})
    assert disposition(saved) == ("attachment", "photo.png")


async def test_hostile_file_names_cannot_break_the_disposition_header(client, session):
    booth = await owner_booth(client, session)
    name = 'カタログ "2027"; filename=evil.html\\..\\x.html'
    item = (await upload(client, booth["id"], pdf(), name)).json()
    served = await client.get(item["url"])
    header = served.headers["content-disposition"]
    assert header.isascii() and "\r" not in header and "\n" not in header
    kind, filename = disposition(served)
    assert kind == "attachment"
    assert filename.endswith(".pdf") and "/" not in filename and "\\" not in filename
    assert header.count("filename=") == 1 and header.count("filename*=") == 1
