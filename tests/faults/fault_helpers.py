"""What the fault tests share: private servers, real ``fair`` processes, an SMTP sink.

Each test that breaks a service gets a PRIVATE one on a free port (never the shared
PostgreSQL on 5432 or Redis on 6379): ``private_redis`` (a ``redis-server`` child process,
no persistence) and ``private_postgres`` (a throwaway cluster made by ``initdb``, run as the
``postgres`` user when we are root). Real ``fair serve`` and ``fair worker`` processes run
against them; ``smtp_sink`` is a mail server that can hold a mail at a chosen SMTP step so a
test knows exactly where a job is when it kills the worker.

Nothing here sleeps for timing: every wait polls for observable state, with a deadline.
Missing binaries skip the tests with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from helpers import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
FAIR = Path(sys.executable).parent / "fair"
WAIT = 30.0  # the deadline of every wait in these tests
PRIVATE_DB = "kakehashi_faults"


async def _tcp_open(port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` on a free port; ``stop()`` kills it (as a crash would: with
    ``--save ""`` nothing survives), ``start()`` brings up an empty one on the same port."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def ping(self) -> bool:
        client = aioredis.from_url(self.url, socket_connect_timeout=1)
        try:
            return bool(await client.ping())
        except (OSError, aioredis.RedisError):
            return False
        finally:
            await client.aclose()

    async def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(self.workdir)),
            stdout=log,
            stderr=log,
        )
        log.close()
        await eventually(self.ping, f"the private Redis on port {self.port} to answer")

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.kill()
        await asyncio.wait_for(self.process.wait(), WAIT)
        self.process = None
        await eventually(
            lambda: _closed(self.port), f"port {self.port} to refuse connections after the kill"
        )


async def _closed(port: int) -> bool:
    return not await _tcp_open(port)


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"):
        found = sorted(
            glob.glob(pattern), key=lambda p: [int(x) for x in p.split("/") if x.isdigit()]
        )
        for candidate in reversed(found):
            if (Path(candidate) / "pg_ctl").exists() and (Path(candidate) / "initdb").exists():
                return Path(candidate)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and shutil.which("initdb"):
        return Path(os.path.realpath(pg_ctl)).parent
    return None


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free port, stopped and started by ``pg_ctl``."""

    def __init__(self, bindir: Path, home: Path) -> None:
        self.bindir = bindir
        self.home = home
        self.data = home / "data"
        self.port = free_port()

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    async def _run(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._as_owner(*args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 120)
        if process.returncode != 0:
            log = self.home / "postgres.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args)} exited {process.returncode}:\n{out.decode()}\n{tail}")

    async def init(self) -> None:
        await self._run(
            str(self.bindir / "initdb"),
            *("-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"),
            *("-E", "UTF8", "--locale", "C"),
        )

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -h 127.0.0.1 -c fsync=off"
        await self._run(
            str(self.bindir / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.home / "postgres.log")),
            *("-o", options, "-w", "-t", "60", "start"),
        )

    async def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (clients see their connections dropped) and stops."""
        await self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"
        )

    async def pg_ctl(self, *args: str) -> None:
        await self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    async def wait_stopped(self) -> None:
        pid_file = self.data / "postmaster.pid"
        await eventually(lambda: not pid_file.exists(), "PostgreSQL to stop")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = PRIVATE_DB) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn(), timeout=5)


# --- real processes ---------------------------------------------------------------------------


@dataclass
class FairProcess:
    process: asyncio.subprocess.Process
    log: Path
    base_url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs, as when a machine or container dies."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), WAIT)

    async def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), WAIT)
            except TimeoutError:
                await self.kill()

    async def wait(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)


def fair_env(settings: Any, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "FAIR_ENV": "test",
        "FAIR_DATABASE_URL": settings.database_url,
        "FAIR_SECRET_KEY": settings.secret_key,
        "FAIR_MEDIA_DIR": str(settings.media_dir),
        "FAIR_MAIL_DIR": str(settings.mail_dir),
        "FAIR_INPROCESS_JOBS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for name in [name for name in env if name.startswith("FAIR_SMTP")]:
        del env[name]
    env.update(extra)
    return env


class Processes:
    """Starts ``fair`` commands; whatever is still running at the end is stopped."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[FairProcess] = []

    async def start(self, env: dict[str, str], *args: str) -> FairProcess:
        log = self.tmp / f"fair-{args[0]}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                str(FAIR), *args, cwd=ROOT, env=env, stdout=out, stderr=out
            )
        handle = FairProcess(process, log)
        self.started.append(handle)
        return handle

    async def serve(self, env: dict[str, str], port: int | None = None) -> FairProcess:
        """``fair serve`` on ``port`` (a free one by default); returns once it answers."""
        port = port or free_port()
        # One process: a fault's SIGKILL must take the whole server down (under --workers N
        # the supervisor's children would live on).
        handle = await self.start(
            env, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
        )
        handle.base_url = f"http://127.0.0.1:{port}"

        async def up() -> bool:
            assert handle.running, f"fair serve exited:\n{handle.output()}"
            try:
                async with httpx.AsyncClient(timeout=2) as probe:
                    answer = await probe.get(f"{handle.base_url}/healthz")
            except httpx.TransportError:
                return False
            return answer.status_code in (200, 503)

        await eventually(up, f"fair serve on port {port} to answer")
        return handle

    async def close(self) -> None:
        for handle in self.started:
            await handle.stop()


