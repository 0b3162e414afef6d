"""Small real files for the media tests, made in memory."""

from __future__ import annotations

import functools
import io

import av
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


@functools.cache
def video(container: str, codec: str, frames: int = 4, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real little video (PyAV, which aiortc brings): ``frames`` frames at 10 a second."""
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for number in range(frames):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(bytes((number * 40 + i) % 251 for i in range(plane.buffer_size)))
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()


def mp4(payload: int = 4096) -> bytes:
    """A real H.264 MP4 of about ``payload`` bytes or more."""
    return video("mp4", "libx264", frames=max(2, payload // 600))


def webm() -> bytes:
    return video("webm", "libvpx")


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n" + b"%" * 300 + b"\n%%EOF\n"


def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400
