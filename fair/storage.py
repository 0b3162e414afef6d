"""Where media blobs live: a small interface and its local-folder implementation.

Keys are relative paths made by the media code (content hashes, never user input). An
upload is first written to a staging file on the same file system, then moved into place
in one rename, so a reader never sees half a file and an aborted upload leaves nothing.
An object-storage backend would implement the same five methods.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Protocol

import anyio


class Storage(Protocol):
    def staging_path(self) -> Path: ...

    async def commit(self, staged: Path, key: str) -> None: ...

    async def read(self, key: str) -> bytes: ...

    async def write(self, key: str, data: bytes) -> None: ...

    def path(self, key: str) -> Path: ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.staging = self.root / "staging"

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        # Keys are ours, but a key that escapes the root is a bug we refuse loudly.
        if not target.is_relative_to(self.root) or target == self.root:
            raise ValueError(f"storage key outside the media folder: {key!r}")
        return target

    def staging_path(self) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / f"{secrets.token_hex(16)}.part"

    async def commit(self, staged: Path, key: str) -> None:
        target = self.path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # same content already stored
                staged.unlink(missing_ok=True)
            else:
                os.replace(staged, target)

        await anyio.to_thread.run_sync(move)

    async def read(self, key: str) -> bytes:
        return await anyio.Path(self.path(key)).read_bytes()

    async def write(self, key: str, data: bytes) -> None:
        staged = self.staging_path()
        await anyio.Path(staged).write_bytes(data)
        target = self.path(key)
        await anyio.to_thread.run_sync(lambda: target.parent.mkdir(parents=True, exist_ok=True))
        await anyio.to_thread.run_sync(os.replace, staged, target)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(discard, self.path(key))


def discard(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
