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
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from booths.errors import FileTooDemanding, ImageTooLarge, MetadataTooLarge, VideoTooLong
from booths.models import MediaKind
from booths.sandbox import Sandbox, SandboxRefused
from fair.config import Settings
from fair.errors import BadRequest, DomainError, ServiceUnavailable
from fair.i18n import lazy
from fair.storage import discard
from fair.web import PayloadTooLarge

SNIFF_BYTES = 262  # what filetype needs to tell every type we accept
MAX_FIELDS = 8
MAX_FIELD_BYTES = 2000
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


def _one_at_a_time() -> DomainError:
    return BadRequest(lazy("Upload one file at a time."))


@dataclass(frozen=True)
class UploadRules:
    """What an upload may hold: the types accepted (from what ``sniff`` tells), each one's
    size limit, how many files, how long a text field; and the errors that refuse the rest."""

    limit: Callable[[MediaType], int]
    accepted: Collection[str] = tuple(ACCEPTED)
    max_files: int = 1
    field_bytes: int = MAX_FIELD_BYTES
    unsupported: Callable[[], DomainError] = UnsupportedFile
    too_large: str = FileTooLarge.message
    too_many: Callable[[], DomainError] = _one_at_a_time


def booth_rules(settings: Settings) -> UploadRules:
    return UploadRules(limit=lambda media_type: limit_for(media_type.kind, settings))


class _Receiver:
    """Callbacks for python-multipart's streaming parser: up to ``rules.max_files`` file
    parts, each into a staging file of its own, and a few text fields."""

    def __init__(self, rules: UploadRules, staging: Callable[[], Path]) -> None:
        self.rules = rules
        self.staging = staging
        self.fields: dict[str, str] = {}
        self.headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self.part_name = ""
        self.part_buffer = bytearray()
        self.received: list[ReceivedFile] = []
        self.file: IO[bytes] | None = None
        self._new_file(None)

    def _new_file(self, path: Path | None) -> None:
        self.path = path
        self.filename = ""
        self.head = bytearray()
        self.media_type: MediaType | None = None
        self.size = 0
        self.hash = hashlib.sha256()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.headers = {}
        self.part_buffer = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.part_name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        # ``filename=""`` is a form's file input left empty: no file, read as a short field.
        if filename:
            if len(self.received) >= self.rules.max_files:
                raise self.rules.too_many()
            self._new_file(self.staging())
            self.filename = clean_filename(filename.decode("utf-8", "replace"))
            assert self.path is not None
            self.file = self.path.open("wb")
        elif len(self.fields) >= MAX_FIELDS:
            raise BadRequest(lazy("The upload has too many fields."))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.file is None:
            self.part_buffer += chunk
            if len(self.part_buffer) > self.rules.field_bytes:
                raise BadRequest(lazy("A form field of the upload is too long."))
            return
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

    def on_part_end(self) -> None:
        if self.file is not None:
            if self.media_type is None:  # a file shorter than the sniffing window
                self._decide_type()
                self._check_size()
            self.file.close()
            self.file = None
            assert self.path is not None and self.media_type is not None
            self.received.append(
                ReceivedFile(
                    self.path, self.media_type, self.size, self.hash.hexdigest(), self.filename
                )
            )
            self.path = None
        elif self.part_name:
            text = self.part_buffer.decode("utf-8", "replace").replace("\x00", "")  # PostgreSQL
            self.fields[self.part_name] = text.strip()

    def discard_all(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        discard(self.path)
        for received in self.received:
            discard(received.path)


def boundary_of(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnsupportedFile(lazy("Send the file as multipart/form-data."))
    return boundary


async def receive_files(
    body: AsyncIterable[bytes],
    *,
    content_type: str,
    rules: UploadRules,
    staging: Callable[[], Path],
) -> ReceivedFiles:
    """Stream a multipart body's files into staging files (``staging`` names each), by
    ``rules``; on any failure every staging file is gone. No file at all is no error here."""
    receiver = _Receiver(rules, staging)
    parser = MultipartParser(boundary_of(content_type), receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
        if receiver.file is not None:  # the body ended inside a file part
            raise MultipartParseError("unfinished file part")
    except MultipartParseError:
        receiver.discard_all()
        raise BadRequest(lazy("The upload could not be read.")) from None
    except BaseException:
        receiver.discard_all()
        raise
    return ReceivedFiles(receiver.received, receiver.fields)


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
