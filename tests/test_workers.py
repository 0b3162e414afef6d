"""`fair serve --workers 2` for real: one server of two worker processes on PostgreSQL and Redis
(and two `fair worker` job processes), shared by the tests of this file.

- Many registrations and bookings, each on a connection of its own, whichever worker took it:
  every mail the outbox holds is sent exactly once (the SMTP sink's Message-IDs).
- Two sides of one meeting joined and relaying, and (reconnecting until Redis shows it) on
  two different workers.
- Each periodic task runs once per period across both workers (their log lines).
- Without Redis, `--workers 2` is refused, naming what needs one process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from booth_helpers import approve, create_booth, exhibitor
from helpers import (
    Inbox,
    eventually,
    free_port,
    login,
    make_user,
    postgres_database,
    redis_database,
    registration,
    smtp_server,
    worker_redis,
)
from meeting_helpers import WEEKDAYS_9_TO_17, at_tokyo, fair_between, meeting_at, next_weekday
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fair import clock
from fair.config import load_settings
from fair.db import create_engine, create_sessionmaker
from fair.features import Task
from fair.mail import message_id
from fair.migrate import upgrade
from fair.outbox import OutboxJob
from kakehashi import cli
from kakehashi.app import TASKS, claim_period

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = worker_redis(os.environ.get("KK_TEST_REDIS", "redis://127.0.0.1:6379/15"))
SECRET = "workers-test-secret-" + "x" * 32
WAIT = 15.0
# A request's patience: password hashing on a machine busy with other work took 17 s once.
REQUEST_SECONDS = 120.0
RAN = re.compile(r"periodic task '([^']+)' ran in process (\d+)")
RELAY_RUNNING = re.compile(r"outbox relay running in process (\d+)")


@dataclass
class Stack:
    base: str
    redis_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    inbox: Inbox
    log: Path
    env: dict[str, str]

    def client(self) -> httpx.AsyncClient:
        """A browser of its own: a new connection (any worker may take it)."""
        return httpx.AsyncClient(
            base_url=self.base, headers={"Origin": self.base}, timeout=REQUEST_SECONDS
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


async def _start(env: dict[str, str], log: Any, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "fair"), *args, cwd=ROOT, env=env, stdout=log, stderr=log
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), WAIT)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    tmp = tmp_path_factory.mktemp("workers")
    inbox = Inbox()
    async with (
        postgres_database("kk_workers") as database_url,
        redis_database(REDIS_URL) as redis_url,
    ):
        engine = create_engine(database_url)
        await upgrade(engine)
        port = free_port()
        with smtp_server(inbox) as smtp_port:
            env = {
                **os.environ,
                "FAIR_ENV": "test",
                "FAIR_DATABASE_URL": database_url,
                "FAIR_REDIS_URL": redis_url,
                "FAIR_SECRET_KEY": SECRET,
                "FAIR_MEDIA_DIR": str(tmp / "media"),
                "FAIR_MAIL_DIR": str(tmp / "mail"),
                "FAIR_SMTP_HOST": "127.0.0.1",
                "FAIR_SMTP_PORT": str(smtp_port),
                "FAIR_SMTP_STARTTLS": "0",
                "FAIR_BASE_URL": f"http://127.0.0.1:{port}",
                "FAIR_LOG_FORMAT": "text",
                # Every request of this file comes from 127.0.0.1.
                "FAIR_REGISTRATIONS_PER_ADDRESS": "1000",
                "FAIR_BOOKINGS_PER_ADDRESS": "1000",
            }
            log_path = tmp / "serve.log"
            processes = []
            with log_path.open("wb") as log, (tmp / "workers.log").open("wb") as worker_log:
                try:
                    processes.append(
                        await _start(
                            env, log, "serve", "--workers", "2", "--host", "127.0.0.1",
                            "--port", str(port),
                        )
                    )  # fmt: skip
                    for _ in range(2):
                        processes.append(await _start(env, worker_log, "worker"))
                    stack = Stack(
                        f"http://127.0.0.1:{port}",
                        redis_url,
                        create_sessionmaker(engine),
                        inbox,
                        log_path,
                        env,
                    )

                    async def both_relays_running() -> bool:
                        assert all(p.returncode is None for p in processes), stack.log_text()
                        return len(set(RELAY_RUNNING.findall(stack.log_text()))) == 2

                    # Each worker logs this once its relay loop has been round once (its
                    # periodic tasks claimed or skipped).
                    await eventually(both_relays_running, "both workers' relays", within=60)
                    async with stack.client() as probe:
                        assert (await probe.get("/healthz")).status_code == 200
                    yield stack
                finally:
                    for process in processes:
                        await _stop(process)
                    await engine.dispose()


async def _count(stack: Stack, statement: Any) -> int:
    async with stack.sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


async def _settled(stack: Stack) -> bool:
    """Every due outbox row handed over, and arq holds nothing queued or running."""
    async with stack.sessionmaker() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.available_at <= func.now(), OutboxJob.dispatched_at.is_(None))
        )
    redis = aioredis.from_url(stack.redis_url)
    try:
        queued = await redis.zcard(load_settings(stack.env).arq_queue)
        running = [key async for key in redis.scan_iter("arq:in-progress:*")]
    finally:
        await redis.aclose()
    return not waiting and not queued and not running


async def test_each_outbox_mail_is_sent_exactly_once_across_workers(stack: Stack) -> None:
    async with stack.sessionmaker() as session:
        first = next_weekday()
        await fair_between(session, "2027-06", first, first + timedelta(days=7))
        async with stack.client() as kenji:
            await exhibitor(kenji, session, "kenji@tsubame.example", "Tsubame Migaki")
            booth = await create_booth(kenji, slug="2027-06")
            hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
            answer = await kenji.put(f"/api/booths/{booth['id']}/availability", json=hours)
            assert answer.status_code == 200, answer.text
            await approve(kenji, session, booth["id"])
        buyers = [f"buyer{n}@saigon.example" for n in range(6)]
        for email in buyers:
            await make_user(session, "buyer", email, timezone="Asia/Ho_Chi_Minh", country="VN")

    async def register(n: int) -> None:
        async with stack.client() as browser:
            data = registration(email=f"new{n}@hanoi.example", name=f"Buyer {n}")
            answer = await browser.post("/api/auth/register", json=data)
            assert answer.status_code == 201, answer.text

    async def book(n: int, email: str) -> None:
        async with stack.client() as browser:
            await login(browser, email)
            answer = await browser.post(
                "/api/meetings", json={"booth_id": booth["id"], "start": at_tokyo(first, 9 + n)}
            )
            assert answer.status_code == 201, answer.text

    await asyncio.gather(
        *(register(n) for n in range(8)), *(book(n, email) for n, email in enumerate(buyers))
    )

    await eventually(lambda: _settled(stack), "the outbox's due jobs run", within=90)
    async with stack.sessionmaker() as session:
        due = (
            await session.execute(
                select(OutboxJob.key, OutboxJob.job).where(OutboxJob.available_at <= func.now())
            )
        ).all()
    mail_keys = {key for key, job in due if job.startswith("send_")}
    # The registrations' links and the bookings' mails to buyer and exhibitor, at least.
    assert len(mail_keys) >= 8 + 2 * len(buyers), sorted(job for _, job in due)
    settings = load_settings(stack.env)
    expected = {message_id(key, settings) for key in mail_keys}

    def all_arrived() -> bool:
        return {m["Message-ID"] for m in stack.inbox.messages} >= expected

    await eventually(all_arrived, "every mail at the SMTP sink", within=30)
    sent = Counter(m["Message-ID"] for m in stack.inbox.messages)
    assert set(sent) == expected
    assert [mid for mid, times in sent.items() if times != 1] == []


async def _enter(browser: httpx.AsyncClient, meeting_id: str) -> tuple[Any, dict[str, Any]]:
    grant = (await browser.post(f"/api/meetings/{meeting_id}/join")).json()
    socket_ = await websockets.connect(grant["ws_url"], open_timeout=WAIT)
    await socket_.send(json.dumps({"type": "join", "token": grant["token"]}))
    return socket_, await _next(socket_, "joined")


async def _next(socket_: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket_.recv(), WAIT))
        if frame["type"] == kind:
            return frame


async def _nodes(stack: Stack, meeting_id: str) -> dict[str, str]:
    """Peer id → the worker (its RedisHub's node) holding that peer's socket."""
    redis = aioredis.from_url(stack.redis_url, decode_responses=True)
    try:
        members = await redis.hgetall(f"kakehashi:signaling:members:{meeting_id}")
    finally:
        await redis.aclose()
    entries = [json.loads(raw) for raw in members.values()]
    return {entry["peer_id"]: entry["node"] for entry in entries if "node" in entry}


async def test_both_sides_of_a_meeting_relay_whichever_worker_took_them(stack: Stack) -> None:
    async with stack.sessionmaker() as session:
        first = next_weekday(30)
        await fair_between(session, "2027-07", first, first + timedelta(days=7))
        async with stack.client() as kenji:
            await exhibitor(kenji, session, "aiko@kyoto.example", "Kyoto Washi")
            booth = await create_booth(kenji, slug="2027-07")
            await approve(kenji, session, booth["id"])
        lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
        meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
        meeting_id = meeting.id

    workers_seen: set[str] = set()
    async with stack.client() as host:
        await login(host, "aiko@kyoto.example")
        exhibitor_socket, _ = await _enter(host, meeting_id)
        # Each attempt: the buyer joins on a new connection, and the two relay both ways.
        # Until Redis shows the two sockets on two workers (the kernel hands each new
        # connection to either; a few attempts at most in practice).
        for _ in range(40):
            async with stack.client() as guest:
                await login(guest, "lan@saigon.example")
                buyer_socket, joined = await _enter(guest, meeting_id)
                assert [p["role"] for p in joined["peers"]] == ["exhibitor"]
                arrived = await _next(exhibitor_socket, "peer-joined")
                assert arrived["peer"]["name"] == "Nguyễn Lan"
                exhibitor_peer = joined["peers"][0]["peer_id"]
                nodes = await _nodes(stack, meeting_id)
                await buyer_socket.send(
                    json.dumps({"type": "offer", "to": exhibitor_peer, "sdp": "o"})
                )
                offer = await _next(exhibitor_socket, "offer")
                assert (offer["from"], offer["sdp"]) == (joined["peer_id"], "o")
                await exhibitor_socket.send(
                    json.dumps({"type": "answer", "to": joined["peer_id"], "sdp": "a"})
                )
                assert (await _next(buyer_socket, "answer"))["from"] == exhibitor_peer
                await buyer_socket.send(json.dumps({"type": "leave"}))
                left = await _next(exhibitor_socket, "peer-left")
                assert left["peer_id"] == joined["peer_id"]
                await buyer_socket.close()
            workers_seen.add(nodes[exhibitor_peer])
            workers_seen.add(nodes[joined["peer_id"]])
            if nodes[exhibitor_peer] != nodes[joined["peer_id"]]:
                break
        await exhibitor_socket.close()
    assert len(workers_seen) == 2


async def test_each_periodic_task_runs_once_per_period_across_workers(stack: Stack) -> None:
    """Both workers' relay loops have been round (the fixture waits for that), each claiming
    every task: an hourly task ran once between them in this file's lifetime (well under an
    hour); the report's fold (every minute) at most once a minute."""
    ran = Counter(name for name, _ in RAN.findall(stack.log_text()))
    hourly = [task.name for task in TASKS if task.every_seconds >= 3600]
    assert hourly
    assert {name: ran[name] for name in hourly} == dict.fromkeys(hourly, 1)
    redis = aioredis.from_url(stack.redis_url, decode_responses=True)
    try:
        for task in TASKS:
            # The lease names the process that ran the task last, and expires with its period.
            holder = await redis.get(f"kakehashi:periodic:{task.name}")
            assert holder in set(RELAY_RUNNING.findall(stack.log_text())), task.name
            assert (
                0
                < await redis.pttl(f"kakehashi:periodic:{task.name}")
                <= (task.every_seconds * 1000)
            )
    finally:
        await redis.aclose()


