"""Receiving an invitation list: a multipart body of one small file and a few fields, read
into memory up to a cap (the file is at most ``FAIR_INVITATION_IMPORT_MAX_BYTES``; the
booths' streaming upload is for media files of hundreds of megabytes)."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from fair.errors import BadRequest, DomainError
from fair.i18n import lazy
from fair.web import PayloadTooLarge, UnsupportedMediaType

MAX_FIELDS = 8
MAX_FIELD_BYTES = 2000
OVERHEAD = 64 * 1024  # boundaries and the small fields around the file


class ListTooLarge(PayloadTooLarge):
    code = "import_too_large"
    message = lazy("The file is too large: at most %(limit)s MB.")


@dataclass
class Upload:
    data: bytes = b""
    has_file: bool = False
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """Callbacks for python-multipart's parser: one file part, a few short text fields."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.upload = Upload()
        self.headers: dict[bytes, bytes] = {}
        self._name = b""
        self._value = b""
        self.part = ""
        self.is_file = False
        self.buffer = bytearray()

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
        self.headers, self.buffer = {}, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self._name.lower()] = self._value
        self._name = self._value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.part = options.get(b"name", b"").decode("utf-8", "replace")
        self.is_file = options.get(b"filename") is not None
        if self.is_file and self.upload.has_file:
            raise BadRequest(lazy("Upload one file at a time."))
        if not self.is_file and len(self.upload.fields) >= MAX_FIELDS:
            raise BadRequest(lazy("The upload has too many fields."))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.buffer += data[start:end]
        if self.is_file and len(self.buffer) > self.limit:
            raise ListTooLarge(limit=round(self.limit / 1_000_000, 1))
        if not self.is_file and len(self.buffer) > MAX_FIELD_BYTES:
            raise BadRequest(lazy("A form field of the upload is too long."))

    def on_part_end(self) -> None:
        if self.is_file:
            self.upload.data, self.upload.has_file = bytes(self.buffer), True
        elif self.part:
            text = self.buffer.decode("utf-8", "replace").replace("\x00", "")
            self.upload.fields[self.part] = text.strip()


async def read_upload(
    body: AsyncIterable[bytes], *, content_type: str, declared: str, limit: int
) -> Upload:
    """The file and fields of a multipart body: 413 past ``limit`` bytes of file (at once
    when the body declares more), 415 for another content type, 400 when unreadable or
    without a file."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(lazy("Send the file as multipart/form-data."))
    if declared.isdigit() and int(declared) > limit + OVERHEAD:
        raise ListTooLarge(limit=round(limit / 1_000_000, 1))
    parts = _Parts(limit)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit + OVERHEAD:
                raise ListTooLarge(limit=round(limit / 1_000_000, 1))
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise BadRequest(lazy("The upload could not be read.")) from None
    except DomainError:
        raise
    if not parts.upload.has_file or not parts.upload.data:
        raise BadRequest(lazy("Choose a file to upload."), field="file")
    return parts.upload
