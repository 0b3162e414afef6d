"""Media files: what a file is (from its bytes), receiving an upload without holding it,
checking it in a media worker (images re-encoded, videos parsed), thumbnails, download names.

The type comes from the content (``filetype`` reads the magic bytes), never from the name
or the client's Content-Type. The size limit for the sniffed kind is enforced while the
body streams in: the upload stops at the first byte over the limit and its staging file
is removed. Decoding happens only in a worker process (booths/sandbox.py), whose refusals
become the errors below.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import AsyncIterable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote

import filetype

from booths.errors import FileTooDemanding, ImageTooLarge, MetadataTooLarge, VideoTooLong
from booths.models import MediaKind
from booths.sandbox import Sandbox, SandboxRefused
from fair import uploads
from fair.config import Settings
from fair.errors import BadRequest, DomainError, ServiceUnavailable
from fair.i18n import lazy
from fair.storage import discard
from fair.web import PayloadTooLarge

SNIFF_BYTES = 262  # what filetype needs to tell every type we accept
THUMB_SIZES = {"thumb": 480, "large": 1600}
# A file opened on its own runs nothing and loads nothing (sandbox, no sources but the
# file itself); an image or a video still shows.
MEDIA_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class MediaType:
    kind: MediaKind
    content_type: str
    extension: str


ACCEPTED = {
    "image/jpeg": MediaType(MediaKind.IMAGE, "image/jpeg", "jpg"),
    "image/png": MediaType(MediaKind.IMAGE, "image/png", "png"),
    "image/webp": MediaType(MediaKind.IMAGE, "image/webp", "webp"),
    "video/mp4": MediaType(MediaKind.VIDEO, "video/mp4", "mp4"),
    "video/webm": MediaType(MediaKind.VIDEO, "video/webm", "webm"),
    "application/pdf": MediaType(MediaKind.PDF, "application/pdf", "pdf"),
}


class UnsupportedFile(DomainError):
    status = 415
    code = "unsupported_file"
    message = lazy("This file type is not accepted. Upload JPEG, PNG, WebP, MP4, WebM or PDF.")


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    message = lazy("The file is too large: at most %(limit)s MB for this kind of file.")


def sniff(head: bytes) -> MediaType | None:
    """The accepted type these first bytes belong to, or None."""
    guess = filetype.guess(head)
    return ACCEPTED.get(guess.mime) if guess else None


def limit_for(kind: MediaKind, settings: Settings) -> int:
    return {
        MediaKind.IMAGE: settings.max_image_bytes,
        MediaKind.VIDEO: settings.max_video_bytes,
        MediaKind.PDF: settings.max_pdf_bytes,
    }[kind]


def largest_limit(settings: Settings) -> int:
    return max(settings.max_image_bytes, settings.max_video_bytes, settings.max_pdf_bytes)


def clean_filename(name: str) -> str:
    """A display name only (never a path): no directories, no control characters, no
    bidirectional overrides (which show "gnp.exe" behind U+202E as "exe.png")."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", name)
    name = name.strip(" .")
    return name[:120] or "file"


@dataclass
class ReceivedFile:
    """One file of an upload, streamed into its staging file on this machine's disk."""

    path: Path
    media_type: MediaType
    size: int
    sha256: str
    filename: str


@dataclass
class ReceivedUpload(ReceivedFile):
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class ReceivedFiles:
    files: list[ReceivedFile]
    fields: dict[str, str]


@dataclass(frozen=True)
class UploadRules:
    """What an upload may hold: the types accepted (from what ``sniff`` tells), each one's
    size limit, how many files, how long a text field; and the errors that refuse the rest."""

    limit: Callable[[MediaType], int]
    accepted: Collection[str] = tuple(ACCEPTED)
    max_files: int = 1
    field_bytes: int = uploads.MAX_FIELD_BYTES
    unsupported: Callable[[], DomainError] = UnsupportedFile
    too_large: str = FileTooLarge.message
    too_many: Callable[[], DomainError] = uploads.one_at_a_time


def booth_rules(settings: Settings) -> UploadRules:
    return UploadRules(limit=lambda media_type: limit_for(media_type.kind, settings))