async def test_a_period_is_claimed_once(stack: Stack) -> None:
    redis = aioredis.from_url(stack.redis_url)
    task = Task(every_seconds=3600, run=lambda session: asyncio.sleep(0), name="test lease")
    try:
        assert await claim_period(redis, task) is True
        assert await claim_period(redis, task) is False
        await redis.delete(f"kakehashi:periodic:{task.name}")  # the period is over
        assert await claim_period(redis, task) is True
    finally:
        await redis.delete(f"kakehashi:periodic:{task.name}")
        await redis.aclose()
    # Without Redis there is one process: it runs every task.
    assert await claim_period(None, task) is True


def test_several_workers_without_redis_are_refused_naming_what_needs_one_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = load_settings({"FAIR_ENV": "test"})
    args = cli.build_parser().parse_args(["serve", "--workers", "2"])
    assert cli.cmd_serve(settings, args) == 2
    error = capsys.readouterr().err
    assert "FAIR_REDIS_URL" in error
    for part in ("LocalHub", "ledger", "jobs"):
        assert part in error
    # Left to its default, it serves with one process instead (one per CPU needs Redis).
    assert cli.serve_workers(settings, None) == 1
    assert cli.serve_workers(settings.with_overrides(redis_url="redis://r"), 3) == 3
    with pytest.raises(cli.ConfigError):
        cli.serve_workers(settings, 0)


