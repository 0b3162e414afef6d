"""``fair media migrate-to-s3``: copy the media folder into the bucket, before switching
``FAIR_STORAGE`` to s3 (docs/running-at-scale.md, "Media storage").

Idempotent: a key already in the bucket with the same bytes is skipped, so the command can
run while the app still serves from the folder, and once more after the switch for what
was uploaded in between. "The same bytes" is the same size and, for an object uploaded in
one part, the same MD5 (its ETag); an object uploaded in parts has an ETag of its parts,
and its size alone is compared (its key names the SHA-256 of its content anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio

from fair.s3 import S3Storage, file_md5
from fair.storage import LocalFile, LocalStorage


@dataclass
class Migrated:
    copied: int = 0
    skipped: int = 0
    copied_bytes: int = 0


async def same_in_bucket(bucket: S3Storage, item: LocalFile) -> bool:
    stat = await bucket.stat(item.key)
    if stat is None or stat.size != item.size:
        return False
    etag = stat.etag.strip('"')
    if "-" in etag:  # uploaded in parts: not an MD5 of the whole
        return True
    return etag == await anyio.to_thread.run_sync(file_md5, item.path)


async def migrate_to_s3(
    folder: LocalStorage,
    bucket: S3Storage,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> Migrated:
    """Copy every file of ``folder`` missing or different in ``bucket`` under the same key;
    with ``dry_run``, only count what would be copied."""
    counts = Migrated()
    for item in folder.files():
        if await same_in_bucket(bucket, item):
            counts.skipped += 1
            continue
        if not dry_run:
            await bucket.upload(item.path, item.key)
        counts.copied += 1
        counts.copied_bytes += item.size
        progress(f"{'would copy' if dry_run else 'copied'} {item.key} ({item.size} bytes)")
    return counts
