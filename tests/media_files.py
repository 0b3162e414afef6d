"""Small real files for the media tests, made in memory."""

from __future__ import annotations

import io

from PIL import Image

GPS_TAG = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "Kakehashi Test Camera"  # Make
    exif[0x0112] = orientation
    exif[GPS_TAG] = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def mp4(payload: int = 4096) -> bytes:
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    mdat_size = 8 + payload
    return ftyp + mdat_size.to_bytes(4, "big") + b"mdat" + bytes(range(256)) * (payload // 256)


def webm() -> bytes:
    header = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"
    return header + b"\x00" * 400


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n" + b"%" * 300 + b"\n%%EOF\n"


def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400
