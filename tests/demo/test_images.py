"""The demo fair's drawn pictures: every cover and product photo is a JPEG of the right size,
the same arguments give the same bytes (in any process), products look different from each
other, and indexes outside the demo data are refused."""

from __future__ import annotations

import functools
import hashlib
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from demo.booths import brochure_pdf
from demo.data import EXHIBITORS
from demo.images import (
    LICENSE_NOTE,
    booth_cover,
    draw_box,
    drawing_for,
    product_photo,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = [(i, j) for i, e in enumerate(EXHIBITORS) for j in range(len(e.products))]


# Each picture is drawn once per test run and shared between the tests.
@functools.cache
def cover(index: int) -> bytes:
    return booth_cover(index)


@functools.cache
def photo(exhibitor: int, product: int) -> bytes:
    return product_photo(exhibitor, product)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_plain_jpeg(data: bytes, size: tuple[int, int]) -> None:
    image = decode(data)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", size)
    assert not image.getexif()
    assert "exif" not in image.info


@pytest.mark.parametrize("index", range(len(EXHIBITORS)))
def test_every_cover_is_a_1600_by_900_jpeg(index):
    assert_plain_jpeg(cover(index), (1600, 900))


@pytest.mark.parametrize(("exhibitor", "product"), PRODUCTS)
def test_every_product_photo_is_a_1000_pixel_square_jpeg(exhibitor, product):
    assert_plain_jpeg(photo(exhibitor, product), (1000, 1000))


def test_same_arguments_give_the_same_bytes():
    assert booth_cover(3) == cover(3)
    assert product_photo(4, 1) == photo(4, 1)


def test_output_does_not_depend_on_the_process():
    script = (
        "import hashlib\n"
        "from demo.images import booth_cover, product_photo\n"
        "print(hashlib.sha256(booth_cover(9)).hexdigest())\n"
        "print(hashlib.sha256(product_photo(7, 0)).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [hashlib.sha256(data).hexdigest() for data in (cover(9), photo(7, 0))]
    assert result.stdout.split() == expected


def changed_share(a: bytes, b: bytes) -> float:
    """The share of pixels that differ clearly (not just by JPEG noise) between two pictures."""
    difference = ImageChops.difference(decode(a), decode(b)).convert("L").histogram()
    return sum(difference[32:]) / sum(difference)


@pytest.mark.parametrize("index", range(len(EXHIBITORS)))
def test_products_of_one_company_look_different(index):
    count = len(EXHIBITORS[index].products)
    for first in range(count):
        for second in range(first + 1, count):
            assert changed_share(photo(index, first), photo(index, second)) > 0.01


def test_companies_get_different_covers():
    covers = [cover(i) for i in range(len(EXHIBITORS))]
    assert all(changed_share(covers[i - 1], covers[i]) > 0.05 for i in range(1, len(covers)))


@pytest.mark.parametrize(("exhibitor", "product"), PRODUCTS)
def test_every_demo_product_has_a_drawing_of_its_own(exhibitor, product):
    item = EXHIBITORS[exhibitor].products[product]
    assert drawing_for(item.name["en"], item.hs_code) is not draw_box


def test_unknown_products_get_the_packaged_box():
    assert drawing_for("Mystery Widget", "999999") is draw_box
    assert drawing_for("Mystery Widget", "821100") is not draw_box  # known HS heading


@pytest.mark.parametrize("index", [-1, len(EXHIBITORS), 10_000])
def test_cover_of_an_unknown_exhibitor_is_an_index_error(index):
    with pytest.raises(IndexError):
        booth_cover(index)


@pytest.mark.parametrize(
    ("exhibitor", "product"),
    [(-1, 0), (len(EXHIBITORS), 0), (0, -1), (0, len(EXHIBITORS[0].products)), (0, 99)],
)
def test_photo_of_an_unknown_product_is_an_index_error(exhibitor, product):
    with pytest.raises(IndexError):
        product_photo(exhibitor, product)


def test_license_note_is_one_sentence_about_cc0():
    assert "CC0 1.0" in LICENSE_NOTE
    assert LICENSE_NOTE.count(". ") == 0 and LICENSE_NOTE.endswith(".")


def test_a_brochure_is_the_same_bytes_whatever_the_machines_clock(monkeypatch):
    """Pillow would stamp the wall-clock time into the PDF: then every demo load stored a new
    file and the stored hashes never matched."""
    first = brochure_pdf(0)
    monkeypatch.setattr(time, "gmtime", lambda *_: time.struct_time((1999, 1, 2, 3, 4, 5, 5, 2, 0)))
    assert brochure_pdf(0) == first
