"""Fixtures of the scenario test: a fresh PostgreSQL database built by `fair migrate`, a
Redis database of its own, and the real `fair` commands (serve, worker, users create) run as
child processes on them, configured only through FAIR_* variables.

Services: the shared PostgreSQL (``KK_TEST_PG``, as tests/conftest.py) and the shared Redis,
of which these tests use database 9 only (``KK_SCENARIO_REDIS``; 8 on a second xdist
worker), flushed before and after.
Under CI=true a missing service fails the run; elsewhere the test skips, saying why.

Nothing here sleeps for timing: every wait polls observable state with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from helpers import eventually, free_port, postgres_database, redis_database, worker_redis

from fair.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
FAIR = Path(sys.executable).parent / "fair"
SCENARIO_REDIS = worker_redis(os.environ.get("KK_SCENARIO_REDIS", "redis://127.0.0.1:6379/9"))
WAIT = 30.0  # the deadline of every wait


@pytest.fixture
async def scenario_database() -> AsyncIterator[str]:
    """A database of its own on the shared PostgreSQL, empty (no schema yet)."""
    async with postgres_database("kk_scenario") as url:
        yield url


@pytest.fixture
async def scenario_redis() -> AsyncIterator[str]:
    """The scenario's own Redis database (only this one is ever flushed)."""
    async with redis_database(SCENARIO_REDIS) as url:
        yield url


@dataclass
class Stack:
    """The running programme: its environment, where it answers and where mail goes."""

    env: dict[str, str]
    workdir: Path
    base_url: str
    port: int
    processes: list[tuple[str, asyncio.subprocess.Process, Path]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        """The very settings the child processes read from their FAIR_* variables."""
        return load_settings(self.env)

    @property
    def mail_dir(self) -> Path:
        return Path(self.env["FAIR_MAIL_DIR"])

    eventually = staticmethod(eventually)

    def log_tail(self) -> str:
        tails = []
        for name, _process, log in self.processes:
            text = log.read_text(errors="replace") if log.exists() else ""
            tails.append(f"--- {name} ---\n{text[-3000:]}")
        return "\n".join(tails)

    async def cli(self, *args: str) -> str:
        """Run one `fair ...` command to its end; its output, or the test fails with it."""
        process = await asyncio.create_subprocess_exec(
            str(FAIR),
            *args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), WAIT)
        assert process.returncode == 0, f"fair {' '.join(args)}: {out.decode()}"
        return out.decode()

    async def start(self, name: str, *args: str) -> None:
        """A long-running `fair ...` process, logging to a file of the work folder."""
        log_path = self.workdir / f"{name}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(FAIR), *args, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        self.processes.append((name, process, log_path))

    @contextlib.contextmanager
    def paused(self, name: str) -> Iterator[None]:
        """Stop one of our processes (SIGSTOP, by its id) and let it go on afterwards: a
        worker that has fallen behind."""
        (process,) = [p for n, p, _log in self.processes if n == name]
        process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            process.send_signal(signal.SIGCONT)

    def alive(self) -> None:
        for name, process, _log in self.processes:
            assert process.returncode is None, f"{name} exited early:\n{self.log_tail()}"

    async def stop(self) -> None:
        for _name, process, _log in reversed(self.processes):
            if process.returncode is None:
                process.terminate()
        for _name, process, _log in reversed(self.processes):
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.fixture
async def stack(
    scenario_database: str, scenario_redis: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """`fair migrate` on the fresh database, then `fair serve` and `fair worker` on it and
    on the scenario's Redis. The join window opens 240 minutes before a meeting (the most
    the settings allow), so meetings booked for the next free slots can be held now, and a
    meeting is held as soon as both sides have been in the room together at all."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAIR_")}
    env.update(
        {
            "FAIR_ENV": "test",
            "FAIR_DATABASE_URL": scenario_database,
            "FAIR_REDIS_URL": scenario_redis,
            "FAIR_SECRET_KEY": "scenario-secret-" + "s" * 32,
            "FAIR_BASE_URL": base_url,
            "FAIR_MEDIA_DIR": str(tmp_path / "media"),
            "FAIR_MAIL_DIR": str(tmp_path / "mail"),
            "FAIR_JOIN_EARLY_MINUTES": "240",
            "FAIR_HELD_MINUTES": "0",
        }
    )
    running = Stack(env=env, workdir=tmp_path, base_url=base_url, port=port)
    assert "database at head" in await running.cli("migrate")
    try:
        await running.start(
            "serve", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
        )
        await running.start("worker", "worker")

        async def healthy() -> bool:
            running.alive()
            async with httpx.AsyncClient(timeout=5) as probe:
                with contextlib.suppress(httpx.TransportError):
                    answer = await probe.get(f"{base_url}/healthz")
                    return answer.status_code == 200 and answer.json()["redis"] == "ok"
            return False

        await eventually(healthy, "`fair serve` to answer /healthz with the database and Redis")
        yield running
    finally:
        await running.stop()
