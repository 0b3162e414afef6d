"""The demo server the browser tests drive: the real app (``fair migrate``, ``fair demo``,
``fair serve``) in a subprocess on a free port, at the real time or as of another instant;
and a browser profile whose page clock runs with the server's."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port

from fair import clock

FAIR_BIN = Path(sys.executable).parent / "fair"
REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT_SECONDS = 20.0
COMMAND_TIMEOUT_SECONDS = 120.0


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


@dataclass(frozen=True)
class Served:
    url: str
    # How far the server's clock is moved from the real time (``--now``); None: not moved.
    offset: timedelta | None = None
    # Where the server writes the mail it sends (``FAIR_MAIL_DIR``: one .eml a message).
    mail_dir: Path | None = None

    def now(self) -> datetime:
        return clock.real_now() + (self.offset or timedelta(0))


@contextlib.contextmanager
def demo_server(
    tmp: Path, database: Path, now: datetime | None = None, *, history: bool = True
) -> Iterator[Served]:
    """The real app (``fair migrate``, ``fair demo``, ``fair serve``) on ``database``, as of
    ``now`` (the demo loaded at that instant, the server's clock running on from it) or of
    the real time; ``history`` False leaves the past year out of the demo (faster)."""
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
    served = Served("", None if now is None else now - clock.real_now())

    def as_of() -> list[str]:
        return [] if served.offset is None else ["--now", served.now().isoformat()]

    log = tmp / "server.log"
    _run(["migrate"], env, log)
    _run(["demo", *as_of(), *([] if history else ["--without-history"])], env, log)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    one_process = ("--workers", "1")  # one process, whatever the environment's Redis
    with log.open("a", encoding="utf-8") as out:
        server = subprocess.Popen(
            [
                str(FAIR_BIN),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *one_process,
                *as_of(),
            ],
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
        yield Served(base_url, served.offset, tmp / "mail")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def new_context(browser: Any, served: Served, **options: Any) -> Any:
    """A fresh browser profile (no cookies) on the demo server; where the server's clock is
    moved, the page's clock (Date, timers) runs from the same instant."""
    context = browser.new_context(base_url=served.url, **options)
    context.set_default_timeout(10_000)
    if served.offset is not None:
        context.clock.install(time=served.now())
    return context
