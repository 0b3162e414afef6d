"""Hostile files for the upload tests, built in memory with Pillow, zlib and struct.

Each is small on the wire and expensive to whoever decodes it naively: EXIF whose tags all
point at one large block (Pillow copies the block once per tag), text and colour-profile
chunks that inflate past 1 MB, a PNG of 7071 x 7071 RGBA pixels in 190 KB, an MP4 header
followed by HTML, a PDF that is an HTML page too.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

from PIL import Image, PngImagePlugin

INFLATED = 2 * 1024 * 1024  # what the text and profile bombs inflate to: past 1 MB


def exif_bomb(tags: int, block: int) -> bytes:
    """A TIFF block (as EXIF holds it) with ``tags`` distinct tags, each a ``block``-byte
    value at the same offset."""
    directory = 2 + 12 * tags + 4
    offset = 8 + directory
    entries = b"".join(struct.pack(">HHII", 0x1000 + n, 7, block, offset) for n in range(tags))
    return b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", tags) + entries + bytes(4 + block)


def _picture() -> Image.Image:
    return Image.new("RGB", (16, 16), (200, 30, 30))


@functools.cache
def png_with_exif_bomb(tags: int = 300, block: int = 100_000) -> bytes:
    out = io.BytesIO()
    _picture().save(out, "PNG", exif=exif_bomb(tags, block))
    return out.getvalue()


@functools.cache
def webp_with_exif_bomb(tags: int = 300, block: int = 100_000) -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=exif_bomb(tags, block))
    return out.getvalue()


@functools.cache
def jpeg_with_exif_bomb(tags: int = 300, block: int = 100_000) -> bytes:
    """EXIF past a JPEG segment's 64 KB: Pillow joins consecutive Exif segments."""
    out = io.BytesIO()
    _picture().save(out, "JPEG")
    plain = out.getvalue()
    exif = exif_bomb(tags, block)
    step = 65_000
    segments = b""
    for start in range(0, len(exif), step):
        body = b"Exif\0\0" + exif[start : start + step]
        segments += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return plain[:2] + segments + plain[2:]


@functools.cache
def png_with_ztxt_bomb() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a" * INFLATED, zip=True)
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info)
    return out.getvalue()


@functools.cache
def png_with_itxt_bomb() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", "a" * INFLATED, lang="en", zip=True)
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info)
    return out.getvalue()


@functools.cache
def png_with_iccp_bomb() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "PNG", icc_profile=b"\0" * INFLATED)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def pixel_bomb(side: int = 7071) -> bytes:
    """A ``side`` x ``side`` RGBA PNG of blank rows: 200 MB of pixels in about 190 KB."""
    row = bytes(1 + 4 * side)  # filter byte, then RGBA zeros
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"


def mp4_header_then_html() -> bytes:
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return ftyp + HTML * 100


def pdf_html_polyglot() -> bytes:
    """Starts as a PDF (so it is sniffed as one) and is an HTML page to a browser."""
    return b"%PDF-1.4\n" + HTML + b"1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b" " * 300
