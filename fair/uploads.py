"""Receiving a multipart upload (a booth's media, a conversation's files, an invitation
list): python-multipart's streaming parser with the callbacks they all share.

A few short text fields are kept; each file part streams into a part the caller opens (a
staging file on disk for media, memory for a small list), which holds its own type and size
limits and raises to refuse; at most ``max_files`` of them. On any failure every part is
discarded, so nothing of a refused upload stays. Where the CSRF token may be is
``fair.web.check_upload_csrf``'s question, asked by the endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from fair.errors import BadRequest, DomainError
from fair.i18n import lazy

MAX_FIELDS = 8
MAX_FIELD_BYTES = 2000
OVERHEAD = 64 * 1024  # multipart boundaries and the small fields around the files
NOT_MULTIPART = lazy("Send the file as multipart/form-data.")


class FilePart(Protocol):
    """Where one file part's bytes go while they stream in."""

    def write(self, chunk: bytes) -> None:
        """More of the part; raises a ``DomainError`` to refuse the upload."""
        ...

    def close(self) -> None:
        """The part ended whole: its last checks."""
        ...

    def discard(self) -> None:
        """The upload failed: nothing of this part may stay."""
        ...


Part = TypeVar("Part", bound=FilePart)


def one_at_a_time() -> DomainError:
    return BadRequest(lazy("Upload one file at a time."))


def declared_over(content_length: str, most: int) -> bool:
    """Whether a request's Content-Length already says more than ``most`` bytes: refused
    before a byte of the body is read."""
    return content_length.isdigit() and int(content_length) > most


@dataclass
class Received(Generic[Part]):
    files: list[Part]
    fields: dict[str, str]


class _Receiver(Generic[Part]):
    """Callbacks for python-multipart's parser: file parts into ``open_file``'s parts,
    short text fields into ``fields``."""

    def __init__(
        self,
        open_file: Callable[[str], Part],
        *,
        max_files: int,
        field_bytes: int,
        too_many: Callable[[], DomainError],
    ) -> None:
        self.open_file = open_file
        self.max_files = max_files
        self.field_bytes = field_bytes
        self.too_many = too_many
        self.fields: dict[str, str] = {}
        self.files: list[Part] = []
        self.current: Part | None = None  # the file part streaming in
        self.headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self.part_name = ""
        self.part_buffer = bytearray()

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
            if len(self.files) >= self.max_files:
                raise self.too_many()
            self.current = self.open_file(filename.decode("utf-8", "replace"))
        elif len(self.fields) >= MAX_FIELDS:
            raise BadRequest(lazy("The upload has too many fields."))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.current is not None:
            self.current.write(chunk)
            return
        self.part_buffer += chunk
        if len(self.part_buffer) > self.field_bytes:
            raise BadRequest(lazy("A form field of the upload is too long."))

    def on_part_end(self) -> None:
        if self.current is not None:
            self.current.close()  # a refusal here leaves it current: discarded below
            self.files.append(self.current)
            self.current = None
        elif self.part_name:
            text = self.part_buffer.decode("utf-8", "replace").replace("\x00", "")  # PostgreSQL
            self.fields[self.part_name] = text.strip()

    def discard_all(self) -> None:
        if self.current is not None:
            self.current.discard()
            self.current = None
        for part in self.files:
            part.discard()


def boundary_of(content_type: str, not_multipart: Callable[[str], DomainError]) -> bytes:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise not_multipart(NOT_MULTIPART)
    return boundary


async def receive(
    body: AsyncIterable[bytes],
    *,
    content_type: str,
    open_file: Callable[[str], Part],
    not_multipart: Callable[[str], DomainError],
    max_files: int = 1,
    field_bytes: int = MAX_FIELD_BYTES,
    too_many: Callable[[], DomainError] = one_at_a_time,
) -> Received[Part]:
    """Stream a multipart body: each file part into ``open_file(its name as sent)``, up to
    ``max_files`` (more: ``too_many``), and a few text fields of at most ``field_bytes``.
    Another content type is ``not_multipart``'s error; a body that cannot be read, or ends
    inside a file, a 400. On any failure every part is discarded. No file at all is no
    error here."""
    receiver = _Receiver(open_file, max_files=max_files, field_bytes=field_bytes, too_many=too_many)
    parser = MultipartParser(boundary_of(content_type, not_multipart), receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
        if receiver.current is not None:  # the body ended inside a file part
            raise MultipartParseError("unfinished file part")
    except MultipartParseError:
        receiver.discard_all()
        raise BadRequest(lazy("The upload could not be read.")) from None
    except BaseException:
        receiver.discard_all()
        raise
    return Received(receiver.files, receiver.fields)
