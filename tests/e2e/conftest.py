"""Browser end-to-end fixtures: the real app (``fair migrate``, ``fair demo``, ``fair serve``)
in a subprocess on a free port, driven by playwright with Debian's Chromium.

Nothing is downloaded: the browser is /usr/bin/chromium (scripts/install-chromium). Without
it, or without the playwright package, these tests skip, and fail under CI=true."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port, missing

CHROMIUM = Path("/usr/bin/chromium")
FAIR_BIN = Path(sys.executable).parent / "fair"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "var" / "screenshots"
READY_TIMEOUT_SECONDS = 20.0
COMMAND_TIMEOUT_SECONDS = 120.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _run(args: list[str], env: dict[str, str], log: Path) -> None:
    """Run one ``fair`` command; on failure, fail the session with its output."""
    result = subprocess.run(
        [str(FAIR_BIN), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    with log.open("a", encoding="utf-8") as fp:
        fp.write(f"$ fair {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        pytest.fail(
            f"`fair {' '.join(args)}` exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def demo_server(tmp: Path, database: Path) -> Iterator[str]:
    """The real app (``fair migrate``, ``fair demo``, ``fair serve``) on ``database``;
    yields its base URL."""
    if not FAIR_BIN.exists():
        pytest.fail(f"{FAIR_BIN} not found: install the project into the venv (pip install -e .)")
    env = {
        **os.environ,
        "FAIR_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "FAIR_MAIL_DIR": str(tmp / "mail"),
        "FAIR_MEDIA_DIR": str(tmp / "media"),
        "FAIR_ENV": "test",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("FAIR_REDIS_URL", "FAIR_HTTPS", "FAIR_BASE_URL", "FAIR_SIGNALING_URL"):
        env.pop(name, None)
    log = tmp / "server.log"
    _run(["migrate"], env, log)
    _run(["demo"], env, log)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("a", encoding="utf-8") as out:
        server = subprocess.Popen(
            [str(FAIR_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "FAIR_BASE_URL": base_url},
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _healthy(f"{base_url}/healthz"):
            if server.poll() is not None:
                pytest.fail(f"fair serve exited {server.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"fair serve not healthy after {READY_TIMEOUT_SECONDS:.0f} s:\n{_tail(log)}"
                )
            time.sleep(0.1)  # polling readiness of a subprocess, not waiting for the UI
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real app, migrated and loaded with the demo programme."""
    tmp = tmp_path_factory.mktemp("e2e")
    with demo_server(tmp, tmp / "e2e.db") as base_url:
        yield base_url


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
def context(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser profile per test (no cookies), English, a desktop-sized window."""
    context = browser.new_context(
        base_url=live_server,
        locale="en-US",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
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
