"""The "download my data" archive: ``account.json`` and the files the person uploaded, in
one zip, and the names that keep it private (its storage key and its link's token are both
made from the secret key, so neither is guessed from the export's id)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from fair.accounts.personal import DataPart, to_json
from fair.accounts.tokens import token_of

ACCOUNT_JSON = "account.json"
README = "README.txt"


def storage_key(export_id: str, secret: str) -> str:
    """Where the export's zip is stored: the same on every try of the job, so a retry
    replaces the file instead of leaving one behind, and known to nobody without the key."""
    return f"exports/{token_of(export_id, 'data-export-file', secret)}.zip"


def link_token(export_id: str, secret: str) -> str:
    """The mailed link's part that proves it came from us."""
    return token_of(export_id, "data-export", secret)


def write_archive(
    target: Path, part: DataPart, *, path_of: Callable[[str], Path], readme: str
) -> list[str]:
    """Write the zip to ``target`` (a staging file): the JSON compressed, the uploads
    stored as they are (images, videos and PDFs are compressed already). Returns the
    archive names of files that were no longer in storage (left out, and listed in the
    JSON's ``missing_files``)."""
    missing: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README, readme)
        for item in part.files:
            source = path_of(item.storage_key)
            if not source.is_file():
                missing.append(item.name)
                continue
            archive.write(source, item.name, compress_type=zipfile.ZIP_STORED)
        sections = {**part.sections, "missing_files": missing} if missing else part.sections
        archive.writestr(ACCOUNT_JSON, to_json(sections))
    return missing
