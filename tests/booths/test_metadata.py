"""The metadata caps on raw bytes (booths/metadata.py): ordinary files pass, bombs and
loops are refused without Pillow reading anything."""

from __future__ import annotations

import io
import struct

import pytest
from hostile_files import exif_bomb, png_with_exif_bomb, png_with_ztxt_bomb
from media_files import jpeg_with_gps
from PIL import Image, ImageCms

from booths.metadata import MAX_TAGS, MetadataRefused, check_metadata, check_tiff


def saved(kind: str, **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 80)).save(out, kind, **options)
    return out.getvalue()


def srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (jpeg_with_gps(), "image/jpeg"),
        (saved("JPEG", icc_profile=srgb(), comment=b"made by a scanner"), "image/jpeg"),
        (saved("PNG", icc_profile=srgb(), exif=Image.Exif().tobytes()), "image/png"),
        (saved("WEBP", icc_profile=srgb(), exif=exif_bomb(1, 100)), "image/webp"),
    ],
    ids=["camera JPEG", "JPEG with profile", "PNG with profile", "WebP with EXIF"],
)
def test_ordinary_metadata_passes(data, content_type):
    check_metadata(data, content_type)


def test_tags_sharing_one_block_are_refused_whatever_their_number():
    check_tiff(exif_bomb(1, 500_000))  # one tag, its own block: fine
    with pytest.raises(MetadataRefused):
        check_tiff(exif_bomb(2, 500_000))  # two tags, one block: overlapping values
    with pytest.raises(MetadataRefused):
        check_tiff(exif_bomb(MAX_TAGS + 1, 1))


def test_directories_that_point_at_each_other_end():
    # IFD0 at 8 has no tags and names itself as the next directory.
    looping = b"II*\0" + struct.pack("<I", 8) + struct.pack("<HI", 0, 8)
    check_tiff(looping)


def test_bigtiff_and_short_blocks():
    with pytest.raises(MetadataRefused):
        check_tiff(b"II+\0" + bytes(12))
    check_tiff(b"MM\0*")  # too short to hold a directory: nothing to read


def test_text_chunks_count_inflated_and_refuse_past_the_cap():
    assert len(png_with_ztxt_bomb()) < 10_000
    with pytest.raises(MetadataRefused):
        check_metadata(png_with_ztxt_bomb(), "image/png")
    with pytest.raises(MetadataRefused):
        check_metadata(png_with_exif_bomb(), "image/png")
