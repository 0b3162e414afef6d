"""Receiving an invitation list: a multipart body of one small file and a few fields, read
into memory up to a cap (the file is at most ``FAIR_INVITATION_IMPORT_MAX_BYTES``), by the
receiver every upload shares (``fair.uploads``)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from fair import uploads
from fair.errors import BadRequest, DomainError
from fair.i18n import lazy
from fair.web import PayloadTooLarge, UnsupportedMediaType


class ListTooLarge(PayloadTooLarge):
    code = "import_too_large"
    message = lazy("The file is too large: at most %(limit)s MB.")


@dataclass
class Upload:
    data: bytes
    fields: dict[str, str]


class _InMemory:
    """The list's one file part, kept in memory up to ``limit`` bytes."""

    def __init__(self, limit: int, too_large: Callable[[], DomainError]) -> None:
        self.limit = limit
        self.too_large = too_large
        self.data = bytearray()

    def write(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            raise self.too_large()

    def close(self) -> None:
        return None

    def discard(self) -> None:
        self.data = bytearray()


async def _capped(
    body: AsyncIterable[bytes], most: int, too_large: Callable[[], DomainError]
) -> AsyncIterator[bytes]:
    """The body, refused once more than ``most`` bytes came (whatever they are: fields,
    boundaries), so the whole of it is never more than the file and a little."""
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > most:
            raise too_large()
        yield chunk


async def read_upload(
    body: AsyncIterable[bytes], *, content_type: str, declared: str, limit: int
) -> Upload:
    """The file and fields of a multipart body: 413 past ``limit`` bytes of file (at once
    when the body declares more), 415 for another content type, 400 when unreadable or
    without a file."""

    def too_large() -> DomainError:
        return ListTooLarge(limit=round(limit / 1_000_000, 1))

    most = limit + uploads.OVERHEAD
    uploads.boundary_of(content_type, UnsupportedMediaType)  # 415 before the length's 413
    if uploads.declared_over(declared, most):
        raise too_large()
    received = await uploads.receive(
        _capped(body, most, too_large),
        content_type=content_type,
        open_file=lambda _filename: _InMemory(limit, too_large),
        not_multipart=UnsupportedMediaType,
    )
    data = bytes(received.files[0].data) if received.files else b""
    if not data:
        raise BadRequest(lazy("Choose a file to upload."), field="file")
    return Upload(data, received.fields)
