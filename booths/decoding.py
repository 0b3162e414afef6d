"""Decoding untrusted files: what runs inside a media worker process (booths/sandbox.py).

Each task takes paths, returns a small dict, and raises ``Refused`` with a reason the app
turns into its error. Nothing here trusts the file: metadata is measured before Pillow
reads it (booths/metadata.py), an image's decoded size before its pixels are decoded, and a
video must parse as the container its first bytes claim, hold a real video stream whose
first frame decodes, and be no longer than the limit.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageFile, ImageMode, ImageOps, PngImagePlugin

from booths.metadata import MAX_METADATA_BYTES, MetadataRefused, check_metadata

PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
VIDEO_FORMATS = {"video/mp4": "mp4", "video/webm": "webm"}
MAX_VIDEO_SIDE = 8192
# Every image becomes an RGB(A) working copy (Pillow keeps RGB in 4 bytes a pixel too).
WORKING_BYTES_PER_PIXEL = 4


class Refused(Exception):
    """The file is refused for ``reason``; ``params`` fill in the message."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def configure(max_image_bytes: int) -> None:
    """Pillow's own limits, tightened to ours (a second line behind the checks below)."""
    Image.MAX_IMAGE_PIXELS = max_image_bytes // WORKING_BYTES_PER_PIXEL
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    PngImagePlugin.MAX_TEXT_CHUNK = MAX_METADATA_BYTES
    PngImagePlugin.MAX_TEXT_MEMORY = MAX_METADATA_BYTES
    warnings.simplefilter("ignore")  # "possibly corrupt EXIF" and the like: not our log's
    av.logging.set_level(av.logging.ERROR)


def bytes_per_pixel(mode: str) -> int:
    descriptor = ImageMode.getmode(mode)
    return max(WORKING_BYTES_PER_PIXEL, len(descriptor.bands) * int(descriptor.typestr[-1]))


def _open(source: Path, content_type: str, max_image_bytes: int) -> Image.Image:
    data = source.read_bytes()  # at most the image size limit
    try:
        check_metadata(data, content_type)
    except (MetadataRefused, struct.error):
        raise Refused("metadata") from None
    try:
        image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]])
    except Image.DecompressionBombError:
        raise Refused("pixels", megapixels=_megapixels(max_image_bytes)) from None
    if image.width * image.height * bytes_per_pixel(image.mode) > max_image_bytes:
        raise Refused("pixels", megapixels=_megapixels(max_image_bytes))
    image.load()
    return image


def _megapixels(max_image_bytes: int) -> int:
    return max_image_bytes // WORKING_BYTES_PER_PIXEL // 1_000_000


def sanitize_image(source: str, target: str, content_type: str, max_image_bytes: int) -> dict:
    """Re-encode an image without EXIF (GPS, camera serials), upright, keeping its colour
    profile; its width and height."""
    with _open(Path(source), content_type, max_image_bytes) as image:
        upright = ImageOps.exif_transpose(image) or image
        options: dict[str, object] = {}
        if icc := image.info.get("icc_profile"):
            options["icc_profile"] = icc
        if content_type == "image/jpeg":
            if upright.mode not in {"RGB", "L", "CMYK"}:
                upright = upright.convert("RGB")
            options.update(quality=92, optimize=True)
            upright.save(target, "JPEG", **options)
        elif content_type == "image/png":
            upright.save(target, "PNG", optimize=True, **options)
        else:
            upright.save(target, "WEBP", quality=90, **options)
        return {"width": upright.width, "height": upright.height}


def thumbnail(source: str, target: str, content_type: str, size: int, max_image_bytes: int) -> dict:
    """A WebP no larger than ``size`` on its long side; the original's width and height."""
    with _open(Path(source), content_type, max_image_bytes) as image:
        width, height = image.size
        copy = image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB")
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)
        copy.save(target, "WEBP", quality=82, method=4)
        return {"width": width, "height": height}


def mp4_boxes_fill_the_file(path: Path) -> bool:
    """An MP4 is a sequence of boxes from the first byte to the last: a valid header
    followed by anything else (HTML, say) is not one."""
    size = path.stat().st_size
    position = 0
    with path.open("rb") as fp:
        while position < size:
            fp.seek(position)
            header = fp.read(16)
            if len(header) < 8:
                return False
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                (box_size,) = struct.unpack(">Q", header[8:])
            elif box_size == 0:
                box_size = size - position
            if box_size < 8 or position + box_size > size:
                return False
            if not all(0x20 <= byte < 0x7F for byte in kind):
                return False
            position += box_size
    return position == size


def probe_video(source: str, content_type: str, max_seconds: int) -> dict:
    """Width, height and length of a video; refused unless it is a real one."""
    path = Path(source)
    if content_type == "video/mp4" and not mp4_boxes_fill_the_file(path):
        raise Refused("video")
    try:
        # The demuxer is named, never guessed, and reads only this file: no playlists,
        # no references to other files or URLs.
        with av.open(
            str(path),
            format=VIDEO_FORMATS[content_type],
            container_options={"protocol_whitelist": "file", "enable_drefs": "0"},
        ) as container:
            if not container.streams.video:
                raise Refused("video")
            stream = container.streams.video[0]
            stream.thread_count = 1
            width, height = stream.codec_context.width, stream.codec_context.height
            if not (0 < width <= MAX_VIDEO_SIDE and 0 < height <= MAX_VIDEO_SIDE):
                raise Refused("video")
            seconds = _seconds(container, stream)
            if seconds > max_seconds:
                raise Refused("too_long", minutes=max(1, max_seconds // 60))
            container.seek(0)
            if next(iter(container.decode(stream)), None) is None:
                raise Refused("video")
    except av.FFmpegError:
        raise Refused("video") from None
    return {"width": width, "height": height, "seconds": seconds}


def _seconds(container: Any, stream: Any) -> float:
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    # Recordings (MediaRecorder's WebM) often carry no length: the last packet's time.
    last = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None and packet.time_base:
            last = max(last, float(packet.pts * packet.time_base))
    return last


TASKS = {"sanitize_image": sanitize_image, "thumbnail": thumbnail, "probe_video": probe_video}
