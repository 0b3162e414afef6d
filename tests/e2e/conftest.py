"""Browser end-to-end fixtures: the real app (``fair migrate``, ``fair demo``, ``fair serve``;
tests/e2e_server.py) in a subprocess on a free port, driven by playwright with Debian's
Chromium.

Nothing is downloaded: the browser is /usr/bin/chromium (scripts/install-chromium). Without
it, or without the playwright package, these tests skip, and fail under CI=true."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_server import REPO, Served, demo_server, new_context
from helpers import missing

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_DIR = REPO / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app, migrated and loaded with the demo programme, at the real time.
    (tests/e2e/test_meetings.py overrides it with one server per phase of a month.)"""
    tmp = tmp_path_factory.mktemp("e2e")
    with demo_server(tmp, tmp / "e2e.db") as server:
        yield server


@pytest.fixture
def live_server(served: Served) -> str:
    """Base URL of the demo server."""
    return served.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        missing(f"playwright is not installed ({exc}): pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        missing("Debian chromium not installed: run scripts/install-chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any, served: Served) -> Iterator[Any]:
    """A fresh browser profile per test (no cookies), English, a desktop-sized window."""
    context = new_context(
        browser,
        served,
        locale="en-US",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 800},
    )
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
