"""What a process holds for its lifetime: a feature's part is made once and closed with the
rest, so no worker process or socket outlives the app."""

from __future__ import annotations

import os

import pytest
from media_files import png

from booths.sandbox import Sandbox, sandbox_of
from fair.config import Settings
from fair.resources import open_resources


class Closable:
    def __init__(self) -> None:
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_a_part_is_made_once_and_closed_with_the_resources(tmp_path):
    res = open_resources(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db'}"))
    made = []
    part = res.part(Closable, lambda: made.append(1) or Closable())
    assert res.part(Closable, Closable) is part
    assert made == [1]
    await res.aclose()
    assert part.closed


async def test_the_media_workers_stop_when_the_resources_close(tmp_path):
    res = open_resources(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db'}", media_dir=tmp_path / "media"
        )
    )
    sandbox = sandbox_of(res)
    assert isinstance(sandbox, Sandbox) and sandbox_of(res) is sandbox
    source, target = tmp_path / "a.png", tmp_path / "a.webp"
    source.write_bytes(png((40, 30)))
    size = await sandbox.run(
        "thumbnail",
        source=str(source),
        target=str(target),
        content_type="image/png",
        size=16,
        max_image_bytes=1 << 20,
    )
    assert size == {"width": 40, "height": 30}
    [pid] = sandbox.worker_pids()
    await res.aclose()
    assert sandbox.worker_pids() == []
    with pytest.raises(ProcessLookupError):  # waited for, not left a zombie
        os.kill(pid, 0)
