""" "Test my connection" in a real browser: Chromium's fake camera and microphone, a WebRTC
connection to the server's aiortc echo peer, the figures and the verdict. Screenshots land in
var/screenshots/ (connection-test-*.png)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e_helpers import page_language, sign_in, translate

CHROMIUM = Path("/usr/bin/chromium")
# The shared browser's arguments (tests/e2e/conftest.py), plus a fake camera and microphone
# that are allowed without a prompt.
MEDIA_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
BUYER_EMAIL = "emily.carter@pacificrim-kitchen.example"  # a demo buyer who reads English
# About 10 s of probes, a second for late replies, and the connection before them.
VERDICT_TIMEOUT_MS = 45_000
PAIR_LABELS = (
    "Direct",
    "Direct, through your router (STUN)",
    "Direct, through your router",
    "Through the relay server (TURN)",
)
CAMERA_DENIED = (
    "The browser did not allow the camera or the microphone, so only your network is tested. "
    "To be seen and heard in meetings, allow them in the browser's site settings."
)
DENY_CAMERA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


@pytest.fixture(scope="module")
def media_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium from the shared playwright (one sync playwright per process)."""
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=MEDIA_ARGS
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def context(media_browser: Any, live_server: str) -> Iterator[Any]:
    context = media_browser.new_context(
        base_url=live_server,
        locale="en-US",
        timezone_id="America/Los_Angeles",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def start_the_test(page: Page) -> str:
    """Open the page as the demo buyer and start the test; returns the page's language."""
    sign_in(page, BUYER_EMAIL)
    page.goto("/connection-test")
    lang = page_language(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(translate(lang, "Test my connection"))
    page.get_by_role("button", name=translate(lang, "Start the test")).click()
    return lang


def wait_for_the_verdict(page: Page) -> None:
    expect(page.locator("#ct-verdict")).to_be_visible(timeout=VERDICT_TIMEOUT_MS)


def expect_a_ready_connection(page: Page, lang: str) -> None:
    verdict = page.locator("#ct-verdict")
    expect(verdict).to_have_attribute("data-verdict", "ready")
    expect(verdict).to_have_text(translate(lang, "Your connection is ready for video meetings"))
    expect(page.locator("#ct-rtt")).to_have_text(re.compile(r"^\d[\d,.]*\s?ms$"))
    expect(page.locator("#ct-jitter")).to_have_text(re.compile(r"^\d[\d,.]*\s?ms$"))
    expect(page.locator("#ct-loss")).to_have_text(re.compile(r"^\d[\d,.]*\s?%$"))
    labels = "|".join(re.escape(translate(lang, label)) for label in PAIR_LABELS)
    expect(page.locator("#ct-pair")).to_have_text(re.compile(f"^({labels})$"))
    expect(page.locator("#ct-relay")).to_have_text(translate(lang, "Not needed"))
    results = page.get_by_role("status").filter(has=page.locator("#ct-verdict"))
    expect(results).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("button", name=translate(lang, "Run the test again"))).to_be_enabled()


def test_the_connection_test_reports_a_ready_connection(page: Page, screenshot_dir: Path) -> None:
    lang = start_the_test(page)
    # While it measures, the user sees their own camera and the figures filling in.
    expect(page.locator("#ct-preview-box")).to_be_visible()
    expect(page.locator("#ct-rtt")).to_have_text(re.compile(r"ms$"))
    page.screenshot(path=screenshot_dir / "connection-test-running.png", full_page=True)
    wait_for_the_verdict(page)
    expect_a_ready_connection(page, lang)
    expect(page.locator("#ct-camera-note")).to_have_text(
        translate(lang, "Your camera and microphone work.")
    )
    expect(page.locator("#ct-preview-box")).to_be_hidden()  # the camera is off again
    page.screenshot(path=screenshot_dir / "connection-test-ready.png", full_page=True)


def test_without_the_camera_the_network_is_still_tested_on_a_phone(
    context: Any, screenshot_dir: Path
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.add_init_script(DENY_CAMERA)
    lang = start_the_test(page)
    wait_for_the_verdict(page)
    expect_a_ready_connection(page, lang)
    expect(page.locator("#ct-camera-note")).to_have_text(translate(lang, CAMERA_DENIED))
    expect(page.locator("#ct-preview-box")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=screenshot_dir / "connection-test-no-camera-phone.png", full_page=True)