# --- a mail server that can hold a mail -------------------------------------------------------


@dataclass
class Delivery:
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Any:
        return message_from_bytes(self.data, policy=default_policy)


@dataclass
class Hold:
    command: str  # "RCPT" (before the mail is handed over) or "QUIT" (after it was accepted)
    recipient: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    used: bool = False


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that records each accepted mail (a 250 after DATA).

    ``hold(command, recipient)`` makes the next session of that recipient stop, unanswered,
    when the client sends ``command``: the sending job then waits at that exact point until
    ``release()`` (or until its process dies).
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.holds: list[Hold] = []
        self.disconnects = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for hold in self.holds:
            hold.released.set()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)

    def hold(self, command: str, recipient: str) -> Hold:
        hold = Hold(command, recipient)
        self.holds.append(hold)
        return hold

    def to(self, recipient: str) -> list[Delivery]:
        return [d for d in self.deliveries if recipient in d.recipients]

    async def _held(self, command: str, recipients: list[str]) -> None:
        for hold in self.holds:
            if not hold.used and hold.command == command and hold.recipient in recipients:
                hold.used = True
                hold.reached.set()
                await hold.released.wait()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        recipients: list[str] = []
        delivered: list[str] = []
        try:
            await reply("220 sink.test ESMTP")
            while True:
                raw = await reader.readline()
                if not raw:
                    self.disconnects += 1
                    return
                line = raw.decode(errors="replace").strip()
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == "EHLO":
                    await reply("250-sink.test")
                    await reply("250 8BITMIME")
                elif verb == "HELO":
                    await reply("250 sink.test")
                elif verb == "MAIL":
                    recipients = []
                    await reply("250 OK")
                elif verb == "RCPT":
                    address = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                    recipients.append(address)
                    await self._held("RCPT", recipients)
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 go ahead")
                    body = bytearray()
                    while True:
                        chunk = await reader.readline()
                        if not chunk:
                            self.disconnects += 1
                            return  # the sender died mid-DATA: nothing was accepted
                        if chunk in (b".\r\n", b".\n"):
                            break
                        body += chunk[1:] if chunk.startswith(b"..") else chunk
                    self.deliveries.append(Delivery(list(recipients), bytes(body)))
                    delivered = list(recipients)
                    await reply("250 accepted")
                elif verb == "QUIT":
                    await self._held("QUIT", delivered)
                    await reply("221 bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    await reply("250 OK")
                else:
                    await reply("502 not implemented")
        except (ConnectionError, OSError):
            self.disconnects += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def smtp_env(sink: SmtpSink) -> dict[str, str]:
    return {
        "FAIR_SMTP_HOST": "127.0.0.1",
        "FAIR_SMTP_PORT": str(sink.port),
        "FAIR_SMTP_STARTTLS": "0",
    }
