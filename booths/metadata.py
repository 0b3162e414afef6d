"""Metadata caps, checked on the raw bytes before Pillow reads any of it.

Pillow copies every EXIF tag's value out of the file, so a directory whose tags all point at
one large block costs the block once per tag (a 1 MB PNG grew a process by 800 MB); text and
colour-profile chunks are inflated before anything looks at their size. Here the containers
(JPEG segments, PNG chunks, WebP's RIFF chunks) are walked without decoding anything:
metadata is refused when it is larger than ``MAX_METADATA_BYTES`` in all (compressed chunks
counted inflated, inflating stops at the cap), when an EXIF or MPF directory holds more than
``MAX_TAGS`` tags or ``MAX_DIRECTORIES`` directories, or when its tags' values together are
larger than the block they live in (which only overlapping values can be).
"""

from __future__ import annotations

import struct
import zlib

MAX_METADATA_BYTES = 1024 * 1024
MAX_TAGS = 2000
MAX_DIRECTORIES = 16
# Bytes per value of each TIFF field type (the types Pillow reads; others it skips).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
# Tags whose value is the offset of another directory Pillow may read.
SUB_DIRECTORIES = {0x8769, 0x8825, 0xA005, 0x014A}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"}


class MetadataRefused(ValueError):
    """The file's metadata is over a cap (or too malformed to measure)."""


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_METADATA_BYTES

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise MetadataRefused("metadata larger than the cap")

    def inflate(self, data: bytes) -> None:
        """Count a zlib stream's inflated size, inflating no further than the budget left."""
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, self.left + 1)
        except zlib.error:
            return  # not inflatable: Pillow ignores or refuses it, at no cost
        self.spend(len(out))


def check_metadata(data: bytes, content_type: str) -> None:
    """Raise ``MetadataRefused`` when the image's metadata is over a cap."""
    budget = _Budget()
    if content_type == "image/jpeg":
        _check_jpeg(data, budget)
    elif content_type == "image/png":
        _check_png(data, budget)
    elif content_type == "image/webp":
        _check_webp(data, budget)


def _check_jpeg(data: bytes, budget: _Budget) -> None:
    exif = b""
    position = 2  # after SOI
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            position += 1  # Pillow skips stray bytes between segments too
            continue
        marker = data[position + 1]
        if marker in (0xFF, 0x00, 0x01) or 0xD0 <= marker <= 0xD8:
            position += 1 if marker == 0xFF else 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: Pillow reads no further
            break
        (length,) = struct.unpack_from(">H", data, position + 2)
        segment = data[position + 4 : position + 2 + length]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            budget.spend(len(segment))
            if marker == 0xE1 and segment.startswith(b"Exif\0\0"):
                # Pillow joins every Exif segment into one block.
                exif += segment[6:] if exif else segment
            elif marker == 0xE2 and segment.startswith(b"MPF\0"):
                check_tiff(segment[4:])
        position += 2 + length
    if exif:
        check_tiff(exif)


def _check_png(data: bytes, budget: _Budget) -> None:
    if not data.startswith(PNG_SIGNATURE):
        return
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind not in PNG_TEXT:
            continue
        budget.spend(len(body))
        if kind == b"eXIf":
            check_tiff(body)
        elif kind in (b"zTXt", b"iCCP"):
            # keyword, NUL, compression method, then the zlib stream
            _, _, rest = body.partition(b"\0")
            budget.inflate(rest[1:])
        elif kind == b"iTXt":
            _, _, rest = body.partition(b"\0")
            if rest[:1] == b"\x01":  # compressed: flag, method, language\0, keyword\0, text
                _, _, after_language = rest[2:].partition(b"\0")
                _, _, text = after_language.partition(b"\0")
                budget.inflate(text)


def _check_webp(data: bytes, budget: _Budget) -> None:
    position = 12  # RIFF, size, WEBP
    while position + 8 <= len(data):
        kind, length = struct.unpack_from("<4sI", data, position)
        body = data[position + 8 : position + 8 + length]
        position += 8 + length + (length & 1)
        if kind in (b"EXIF", b"ICCP", b"XMP "):
            budget.spend(len(body))
            if kind == b"EXIF":
                check_tiff(body.removeprefix(b"Exif\0\0"))


def check_tiff(block: bytes) -> None:
    """An EXIF or MPF block (a TIFF header and directories, offsets from its start): at
    most ``MAX_DIRECTORIES`` directories and ``MAX_TAGS`` tags, and no more value bytes
    than the block holds."""
    block = block.removeprefix(b"Exif\0\0")
    if len(block) < 8:
        return  # no directory to read
    if block[:4] in (b"MM\0+", b"II+\0"):
        raise MetadataRefused("BigTIFF metadata")  # no camera writes it; not worth parsing
    if block[:4] == b"MM\0*":
        endian = ">"
    elif block[:4] == b"II*\0":
        endian = "<"
    else:
        return  # not TIFF: Pillow cannot read it either
    (first,) = struct.unpack_from(endian + "I", block, 4)
    pending, seen = [first], set()
    tags = value_bytes = 0
    while pending:
        offset = pending.pop()
        if offset == 0 or offset in seen or offset + 2 > len(block):
            continue
        seen.add(offset)
        if len(seen) > MAX_DIRECTORIES:
            raise MetadataRefused("too many metadata directories")
        (count,) = struct.unpack_from(endian + "H", block, offset)
        tags += count
        if tags > MAX_TAGS:
            raise MetadataRefused("too many metadata tags")
        for index in range(count):
            entry = offset + 2 + 12 * index
            if entry + 12 > len(block):
                break
            tag, kind, number, value = struct.unpack_from(endian + "HHII", block, entry)
            size = number * TYPE_SIZES.get(kind, 0)
            if size > 4:
                value_bytes += size
                if value_bytes > len(block):
                    raise MetadataRefused("metadata values overlap")
            if tag in SUB_DIRECTORIES and kind in (4, 13) and number >= 1:
                pending.append(value)
        after = offset + 2 + 12 * count
        if after + 4 <= len(block):
            pending.append(struct.unpack_from(endian + "I", block, after)[0])
