"""The "download my data" archive: ``account.json`` and the files the person uploaded, in
one zip, and the names that keep it private (its storage key and its link's token are both
made from the secret key, so neither is guessed from the export's id)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import anyio

from fair.accounts.personal import DataPart, to_json
from fair.accounts.tokens import token_of
from fair.storage import Storage

ACCOUNT_JSON = "account.json"
README = "README.txt"


def storage_key(export_id: str, secret: str) -> str:
    """Where the export's zip is stored: the same on every try of the job, so a retry
    replaces the file instead of leaving one behind, and known to nobody without the key."""
    return f"exports/{token_of(export_id, 'data-export-file', secret)}.zip"


def link_token(export_id: str, secret: str) -> str:
    """The mailed link's part that proves it came from us."""
    return token_of(export_id, "data-export", secret)


async def write_archive(
    target: Path, part: DataPart, *, storage: Storage, readme: str
) -> list[str]:
    """Write the zip to ``target`` (a staging file): the JSON compressed, the uploads
    stored as they are (images, videos and PDFs are compressed already), one at a time
    (from a bucket, each is fetched for its turn only). Returns the archive names of files
    that were no longer in storage (left out, and listed in the JSON's ``missing_files``)."""
    missing: list[str] = []
    to_thread = anyio.to_thread.run_sync
    archive = await to_thread(lambda: zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED))
    try:
        await to_thread(archive.writestr, README, readme)
        for item in part.files:
            async with storage.local_file(item.storage_key) as source:
                if source is None:
                    missing.append(item.name)
                    continue
                await to_thread(archive.write, source, item.name, zipfile.ZIP_STORED)
        sections = {**part.sections, "missing_files": missing} if missing else part.sections
        await to_thread(archive.writestr, ACCOUNT_JSON, to_json(sections))
    finally:
        await to_thread(archive.close)
    return missing