class _StagedFile:
    """One file part streamed into its staging file: its type sniffed from the first bytes
    (refused unless ``rules`` accept it), its size held to that type's limit, its SHA-256
    taken on the way."""

    def __init__(self, path: Path, filename: str, rules: UploadRules) -> None:
        self.rules = rules
        self.path = path
        self.filename = clean_filename(filename)
        self.head = bytearray()
        self.media_type: MediaType | None = None
        self.size = 0
        self.hash = hashlib.sha256()
        self.file: IO[bytes] = path.open("wb")

    def write(self, chunk: bytes) -> None:
        if self.media_type is None:
            self.head += chunk
            if len(self.head) >= SNIFF_BYTES:
                self._decide_type()
        self.size += len(chunk)
        if self.media_type is not None:
            self._check_size()
        self.hash.update(chunk)
        self.file.write(chunk)

    def _decide_type(self) -> None:
        self.media_type = sniff(bytes(self.head[:SNIFF_BYTES]))
        if self.media_type is None or self.media_type.content_type not in self.rules.accepted:
            raise self.rules.unsupported()

    def _check_size(self) -> None:
        assert self.media_type is not None
        limit = self.rules.limit(self.media_type)
        if self.size > limit:
            raise FileTooLarge(self.rules.too_large, limit=limit // (1024 * 1024))

    def close(self) -> None:
        if self.media_type is None:  # a file shorter than the sniffing window
            self._decide_type()
            self._check_size()
        self.file.close()

    def discard(self) -> None:
        self.file.close()
        discard(self.path)

    def received(self) -> ReceivedFile:
        assert self.media_type is not None
        return ReceivedFile(
            self.path, self.media_type, self.size, self.hash.hexdigest(), self.filename
        )


async def receive_files(
    body: AsyncIterable[bytes],
    *,
    content_type: str,
    rules: UploadRules,
    staging: Callable[[], Path],
) -> ReceivedFiles:
    """Stream a multipart body's files into staging files (``staging`` names each), by
    ``rules``; on any failure every staging file is gone. No file at all is no error here."""
    received = await uploads.receive(
        body,
        content_type=content_type,
        open_file=lambda filename: _StagedFile(staging(), filename, rules),
        not_multipart=UnsupportedFile,
        max_files=rules.max_files,
        field_bytes=rules.field_bytes,
        too_many=rules.too_many,
    )
    return ReceivedFiles([part.received() for part in received.files], received.fields)


async def receive_upload(
    body: AsyncIterable[bytes], *, content_type: str, settings: Settings, staging: Path
) -> ReceivedUpload:
    """Stream a booth's one-file multipart body into ``staging``; on any failure the staging
    file is gone."""
    received = await receive_files(
        body, content_type=content_type, rules=booth_rules(settings), staging=lambda: staging
    )
    if not received.files:
        raise BadRequest(lazy("Choose a file to upload."), field="file")
    (one,) = received.files
    return ReceivedUpload(
        one.path, one.media_type, one.size, one.sha256, one.filename, received.fields
    )


def refusal(refused: SandboxRefused, kind: MediaKind) -> DomainError:
    """The error a worker's refusal means for the uploader."""
    reason, params = refused.reason, refused.params
    if reason == "pixels":
        return ImageTooLarge(**params)
    if reason == "metadata":
        return MetadataTooLarge()
    if reason == "too_long":
        return VideoTooLong(**params)
    if reason in {"memory", "time", "crashed"}:
        return FileTooDemanding()
    if reason == "unavailable":
        return ServiceUnavailable()
    if kind == MediaKind.VIDEO:
        return UnsupportedFile(
            lazy("This is not a playable video: upload MP4 or WebM with a video track.")
        )
    return UnsupportedFile(lazy("The image is damaged or not a real image."))


async def check_file(
    sandbox: Sandbox, source: Path, media_type: MediaType, target: Path
) -> tuple[Path, int | None, int | None]:
    """Check an upload in a media worker: an image is re-encoded into ``target`` (without
    EXIF, upright), a video parsed and its first frame decoded, a PDF kept as sent. Returns
    the file to keep and its width and height (None for a PDF)."""
    try:
        if media_type.kind == MediaKind.IMAGE:
            size = await sandbox.run(
                "sanitize_image",
                source=str(source),
                target=str(target),
                content_type=media_type.content_type,
                max_image_bytes=sandbox.limits.max_image_bytes,
            )
            return target, size["width"], size["height"]
        if media_type.kind == MediaKind.VIDEO:
            size = await sandbox.run(
                "probe_video",
                source=str(source),
                content_type=media_type.content_type,
                max_seconds=sandbox.limits.max_video_seconds,
            )
            return source, size["width"], size["height"]
    except SandboxRefused as refused:
        raise refusal(refused, media_type.kind) from None
    return source, None, None


async def make_thumbnail(
    sandbox: Sandbox, source: Path, content_type: str, target: Path, size: int
) -> tuple[int, int]:
    """A WebP no larger than ``size`` on its long side in ``target``; the original's width
    and height. ``UnsupportedFile`` (or another refusal) when the worker cannot make it."""
    try:
        original = await sandbox.run(
            "thumbnail",
            source=str(source),
            target=str(target),
            content_type=content_type,
            size=size,
            max_image_bytes=sandbox.limits.max_image_bytes,
        )
    except SandboxRefused as refused:
        raise refusal(refused, MediaKind.IMAGE) from None
    return original["width"], original["height"]


def download_name(filename: str, media_type: MediaType | None, fallback: str) -> str:
    """The name a file is saved under: the uploader's name without its extension, and the
    extension of the type sniffed from its content (a PDF named ``page.html`` saves as
    ``page.pdf``)."""
    stem = clean_filename(filename).rsplit(".", 1)[0] if filename else ""
    extension = media_type.extension if media_type else "bin"
    return f"{stem or fallback}.{extension}"


def content_disposition(disposition: str, name: str) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the real one as RFC 5987's
    ``filename*``, percent-encoded; nothing of the name can end the header or the value."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+,-]", "_", name).strip(" ._") or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def blob_key(sha256: str, media_type: MediaType) -> str:
    return f"originals/{sha256[:2]}/{sha256}.{media_type.extension}"


def variant_key(sha256: str, variant: str) -> str:
    return f"variants/{sha256[:2]}/{sha256}-{variant}.webp"