def test_several_workers_are_served_from_the_factory_with_the_clock_s_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each worker process imports ``kakehashi.app:app_from_env`` and reads the environment:
    ``--now`` reaches it as ``FAIR_NOW``."""
    served: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli, "_serve", lambda app, args, **options: served.append((app, options)))
    # cmd_serve hands the instant to its worker processes through os.environ: set it through
    # monkeypatch first, so that it is undone and no later test's server runs as of 2027.
    monkeypatch.setenv("FAIR_NOW", "")
    monkeypatch.delenv("FAIR_NOW")
    settings = load_settings({"FAIR_ENV": "test", "FAIR_REDIS_URL": "redis://127.0.0.1:1/0"})
    args = cli.build_parser().parse_args(
        ["serve", "--workers", "2", "--now", "2027-02-03T10:00:00+09:00"]
    )
    with clock.moved_to(args.now):
        cli.cmd_serve(settings, args)
        assert clock.parse_instant(os.environ["FAIR_NOW"]) <= clock.now()
    [(app, options)] = served
    assert app == "kakehashi.app:app_from_env"
    assert (options["factory"], options["workers"]) == (True, 2)
    assert clock.parse_instant(os.environ["FAIR_NOW"]) >= args.now
    served.clear()
    cli.cmd_serve(settings, cli.build_parser().parse_args(["serve", "--workers", "1"]))
    [(app, options)] = served
    assert not isinstance(app, str) and options == {}


def test_the_worker_factory_builds_the_app_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kakehashi.app import app_from_env

    monkeypatch.setenv("FAIR_ENV", "test")
    monkeypatch.setenv("FAIR_SECRET_KEY", SECRET)
    app = app_from_env()
    assert any(getattr(route, "path", "") == "/healthz" for route in app.routes)
