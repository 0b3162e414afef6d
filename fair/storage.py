"""Where media blobs live: a small interface, its local-folder implementation here and an
S3-compatible bucket's in fair/s3.py, chosen by ``FAIR_STORAGE`` (fair/resources.py).

Keys are relative paths made by the media code (content hashes, never user input). Every
write goes through a staging file on this machine's disk (an upload streams into it, a
media worker writes into it) and is then committed under its key in one step: a rename in
the folder, an upload to the bucket. So a reader never sees half a file, and an aborted
upload leaves nothing. Nothing outside a backend sees where it keeps a file: a process that
must open one (the media worker's input, a file of a data export) asks ``local_file``, and
a download is the backend's own ``download`` response.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, Response

STAGING = "staging"


@dataclass(frozen=True)
class LocalFile:
    """A stored file as the migration to a bucket reads it."""

    key: str
    path: Path
    size: int


class Storage(Protocol):
    def staging_path(self) -> Path:
        """A new file name on this machine's disk to write into, then ``commit``."""
        ...

    async def commit(self, staged: Path, key: str) -> None:
        """Store the staged file under ``key`` (kept when the key is there already: keys
        name their content); the staged file is gone after, whatever happened."""
        ...

    async def read(self, key: str) -> bytes: ...

    async def write(self, key: str, data: bytes) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def local_file(self, key: str) -> AbstractAsyncContextManager[Path | None]:
        """The file on this machine's disk while the block runs (None when it is not
        stored): the stored one itself, or a copy fetched for the block and removed after."""
        ...

    async def download(
        self, request: Request, key: str, *, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        """The response that serves the file, Range requests and HEAD included, with
        ``headers`` (Content-Disposition, Cache-Control...); None when it is not stored."""
        ...

    async def delete(self, key: str) -> None: ...

    async def aclose(self) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.staging = self.root / STAGING

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        # Keys are ours, but a key that escapes the root is a bug we refuse loudly.
        if not target.is_relative_to(self.root) or target == self.root:
            raise ValueError(f"storage key outside the media folder: {key!r}")
        return target

    def staging_path(self) -> Path:
        return new_staging_path(self.staging)

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

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self.path(key)).is_file()

    @contextlib.asynccontextmanager
    async def local_file(self, key: str) -> AsyncIterator[Path | None]:
        path = self.path(key)
        yield path if await anyio.Path(path).is_file() else None

    async def download(
        self, request: Request, key: str, *, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        path = self.path(key)
        if not await anyio.Path(path).is_file():
            return None
        # Starlette answers Range, If-Range and HEAD, and sends ETag and Last-Modified.
        return FileResponse(path, media_type=media_type, headers=dict(headers))

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(discard, self.path(key))

    async def aclose(self) -> None:
        return None

    def files(self) -> Iterator[LocalFile]:
        """Every stored file (uploads in progress left out), in key order."""
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if relative.parts[0] == STAGING or not path.is_file():
                continue
            yield LocalFile(relative.as_posix(), path, path.stat().st_size)


def new_staging_path(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{secrets.token_hex(16)}.part"


def discard(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
