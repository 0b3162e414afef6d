"""What a hostile upload costs the server (issue 16, items 1 and 7), measured on a real
``fair serve`` in a subprocess: its peak resident memory (``VmHWM`` in /proc/<pid>/status)
grows by less than ``BOUND`` while it refuses every hostile file with a 4xx, ``/healthz``
answers throughout, and an ordinary upload still works afterwards. Before the media
workers, the EXIF bomb alone grew the server by about 900 MB and the pixel bomb by 600 MB.

Run ``pytest tests/security/test_upload_memory.py -s`` to see the figures."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from booth_helpers import TSUBAME, make_fair
from faults.fault_helpers import Processes, fair_env
from helpers import PASSWORD, make_user
from hostile_files import (
    jpeg_with_exif_bomb,
    mp4_header_then_html,
    pixel_bomb,
    png_with_exif_bomb,
    png_with_iccp_bomb,
    png_with_itxt_bomb,
    png_with_ztxt_bomb,
    webp_with_exif_bomb,
)
from media_files import jpeg_with_gps, mp4, pdf, png

from fair.config import Settings
from fair.db import create_engine, create_sessionmaker
from fair.migrate import upgrade

MiB = 1024 * 1024
BOUND = 64 * MiB
CSRF = "test-csrf-token-0123456789"
# 1000 tags x 900 KB: a 900 KB file that costs a naive decoder 900 MB.
BIG_BOMB = {"tags": 1000, "block": 900_000}
HOSTILE = {
    "EXIF bomb (PNG)": (png_with_exif_bomb(**BIG_BOMB), "exif.png"),
    "EXIF bomb (JPEG)": (jpeg_with_exif_bomb(**BIG_BOMB), "exif.jpg"),
    "EXIF bomb (WebP)": (webp_with_exif_bomb(**BIG_BOMB), "exif.webp"),
    "zTXt bomb": (png_with_ztxt_bomb(), "z.png"),
    "iTXt bomb": (png_with_itxt_bomb(), "i.png"),
    "iCCP bomb": (png_with_iccp_bomb(), "icc.png"),
    "pixel bomb": (pixel_bomb(), "poster.png"),
    "MP4 header then HTML": (mp4_header_then_html(), "demo.mp4"),
}

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def peak_memory(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """``fair serve`` on a fresh SQLite database holding a fair and an exhibitor."""
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fair.db'}",
        secret_key="test-secret-" + "x" * 32,
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
    )
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            await make_fair(session)
            await make_user(session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki")
    finally:
        await engine.dispose()
    processes = Processes(tmp_path)
    try:
        # The app runs its jobs itself, so the thumbnails are made in its workers too.
        server = await processes.serve(fair_env(settings, FAIR_INPROCESS_JOBS="1"))
        yield server.base_url, server.process.pid
    finally:
        await processes.close()


async def test_hostile_uploads_leave_the_server_small_and_answering(served) -> None:
    base_url, pid = served
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        signed_in = await client.post(
            "/api/auth/login", json={"email": "kenji@tsubame.example", "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        client.cookies.set("kk_csrf", CSRF)
        booth = await client.post("/api/fairs/2027-06/booths", json=TSUBAME)
        assert booth.status_code == 201, booth.text
        url = f"/api/booths/{booth.json()['id']}/media"

        async def upload(content: bytes, name: str) -> httpx.Response:
            files = {"file": (name, content, "application/octet-stream")}
            return await client.post(url, files=files, headers={"X-CSRF-Token": CSRF})

        # Every code path once (the worker started, the imports done): the baseline.
        for content, name in [(jpeg_with_gps(), "a.jpg"), (png(), "b.png"), (mp4(), "c.mp4")]:
            assert (await upload(content, name)).status_code == 201
        assert (await upload(pdf(), "d.pdf")).status_code == 201
        before = peak_memory(pid)

        async def health() -> list[int]:
            return [(await client.get("/healthz")).status_code for _ in range(10)]

        *answers, healthy = await asyncio.gather(
            *(upload(content, name) for content, name in HOSTILE.values()), health()
        )
        after = peak_memory(pid)
        print(
            f"\nserver peak memory (VmHWM): {before / MiB:.0f} MiB before the hostile uploads, "
            f"{after / MiB:.0f} MiB after (+{(after - before) / MiB:.1f} MiB)"
        )
        statuses = {
            name: (answer.status_code, answer.text[:60])
            for name, answer in zip(HOSTILE, answers, strict=True)
        }
        for name, (status, text) in statuses.items():
            print(f"  {name}: {status} {text}")
        assert all(400 <= status < 500 for status, _ in statuses.values()), statuses
        assert healthy == [200] * 10
        assert after - before < BOUND
        assert (await client.get("/healthz")).status_code == 200
        assert (await upload(png((40, 30)), "after.png")).status_code == 201
