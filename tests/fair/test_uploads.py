"""The multipart receiver every upload shares (``fair.uploads``): what it keeps, what it
refuses with which error, and that a refused upload leaves none of its parts behind. The
three endpoints on top of it keep their own tests (booth media, conversation files,
invitation lists)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from fair import uploads
from fair.errors import BadRequest, DomainError
from fair.web import UnsupportedMediaType

BOUNDARY = "kkb"
KIND = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    named = f'; filename="{filename}"' if filename is not None else ""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{named}\r\n\r\n'
    return head.encode() + data + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Kept:
    """A file part kept in memory, remembering what became of it."""

    opened: ClassVar[list[Kept]] = []

    def __init__(self, filename: str, refuse_after: int | None = None) -> None:
        self.filename, self.refuse_after = filename, refuse_after
        self.data, self.closed, self.discarded = b"", False, False
        Kept.opened.append(self)

    def write(self, chunk: bytes) -> None:
        self.data += chunk
        if self.refuse_after is not None and len(self.data) > self.refuse_after:
            raise DomainError("too large")

    def close(self) -> None:
        self.closed = True

    def discard(self) -> None:
        self.discarded = True


@pytest.fixture(autouse=True)
def forget_parts() -> None:
    Kept.opened = []


async def chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):  # small chunks: headers split across writes
        yield data[start : start + size]


async def receive(data: bytes, **options) -> uploads.Received[Kept]:
    options.setdefault("open_file", Kept)
    return await uploads.receive(
        chunks(data), content_type=KIND, not_multipart=UnsupportedMediaType, **options
    )


async def test_files_and_short_fields_are_kept_in_order():
    got = await receive(
        form(
            part("body", b"  hello \x00 "),
            part("file", b"one", "a.pdf"),
            part("file", b"two", "b.pdf"),
            part("empty", b"", ""),  # a file input left empty is a field, no file
        ),
        max_files=2,
    )
    assert [(p.filename, p.data, p.closed) for p in got.files] == [
        ("a.pdf", b"one", True),
        ("b.pdf", b"two", True),
    ]
    assert got.fields == {"body": "hello", "empty": ""}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form(part("f", b"x", "a"), part("f", b"y", "b")), "Upload one file at a time."),
        (form(*(part(f"f{n}", b"v") for n in range(9))), "The upload has too many fields."),
        (form(part("f", b"x" * 2001)), "A form field of the upload is too long."),
        (part("f", b"x" * 20, "a")[:-2], "The upload could not be read."),  # ends in a file
        (b"not multipart at all", "The upload could not be read."),
    ],
)
async def test_a_refused_upload_discards_every_part(data, message):
    with pytest.raises(BadRequest) as refused:
        await receive(data)
    assert refused.value.msgid == message
    assert all(p.discarded for p in Kept.opened)


async def test_a_parts_own_refusal_discards_the_parts_before_it_too():
    data = form(part("f", b"small", "a"), part("f", b"x" * 100, "b"))
    with pytest.raises(DomainError, match="too large"):
        await receive(data, max_files=2, open_file=lambda name: Kept(name, refuse_after=50))
    assert len(Kept.opened) == 2 and all(p.discarded for p in Kept.opened)


async def test_another_content_type_is_the_callers_error():
    with pytest.raises(UnsupportedMediaType):
        await uploads.receive(
            chunks(b"{}"),
            content_type="application/json",
            open_file=Kept,
            not_multipart=UnsupportedMediaType,
        )
    assert uploads.declared_over("1001", 1000) and not uploads.declared_over("1000", 1000)
    assert not uploads.declared_over("", 1000) and not uploads.declared_over("-5", 1000)
