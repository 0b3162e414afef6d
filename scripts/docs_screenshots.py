#!/usr/bin/env python3
"""Copies the screenshots the browser tests take (var/screenshots/, after `make test`) that
the README shows into docs/screenshots/, cut to the top of the page and made small (WebP).
`make screenshots`; commit what changed."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "var" / "screenshots"
TARGET = REPO / "docs" / "screenshots"
# (file the tests write, name in docs/, the width shown, the height kept at that width)
CHOSEN = (
    ("booths-booth-th.png", "booth-page-th.webp", 900, 1100),
    ("meetings-picker-zh.png", "slot-picker-shanghai-zh.webp", 900, 1000),
    ("meetings-picker-chicago-390.png", "slot-picker-chicago-phone.webp", 390, 800),
    ("room-call-exhibitor.png", "video-room-ja.webp", 900, 1000),
    ("reports-dashboard-1280.png", "report-dashboard-th.webp", 900, 1000),
)


def main() -> int:
    missing = [name for name, *_ in CHOSEN if not (SOURCE / name).exists()]
    if missing:
        print(f"not in {SOURCE} (run `make test` first): {', '.join(missing)}")
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, target, width, height in CHOSEN:
        with Image.open(SOURCE / name) as shot:
            image = shot.convert("RGB")
        scale = width / image.width
        image = image.resize((width, round(image.height * scale)), Image.Resampling.LANCZOS)
        image = image.crop((0, 0, width, min(height, image.height)))
        image.save(TARGET / target, "WEBP", quality=80, method=6)
        print(f"{TARGET / target}: {(TARGET / target).stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
