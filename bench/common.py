"""What the benchmarks share: a throwaway PostgreSQL database and the load generator run as
a second process (so that the client's CPU is not the server's)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
# Every benchmark imports this module first. The project root goes before this folder on
# sys.path: bench/signaling.py would otherwise hide the signaling package from the app.
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))


@contextlib.asynccontextmanager
async def stopping(proc: asyncio.subprocess.Process, seconds: float = 10.0) -> AsyncIterator[None]:
    """SIGTERM ``proc`` at the end (SIGKILL after ``seconds``) unless it has exited."""
    try:
        yield
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), seconds)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def run_within(main: Coroutine[Any, Any, T], seconds: float) -> T | None:
    """``asyncio.run(main)``, given up after ``seconds`` (said on stderr; None then)."""

    async def bounded() -> T:
        async with asyncio.timeout(seconds):
            return await main

    try:
        return asyncio.run(bounded())
    except TimeoutError:
        print(f"gave up: the run took longer than --timeout {seconds:g}s", file=sys.stderr)
        return None


def asyncpg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin_execute(admin_url: str, sql: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def throwaway_database(admin_url: str, name: str, keep: bool) -> AsyncIterator[str]:
    """A fresh database ``name`` next to ``admin_url``'s, dropped afterwards unless ``keep``;
    yields its URL."""
    from sqlalchemy.engine import make_url

    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    await admin_execute(admin_url, drop)
    await admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            await admin_execute(admin_url, drop)


async def client_process(script: Path, plan: dict[str, Any], plan_file: Path) -> Any:
    """Run ``script --client plan_file`` (the load generator) and return the JSON it prints."""
    await asyncio.to_thread(plan_file.write_text, json.dumps(plan))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), "--client", str(plan_file), stdout=asyncio.subprocess.PIPE
    )
    try:
        stdout, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"the load generator exited with {proc.returncode}")
    return json.loads(stdout)
