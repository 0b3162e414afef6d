"""Booking a meeting: the race for one slot, bookings per second, and the slot maths.

Three measurements, each printed beside a baseline from the same run:

(a) The race. One booth, ``--slots`` slots (20), ``--clients`` buyers (500), each with its own
    HTTP connection from a second process, one slot each in turn (25 per slot). Every client
    opens its connection, waits at one asyncio barrier, and then all POST /api/meetings at
    once. The rule is the baseline: per slot exactly one 201 and only 409s besides (20 × 201,
    480 × 409, no 5xx); the database is then checked for exactly one active meeting per slot
    and no two overlapping (buffer included). On PostgreSQL and on SQLite, each served by its
    own fresh uvicorn process.
(b) Bookings per second on PostgreSQL: ``--bookings`` (1,000) bookings of distinct slots
    spread over many booths, each by its own buyer, ``--concurrency`` (50) in flight, beside
    as many single-row INSERT transactions sent straight through asyncpg at the same
    concurrency into a scratch table.
(c) Slot maths, in this process: ``meetings.slots.free_slots`` for one booth over a five-day
    fair with 200 busy intervals, and the first free slot of 1,000 booths, each beside the
    same work done by ``meetings.slots.grid`` alone (no busy time, no checks).

Every booth is open Monday to Friday 09:00-17:00 Tokyo with 30-minute slots and a 10-minute
buffer; (a) and (b) book only the on-the-hour slots, which never fall in each other's buffer,
so every slot raced or booked can be won exactly once.

Beside the figures, the SQL statements each booking sent, counted on the server's side
(``bench/statement_count.py``: the app with a ``before_cursor_execute`` event, the
middleware's identity look-up included), by answer, with the statements of one booking.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/booking.py [--clients 500] [--slots 20] [--bookings 1000]
        [--concurrency 50] [--skip-sqlite] [--keep-db]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import secrets
import shlex
import sqlite3
import ssl
import sys
import tempfile
import time
import timeit
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from common import admin_execute, asyncpg_dsn, client_process, run_within, throwaway_database
from http_overhead import (
    Result,
    child_server,
    free_port,
    process_cpu_seconds,
    ratio,
)

SCRIPT = Path(__file__).resolve()
# Bench accounts have confirmed their addresses (unconfirmed ones may not book).
VERIFIED_AT = datetime(2026, 1, 1, tzinfo=UTC)
ROOT = SCRIPT.parent.parent
DATABASE = "kk_bench_booking"
ZONE = "Asia/Tokyo"
OPEN, CLOSE = 9, 17  # the booths' hours, Monday to Friday
SLOT_MINUTES = 30
BUFFER_MINUTES = 10
FAIR_DAYS = 5
# On-the-hour starts, 09:00 to 16:00 on five days: none is inside another's 10-minute buffer.
HOURLY_SLOTS = (CLOSE - OPEN) * FAIR_DAYS
BOOK_PATH = "/api/meetings"
WARMUP_PATH = "/static/img/favicon.svg"  # opens a client's connection; no database work
# Hundreds of clients queue behind one worker: a slow answer is a figure, not an error.
REQUEST_TIMEOUT_SECONDS = 60.0
BODY_CHARS = 500
LOG_LINES_SHOWN = 20
REPEAT = 7  # timeit: best of this many
SCRATCH_TABLE = "bench_scratch"
SCRATCH_INSERT = (
    "INSERT INTO bench_scratch (id, booth_id, buyer_id, starts_at, ends_at)"
    " VALUES ($1, $2, $3, $4, $5)"
)


# --- the data ----------------------------------------------------------------------------------


def first_monday(after_days: int = 21) -> date:
    from fair import clock

    day = clock.now().date() + timedelta(days=after_days)
    return day + timedelta(days=(8 - day.isoweekday()) % 7)


def slot_start(first_day: date, index: int) -> datetime:
    """The ``index``-th on-the-hour slot of the fair: 09:00, 10:00 ... 16:00 Tokyo, Mon-Fri."""
    per_day = CLOSE - OPEN
    day = first_day + timedelta(days=index // per_day)
    return datetime.combine(day, clock(OPEN + index % per_day), tzinfo=ZoneInfo(ZONE))


def weekly_hours() -> list[dict[str, Any]]:
    return [
        {"weekday": d, "start": f"{OPEN:02d}:00", "end": f"{CLOSE:02d}:00"} for d in range(1, 6)
    ]


def exhibitor_booth(fair: Any, number: int, password_hash: str) -> tuple[Any, Any, Any]:
    """An exhibitor, its approved booth and the booth's meeting hours."""
    from booths.models import Booth, BoothStatus
    from fair import clock
    from fair.accounts.models import User
    from fair.db import new_id
    from meetings.models import BookingMode, BoothHours

    company = f"Bench Maker {number}"
    user = User(
        id=new_id(),
        email=f"exhibitor{number:04d}@bench.example",
        password_hash=password_hash,
        name=f"Exhibitor {number}",
        role="exhibitor",
        email_verified_at=VERIFIED_AT,
        company=company,
        country="JP",
        locale="ja",
    )
    booth = Booth(
        id=new_id(),
        fair_id=fair.id,
        owner_id=user.id,
        company={"ja": f"ベンチ製作所 {number}", "en": company},
        status=BoothStatus.APPROVED,
        reviewed_at=clock.now(),
    )
    hours = BoothHours(
        booth_id=booth.id,
        timezone=ZONE,
        weekly=weekly_hours(),
        exceptions=[],
        slot_minutes=SLOT_MINUTES,
        buffer_minutes=BUFFER_MINUTES,
        min_notice_minutes=0,
        max_per_buyer=1000,
        mode=BookingMode.INSTANT,
    )
    return user, booth, hours


def buyers(prefix: str, count: int, password_hash: str) -> list[Any]:
    from fair.accounts.models import User
    from fair.db import new_id

    return [
        User(
            id=new_id(),
            email=f"{prefix}{n:05d}@bench.example",
            password_hash=password_hash,
            name=f"Buyer {prefix} {n}",
            role="buyer",
            email_verified_at=VERIFIED_AT,
            company=f"Trading {n}",
            country="VN",
            timezone="Asia/Ho_Chi_Minh",
            locale="en",
        )
        for n in range(count)
    ]


@dataclass
class Seeded:
    first_day: date
    race_booth: str
    race_tokens: list[str]
    booths: list[str]  # for (b)
    booking_tokens: list[str]


async def seed(url: str, clients: int, booths: int, bookings: int) -> Seeded:
    """Migrate, then a fair in its booking phase, 1 + ``booths`` booths with hours, and
    buyers with sessions made by the app's own ``start_session`` (no logins)."""
    from fair import clock
    from fair.accounts.service import hash_password, start_session
    from fair.config import Settings
    from fair.db import create_engine, create_sessionmaker
    from fair.fairs.models import Fair
    from fair.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
        # One argon2 hash for every account: nobody signs in, the sessions are made below.
        password_hash = hash_password(secrets.token_urlsafe(16))
        first_day = first_monday()
        async with create_sessionmaker(engine)() as session:
            fair = Fair(
                slug="bench-booking",
                title={"en": "Booking bench fair", "ja": "予約ベンチマーク展示会"},
                starts_on=first_day,
                ends_on=first_day + timedelta(days=FAIR_DAYS - 1),
                booking_opens_on=clock.now().date(),
                timezone=ZONE,
                slot_minutes=SLOT_MINUTES,
                status="published",
            )
            session.add(fair)
            await session.flush()
            made = [exhibitor_booth(fair, n, password_hash) for n in range(1 + booths)]
            race_buyers = buyers("race", clients, password_hash)
            booking_buyers = buyers("book", bookings, password_hash)
            users = [user for user, _, _ in made] + race_buyers + booking_buyers
            # Users, booths, hours: in the order their foreign keys need (no relationships).
            for rows in (users, [b for _, b, _ in made], [h for _, _, h in made]):
                session.add_all(rows)
                await session.flush()
            settings = Settings()
            tokens = [
                await start_session(session, user, settings=settings, replaces=None)
                for user in race_buyers + booking_buyers
            ]
            await session.commit()
    finally:
        await engine.dispose()
    booth_ids = [booth.id for _, booth, _ in made]
    return Seeded(first_day, booth_ids[0], tokens[:clients], booth_ids[1:], tokens[clients:])


def booking_plan(seeded: Seeded) -> list[dict[str, str]]:
    """Booking i: buyer i, booth i mod n, that booth's (i div n)-th hourly slot."""
    n = len(seeded.booths)
    return [
        {
            "token": token,
            "booth_id": seeded.booths[i % n],
            "start": slot_start(seeded.first_day, i // n).isoformat(),
        }
        for i, token in enumerate(seeded.booking_tokens)
    ]


# --- the load generator (runs in its own process: ``--client PLAN``) ---------------------------


def error_code(response: httpx.Response) -> str | None:
    with contextlib.suppress(ValueError, KeyError, TypeError):
        return response.json()["error"]["code"]
    return None


async def race_client(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One AsyncClient (one connection) per buyer; all POST once the last one is ready."""
    tokens, slots = plan["tokens"], plan["slots"]
    barrier = asyncio.Barrier(len(tokens))
    context = ssl.create_default_context()  # plain HTTP; shared so 500 clients build one

    async def buyer(index: int, token: str) -> dict[str, Any]:
        slot = index % len(slots)
        async with httpx.AsyncClient(
            base_url=plan["base_url"],
            cookies={"kk_session": token},
            timeout=REQUEST_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=1),
            verify=context,
        ) as client:
            with contextlib.suppress(httpx.HTTPError):
                await client.get(WARMUP_PATH)
            await barrier.wait()
            started = time.perf_counter()
            answer: dict[str, Any] = {"slot": slot, "code": None, "id": None, "body": ""}
            try:
                response = await client.post(
                    BOOK_PATH, json={"booth_id": plan["booth_id"], "start": slots[slot]}
                )
                answer["status"] = response.status_code
                if response.status_code == 201:
                    answer["id"] = response.json()["id"]
                else:
                    answer["code"] = error_code(response)
                if response.status_code not in (201, 409):
                    answer["body"] = response.text[:BODY_CHARS]
            except httpx.HTTPError as exc:
                answer["status"] = type(exc).__name__
                answer["body"] = str(exc)[:BODY_CHARS]
            answer["started"], answer["ended"] = started, time.perf_counter()
            return answer

    return await asyncio.gather(*(buyer(i, t) for i, t in enumerate(tokens)))


async def bookings_client(plan: dict[str, Any]) -> dict[str, Any]:
    """The planned bookings, ``concurrency`` at a time over keep-alive connections."""
    concurrency = plan["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    pending = iter(plan["bookings"])

    async def worker(client: httpx.AsyncClient) -> None:
        for booking in pending:
            body = {"booth_id": booking["booth_id"], "start": booking["start"]}
            headers = {"Cookie": f"kk_session={booking['token']}"}
            started = time.perf_counter()
            try:
                response = await client.post(BOOK_PATH, json=body, headers=headers)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status, response = type(exc).__name__, None
            statuses[status] += 1
            if status == "201":
                latencies.append(time.perf_counter() - started)
            elif len(failures) < LOG_LINES_SHOWN:
                failures.append(f"{status} {response.text[:BODY_CHARS] if response else ''}")

    async with httpx.AsyncClient(
        base_url=plan["base_url"], limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        server_before = process_cpu_seconds(plan["server_pid"])
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        server_after = process_cpu_seconds(plan["server_pid"])
    server_cpu = None
    if server_before is not None and server_after is not None:
        server_cpu = server_after - server_before
    return {
        "latencies": latencies,
        "statuses": statuses,
        "failures": failures,
        "seconds": seconds,
        "server_cpu": server_cpu,
    }


async def inserts_client(plan: dict[str, Any]) -> dict[str, Any]:
    """The baseline: one single-row INSERT transaction per booking, straight through asyncpg,
    one connection per concurrent worker."""
    import asyncpg

    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    pending = iter(plan["bookings"])

    async def worker(conn: Any) -> None:
        for booking in pending:
            starts_at = datetime.fromisoformat(booking["start"])
            ends_at = starts_at + timedelta(minutes=SLOT_MINUTES)
            started = time.perf_counter()
            try:
                async with conn.transaction():
                    await conn.execute(
                        SCRATCH_INSERT, secrets.token_hex(16), booking["booth_id"],
                        secrets.token_hex(16), starts_at, ends_at,
                    )  # fmt: skip
            except asyncpg.PostgresError as exc:
                statuses[type(exc).__name__] += 1
                continue
            statuses["ok"] += 1
            latencies.append(time.perf_counter() - started)

    conns = [await asyncpg.connect(plan["dsn"]) for _ in range(plan["concurrency"])]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(conn) for conn in conns))
        seconds = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    return {"latencies": latencies, "statuses": statuses, "seconds": seconds}


CLIENT_MODES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "race": race_client,
    "bookings": bookings_client,
    "inserts": inserts_client,
}


def client_main(plan_file: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    json.dump(asyncio.run(CLIENT_MODES[plan["mode"]](plan)), sys.stdout)


async def run_client(plan: dict[str, Any], tmp: Path) -> Any:
    return await client_process(SCRIPT, plan, tmp / f"plan-{plan['mode']}.json")


# --- the server and the databases --------------------------------------------------------------


@contextlib.asynccontextmanager
async def uvicorn_server(database_url: str, tmp: Path, log: Path) -> AsyncIterator[tuple[str, int]]:
    """``uvicorn --factory bench.statement_count:create_app`` (the app, counting each booking's
    SQL statements), one worker, its stderr written to ``log``;
    yields (base URL, pid) once ``/healthz`` answers 200. Like directory.py's, plus the log
    and a keep-alive long enough for 500 opened connections to wait at the barrier."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAIR_")}
    env |= {
        "FAIR_ENV": "development",
        # Every bench client comes from 127.0.0.1 on purpose: the per-address and
        # per-account limits against throw-away accounts would measure 429s instead.
        "FAIR_REGISTRATIONS_PER_ADDRESS": "1000000",
        "FAIR_BOOKINGS_PER_ACCOUNT": "1000000",
        "FAIR_BOOKINGS_PER_ADDRESS": "1000000",
        "FAIR_DATABASE_URL": database_url,
        "FAIR_INPROCESS_JOBS": "0",
        "FAIR_MEDIA_DIR": str(tmp / "media"),
        "FAIR_MAIL_DIR": str(tmp / "mail"),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bench.statement_count:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "120",
    ]  # fmt: skip
    with log.open("wb") as stderr:
        async with child_server(
            command, port, ready_path="/healthz", name="uvicorn", env=env, cwd=ROOT, stderr=stderr
        ) as server:
            yield server


async def counted_statements(base_url: str) -> dict[str, Any]:
    """What the server counted since it was last asked (``bench/statement_count.py``)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        response = await client.get("/__bench/statements")
        response.raise_for_status()
        return dict(response.json())


async def create_scratch_table(url: str) -> None:
    """The baseline's table: a meeting's columns, a primary key, no other index."""
    await admin_execute(
        url,
        f"CREATE TABLE {SCRATCH_TABLE} (id varchar(32) PRIMARY KEY,"
        " booth_id varchar(32) NOT NULL, buyer_id varchar(32) NOT NULL,"
        " starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now())",
    )


async def meetings_rolled_back(url: str) -> int:
    """Meeting rows inserted and then rolled back (PostgreSQL's insert counter minus the rows
    kept), read once every other connection to the database has closed and flushed its
    statistics. A booking that passed the availability check and lost the race on a hold's
    primary key leaves exactly one."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        for _ in range(100):  # ten seconds at most
            if await conn.fetchval(others) <= 1:
                break
            await asyncio.sleep(0.1)
        inserted = await conn.fetchval(
            "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'meetings'"
        )
        kept = await conn.fetchval("SELECT count(*) FROM meetings")
    finally:
        await conn.close()
    return int(inserted) - int(kept)


async def postgres_version(url: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


# --- (a) the race ------------------------------------------------------------------------------


@dataclass
class RaceCheck:
    """What the database holds for the raced booth afterwards."""

    active: int
    distinct_starts: int
    off_plan: int  # active meetings at a time that was not raced
    overlaps: int  # pairs of active meetings whose times, buffer included, overlap
    booth_holds: int
    ids_match: bool  # the 201 answers' meeting ids are exactly the active meetings


async def check_race(url: str, booth_id: str, slots: list[str], won: set[str]) -> RaceCheck:
    from sqlalchemy import func, select

    from fair.db import create_engine, create_sessionmaker
    from meetings.models import ACTIVE, Meeting, MeetingHold

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(Meeting.id, Meeting.starts_at, Meeting.ends_at).where(
                        Meeting.booth_id == booth_id, Meeting.status.in_(ACTIVE)
                    )
                )
            ).all()
            holds = await session.scalar(
                select(func.count())
                .select_from(MeetingHold)
                .where(MeetingHold.resource == f"booth:{booth_id}")
            )
    finally:
        await engine.dispose()
    planned = {datetime.fromisoformat(s).astimezone(UTC) for s in slots}
    buffer = timedelta(minutes=BUFFER_MINUTES)
    overlaps = sum(
        1
        for (_, a_start, a_end), (_, b_start, b_end) in combinations(rows, 2)
        if a_start < b_end + buffer and b_start < a_end + buffer
    )
    return RaceCheck(
        active=len(rows),
        distinct_starts=len({start for _, start, _ in rows}),
        off_plan=sum(1 for _, start, _ in rows if start not in planned),
        overlaps=overlaps,
        booth_holds=holds or 0,
        ids_match={meeting_id for meeting_id, _, _ in rows} == won,
    )


@dataclass
class Race:
    database: str
    clients: int
    slots: int
    answers: list[dict[str, Any]]
    check: RaceCheck
    log: list[str]
    # PostgreSQL: losers that had inserted their meeting row and lost on a hold's key.
    lost_on_key: int | None = None
    statements: dict[str, Any] = field(default_factory=dict)  # counted_statements

    def count(self, test: Callable[[Any], bool]) -> int:
        return sum(1 for a in self.answers if test(a["status"]))

    @property
    def created(self) -> int:
        return self.count(lambda s: s == 201)

    @property
    def conflicts(self) -> int:
        return self.count(lambda s: s == 409)

    @property
    def server_errors(self) -> int:
        return self.count(lambda s: isinstance(s, int) and s >= 500)

    @property
    def others(self) -> int:
        return len(self.answers) - self.created - self.conflicts - self.server_errors

    @property
    def slots_won_once(self) -> int:
        wins = Counter(a["slot"] for a in self.answers if a["status"] == 201)
        return sum(1 for slot in range(self.slots) if wins[slot] == 1)

    @property
    def holds_expected(self) -> int:
        return self.slots * (SLOT_MINUTES + BUFFER_MINUTES) // 5

    @property
    def ok(self) -> bool:
        check = self.check
        return (
            self.created == self.slots
            and self.conflicts == self.clients - self.slots
            and self.server_errors == 0
            and self.others == 0
            and self.slots_won_once == self.slots
            and check.active == self.slots
            and check.distinct_starts == self.slots
            and check.off_plan == 0
            and check.overlaps == 0
            and check.booth_holds == self.holds_expected
            and check.ids_match
        )

    @property
    def latencies(self) -> Result:
        seconds = [a["ended"] - a["started"] for a in self.answers]
        return Result("race", self.database, 0, len(seconds), 0, 1.0, seconds, None, 0.0)

    @property
    def wall_seconds(self) -> float:
        return max(a["ended"] for a in self.answers) - min(a["started"] for a in self.answers)


def read_log(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if line.strip()]


async def race(
    seeded: Seeded, base_url: str, tmp: Path, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[str]]:
    """The race from a second process; returns the answers and the slots raced for."""
    slots = [slot_start(seeded.first_day, i).isoformat() for i in range(args.slots)]
    plan = {
        "mode": "race",
        "base_url": base_url,
        "booth_id": seeded.race_booth,
        "tokens": seeded.race_tokens,
        "slots": slots,
    }
    return await run_client(plan, tmp), slots


async def race_on(
    url: str,
    database: str,
    seeded: Seeded,
    tmp: Path,
    args: argparse.Namespace,
    then: Callable[[str, int], Awaitable[Any]] | None = None,
) -> tuple[Race, Any]:
    """The race against a fresh server on ``url``, checked in the database once the server
    has stopped; ``then(base_url, pid)`` runs on the same server after the race."""
    log = tmp / f"uvicorn-{database}.log"
    async with uvicorn_server(url, tmp, log) as (base_url, pid):
        answers, slots = await race(seeded, base_url, tmp, args)
        statements = await counted_statements(base_url)
        after = await then(base_url, pid) if then else None
    won = {a["id"] for a in answers if a["status"] == 201}
    check = await check_race(url, seeded.race_booth, slots, won)
    result = Race(database, args.clients, args.slots, answers, check, read_log(log))
    result.statements = statements
    return result, after


# --- (b) bookings per second -------------------------------------------------------------------


@dataclass
class Throughput:
    result: Result
    statuses: dict[str, int]
    failures: list[str] = field(default_factory=list)
    in_database: int | None = None
    statements: dict[str, Any] = field(default_factory=dict)  # counted_statements


async def booked_meetings(url: str, booth_ids: list[str]) -> int:
    from sqlalchemy import func, select

    from fair.db import create_engine, create_sessionmaker
    from meetings.models import ACTIVE, Meeting

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Meeting)
                .where(Meeting.booth_id.in_(booth_ids), Meeting.status.in_(ACTIVE))
            )
    finally:
        await engine.dispose()
    return count or 0


def throughput(label: str, raw: dict[str, Any], requests: int, ok: str) -> Throughput:
    errors = requests - raw["statuses"].get(ok, 0)
    result = Result(
        label, "PostgreSQL", 0, requests, errors, raw["seconds"], raw["latencies"],
        raw.get("server_cpu"), 0.0,
    )  # fmt: skip
    return Throughput(result, raw["statuses"], raw.get("failures", []), None,
                      raw.get("statements", {}))  # fmt: skip


# --- (c) slot maths ----------------------------------------------------------------------------

MATHS_FIRST_DAY = date(2027, 6, 14)  # a Monday
MATHS_NOW = datetime(2027, 5, 31, 3, 0, tzinfo=UTC)


def maths_window() -> tuple[date, date, datetime, datetime]:
    """The five-day fair's first and last day, and the window searched: now to its end."""
    last = MATHS_FIRST_DAY + timedelta(days=FAIR_DAYS - 1)
    end = datetime.combine(last + timedelta(days=1), clock(0), tzinfo=ZoneInfo(ZONE))
    return MATHS_FIRST_DAY, last, MATHS_NOW, end.astimezone(UTC)


def fair_availability(**overrides: Any) -> Any:
    from meetings.slots import Availability, Hours

    first, last, _, _ = maths_window()
    options: dict[str, Any] = {
        "timezone": ZONE,
        "weekly": tuple(Hours(d, clock(OPEN), clock(CLOSE)) for d in range(1, 6)),
        "slot_minutes": SLOT_MINUTES,
        "buffer_minutes": BUFFER_MINUTES,
        "min_notice_minutes": 0,
        "first_day": first,
        "last_day": last,
    }
    return Availability(**(options | overrides))


def busy_at(day: date, minute: int, length: int = SLOT_MINUTES) -> Any:
    from meetings.slots import Busy

    start = datetime.combine(day, clock(minute // 60, minute % 60), tzinfo=ZoneInfo(ZONE))
    return Busy(start.astimezone(UTC), (start + timedelta(minutes=length)).astimezone(UTC))


def busy_in_hours(count: int, rng: random.Random) -> list[Any]:
    """``count`` 30-minute meetings at random 5-minute marks inside the opening hours."""
    first = MATHS_FIRST_DAY
    marks = range(OPEN * 60, CLOSE * 60 - SLOT_MINUTES + 1, 5)
    return [
        busy_at(first + timedelta(days=rng.randrange(FAIR_DAYS)), rng.choice(marks))
        for _ in range(count)
    ]


def busy_clear_of_slots(count: int, rng: random.Random) -> list[Any]:
    """``count`` 30-minute intervals in the evenings, past the last slot's buffer: no slot
    clashes, so every slot's check compares it with all of them (the slowest case)."""
    first = MATHS_FIRST_DAY
    marks = range(CLOSE * 60 + BUFFER_MINUTES, 24 * 60 - SLOT_MINUTES, 5)
    return [
        busy_at(first + timedelta(days=rng.randrange(FAIR_DAYS)), rng.choice(marks))
        for _ in range(count)
    ]


def booth_availability(rng: random.Random) -> Any:
    """A booth's own hours: opening and closing time, a lunch break or not, a day off or
    not, its slot length and buffer."""
    from meetings.slots import SLOT_LENGTHS, Hours

    opens, closes = rng.choice([8, 9, 10]), rng.choice([16, 17, 18])
    if rng.random() < 0.5:
        spans = [(clock(opens), clock(12)), (clock(13), clock(closes))]
    else:
        spans = [(clock(opens), clock(closes))]
    days = list(range(1, 6))
    if rng.random() < 0.3:
        days.remove(rng.choice(days))
    return fair_availability(
        weekly=tuple(Hours(d, start, end) for d in days for start, end in spans),
        slot_minutes=rng.choice(SLOT_LENGTHS),
        buffer_minutes=rng.choice([0, 5, 10, 15]),
    )


def booth_busy(availability: Any, rng: random.Random) -> list[Any]:
    """About ten meetings already booked among the booth's first 14 slots."""
    from meetings.slots import Busy, grid

    first, last, _, _ = maths_window()
    early = grid(availability, first, last)[:14]
    return [Busy(s.start, s.end) for s in rng.sample(early, k=rng.randint(8, 12))]


def best_seconds(func: Callable[[], Any], number: int | None = None) -> float:
    """Best of REPEAT timeit runs, per call."""
    timer = timeit.Timer(func)
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=REPEAT, number=number)) / number


@dataclass
class MathRow:
    label: str
    seconds: float
    note: str = ""


def one_booth_rows() -> list[MathRow]:
    from meetings.slots import free_slots, grid

    first, last, now, end = maths_window()
    availability = fair_availability()
    rng = random.Random(2027)  # noqa: S311 (the same intervals every run, not secrets)
    cases = [
        ("free_slots, no busy time", []),
        ("free_slots, 200 busy inside the hours", busy_in_hours(200, rng)),
        ("free_slots, 200 busy clear of every slot", busy_clear_of_slots(200, rng)),
    ]
    slots = len(grid(availability, first, last))
    rows = [
        MathRow(
            "grid only (baseline)",
            best_seconds(lambda: grid(availability, first, last)),
            f"{slots} slots",
        )
    ]
    for label, busy in cases:
        free = len(free_slots(availability, start=now, end=end, now=now, busy=busy))
        seconds = best_seconds(
            lambda busy=busy: free_slots(availability, start=now, end=end, now=now, busy=busy)
        )
        rows.append(MathRow(label, seconds, f"{free} of {slots} free"))
    return rows


def many_booths_rows(booths: int = 1000) -> list[MathRow]:
    from meetings.slots import first_free_slot, free_slots, grid

    first, last, now, end = maths_window()
    rng = random.Random(1000)  # noqa: S311 (the same booths every run)
    fleet = []
    for _ in range(booths):
        availability = booth_availability(rng)
        fleet.append((availability, booth_busy(availability, rng)))

    def grids() -> list[Any]:
        return [grid(a, first, last)[0] for a, _ in fleet]

    def next_free() -> list[Any]:
        found = []
        for availability, busy in fleet:
            free = free_slots(availability, start=now, end=end, now=now, busy=busy)
            found.append(free[0] if free else None)
        return found

    def day_by_day() -> list[Any]:
        return [
            first_free_slot(availability, start=now, end=end, now=now, busy=busy)
            for availability, busy in fleet
        ]

    found = next_free()
    if day_by_day() != found:
        raise SystemExit("first_free_slot disagrees with free_slots(...)[0]")
    busy_total = sum(len(busy) for _, busy in fleet)
    return [
        MathRow("grid only (baseline)", best_seconds(grids, 1), f"{booths:,} grids"),
        MathRow(
            "first free slot (free_slots(...)[0], before)",
            best_seconds(next_free, 1),
            f"{sum(f is not None for f in found):,} found; {busy_total:,} busy in all",
        ),
        MathRow(
            "first free slot (first_free_slot, day by day: the directory's)",
            best_seconds(day_by_day, 1),
            "the same slots",
        ),
    ]


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Run:
    maths_one: list[MathRow]
    maths_many: list[MathRow]
    races: list[Race] = field(default_factory=list)
    rows: list[Throughput] = field(default_factory=list)
    booking_booths: int = 0
    postgres_version: str = ""
    load: tuple[float, float] = (0.0, 0.0)  # one-minute load average at the start, the end


async def postgres_part(args: argparse.Namespace, run: Run, tmp: Path) -> None:
    """Seed once; the INSERT baseline while no server runs; then one fresh server for the
    race and, right after it, the bookings per second."""
    run.booking_booths = max(args.concurrency, math.ceil(args.bookings / HOURLY_SLOTS))
    async with throwaway_database(args.postgres, DATABASE, args.keep_db) as url:
        run.postgres_version = await postgres_version(url)
        seeded = await seed(url, args.clients, run.booking_booths, args.bookings)
        await create_scratch_table(url)
        common = {"concurrency": args.concurrency, "bookings": booking_plan(seeded)}
        baseline = await run_client({"mode": "inserts", "dsn": asyncpg_dsn(url), **common}, tmp)
        run.rows.append(throughput("INSERT via asyncpg (baseline)", baseline, args.bookings, "ok"))

        async def measure_bookings(base_url: str, pid: int) -> Any:
            plan = {"mode": "bookings", "base_url": base_url, "server_pid": pid, **common}
            raw = await run_client(plan, tmp)
            raw["statements"] = await counted_statements(base_url)
            return raw

        result, raw = await race_on(url, "PostgreSQL", seeded, tmp, args, then=measure_bookings)
        run.races.append(result)
        row = throughput("POST /api/meetings", raw, args.bookings, "201")
        row.in_database = await booked_meetings(url, seeded.booths)
        run.rows.append(row)
        # Every booking of (b) succeeded or the run fails: the rolled-back rows are the race's.
        result.lost_on_key = await meetings_rolled_back(url)


async def sqlite_part(args: argparse.Namespace, run: Run, tmp: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp}/booking.db"
    seeded = await seed(url, args.clients, 0, 0)
    result, _ = await race_on(url, "SQLite", seeded, tmp, args)
    run.races.append(result)


async def run_all(args: argparse.Namespace) -> Run:
    load_before = os.getloadavg()[0]
    # The pure maths first, while nothing else of this run is on the machine.
    run = Run(one_booth_rows(), many_booths_rows())
    with tempfile.TemporaryDirectory(prefix="kk_bench_booking_") as tmp_name:
        tmp = Path(tmp_name)
        await postgres_part(args, run, tmp)
        if not args.skip_sqlite:
            await sqlite_part(args, run, tmp)
    run.load = (load_before, os.getloadavg()[0])
    return run


# --- the report --------------------------------------------------------------------------------


def race_table(races: list[Race]) -> str:
    lines = [
        "| database | clients | slots | 201 | 409 | other 4xx / transport | 5xx "
        "| release → last answer s | p50 ms | p99 ms | active meetings | slots won once "
        "| overlapping pairs | booth holds | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in races:
        c, lat = r.check, r.latencies
        lines.append(
            f"| {r.database} | {r.clients} | {r.slots} | {r.created} | {r.conflicts} "
            f"| {r.others} | {r.server_errors} | {r.wall_seconds:.2f} "
            f"| {lat.percentile_ms(50):,.0f} | {lat.percentile_ms(99):,.0f} | {c.active} "
            f"| {r.slots_won_once}/{r.slots} | {c.overlaps} "
            f"| {c.booth_holds}/{r.holds_expected} "
            f"| {'as required' if r.ok else '**NOT as required**'} |"
        )
    lines.append("")
    lines.append(
        f"Required: {races[0].slots} × 201, {races[0].clients - races[0].slots} × 409, "
        "nothing else; in the database one active meeting per raced slot, none elsewhere, "
        "no two overlapping with the buffer, the booth's holds complete, and the ids the "
        "201s returned exactly those meetings."
    )
    return "\n".join(lines)


def race_details(races: list[Race]) -> str:
    lines = []
    for r in races:
        codes = Counter(a["code"] for a in r.answers if a["status"] == 409)
        listed = ", ".join(f"{code} × {n}" for code, n in codes.most_common())
        decided = ""
        if r.lost_on_key is not None:
            decided = (
                f" ({r.lost_on_key} of them lost on a hold's primary key after inserting their "
                f"meeting, {r.conflicts - r.lost_on_key} at the availability check)"
            )
        lines.append(
            f"- {r.database}: 409 codes: {listed or 'none'}{decided}; ids of the 201s match the "
            f"database: {'yes' if r.check.ids_match else 'NO'}; active meetings off the raced "
            f"slots: {r.check.off_plan}; server log: {len(r.log)} lines."
        )
        unusual = [a for a in r.answers if a["status"] not in (201, 409)]
        for a in unusual[:LOG_LINES_SHOWN]:
            lines.append(f"  - slot {a['slot']}: {a['status']} {a['code'] or ''} {a['body']}")
        for line in r.log[:LOG_LINES_SHOWN]:
            lines.append(f"  - log: `{line}`")
    return "\n".join(lines)


def throughput_ratio(ours: float, baseline: float) -> str:
    """A small ratio with enough digits to read, and its inverse."""
    return f"{ours / baseline:.3f}× (1/{baseline / ours:,.0f})"


def throughput_table(rows: list[Throughput]) -> str:
    baseline = rows[0].result
    lines = [
        "| row | requests | failed | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req "
        "| req/s ratio | p50 ratio | p95 ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r = row.result
        cpu = "n/a" if r.server_cpu is None else f"{r.server_cpu / r.requests * 1000:.1f}"
        base = r is baseline

        def vs(p: float, r: Result = r, base: bool = base) -> str:
            return "—" if base else ratio(r.percentile_ms(p), baseline.percentile_ms(p))

        lines.append(
            f"| {r.label} | {r.requests:,} | {r.errors} | {r.rps:,.0f} "
            f"| {r.percentile_ms(50):.1f} | {r.percentile_ms(95):.1f} "
            f"| {r.percentile_ms(99):.1f} | {cpu} "
            f"| {'—' if base else throughput_ratio(r.rps, baseline.rps)} "
            f"| {vs(50)} | {vs(95)} | {vs(99)} |"
        )
    return "\n".join(lines)


def throughput_details(rows: list[Throughput]) -> str:
    lines = []
    for row in rows:
        statuses = ", ".join(f"{s} × {n:,}" for s, n in sorted(row.statuses.items()))
        if row.in_database is not None:
            statuses += f"; active meetings on these booths in the database: {row.in_database:,}"
        lines.append(f"- {row.result.label}: {statuses}")
        lines += [f"  - {failure}" for failure in row.failures]
    return "\n".join(lines)


def statement_counts(counted: dict[str, Any]) -> str:
    """``counted_statements`` as "201: 9 × 1,000; 409: 5 × 380, 7 × 100" (statements ×
    bookings, by answer)."""
    parts = []
    for status, counts in sorted(counted.get("counts", {}).items()):
        each = ", ".join(f"{n} × {k:,}" for n, k in sorted(counts.items(), key=lambda i: int(i[0])))
        parts.append(f"{status}: {each}")
    return "; ".join(parts) or "none counted"


def statements_section(run: Run) -> str:
    lines = [
        "Counted in the server process for every POST /api/meetings (a "
        "`before_cursor_execute` event: the middleware's identity look-up and the flushes "
        "included; asyncpg's BEGIN and COMMIT are not cursor statements, SQLite's BEGIN "
        "IMMEDIATE is), as statements × bookings, by answer:\n",
    ]
    for r in run.races:
        lines.append(f"- (a) race, {r.database}: {statement_counts(r.statements)}")
    for row in run.rows:
        if row.statements:
            lines.append(f"- (b) {row.result.label}: {statement_counts(row.statements)}")
    example = next((row.statements for row in run.rows if row.statements), {})
    listing = example.get("examples", {}).get("201")
    if listing:
        lines.append("\nThe statements of one booking of (b), PostgreSQL (first lines):\n")
        lines += [f"{n}. `{statement}`" for n, statement in enumerate(listing, 1)]
    return "\n".join(lines)


def maths_table(rows: list[MathRow], unit: str, per: int = 1) -> str:
    baseline = rows[0].seconds
    lines = [
        f"| computation | {unit} | × baseline | |",
        "|---|---:|---:|---|",
    ]
    for row in rows:
        value = row.seconds * 1e6 / per
        relative = "—" if row is rows[0] else ratio(row.seconds, baseline)
        lines.append(f"| {row.label} | {value:,.1f} | {relative} | {row.note} |")
    return "\n".join(lines)


def many_booths_table(rows: list[MathRow], booths: int = 1000) -> str:
    baseline = rows[0].seconds
    lines = [
        f"| computation, {booths:,} booths | total ms | µs per booth | × baseline | |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        relative = "—" if row is rows[0] else ratio(row.seconds, baseline)
        lines.append(
            f"| {row.label} | {row.seconds * 1000:,.1f} | {row.seconds * 1e6 / booths:,.1f} "
            f"| {relative} | {row.note} |"
        )
    return "\n".join(lines)


def report(run: Run, args: argparse.Namespace) -> str:
    import sqlalchemy
    import uvicorn

    first, last, _, _ = maths_window()
    out = [
        "## Booking: the race for a slot, bookings per second, slot maths\n",
        f"Command: `{shlex.join(sys.orig_argv)}`\n",
        f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} (one worker), "
        f"SQLAlchemy {sqlalchemy.__version__}, httpx {httpx.__version__}, PostgreSQL "
        f"{run.postgres_version}, SQLite {sqlite3.sqlite_version}; {os.cpu_count()} CPUs, "
        "shared by the server, the database and the load generator (a second process). Booths "
        f"open Mon-Fri {OPEN:02d}:00-{CLOSE:02d}:00 {ZONE}, {SLOT_MINUTES}-minute slots, "
        f"{BUFFER_MINUTES}-minute buffer; only on-the-hour slots are booked. Load average "
        f"{run.load[0]:.1f} at the start, {run.load[1]:.1f} at the end.\n",
        "### (a) The race: every client at once for the same slots\n",
        f"{args.clients} buyers, each with its own connection, opened before the start; slot "
        f"i mod {args.slots}; all released by one asyncio barrier; a fresh server per "
        "database. Latency is from the release to each answer.\n",
        race_table(run.races),
        "",
        race_details(run.races),
        "\n### (b) Bookings per second, PostgreSQL\n",
        f"{args.bookings:,} bookings of distinct slots over {run.booking_booths} booths, each "
        f"by its own buyer, {args.concurrency} in flight over keep-alive connections (the "
        "server is the one that just ran the race); baseline: as many single-row INSERT "
        f"transactions (BEGIN, INSERT, COMMIT) through asyncpg on {args.concurrency} "
        "connections into a scratch table with a meeting's columns. Ratios are "
        "bookings/baseline; server CPU is the uvicorn process only.\n",
        throughput_table(run.rows),
        "",
        throughput_details(run.rows),
        "\n### SQL statements per booking\n",
        statements_section(run),
        "\n### (c) Slot maths (pure, in this process)\n",
        f"One booth over a five-day fair ({first:%a %Y-%m-%d} to {last:%a %Y-%m-%d}), the "
        f"window from now to the fair's end; best of {REPEAT} timeit runs.\n",
        maths_table(run.maths_one, "µs per call"),
        "",
        "The first free slot from now for each of 1,000 booths with their own hours (8, 9 or "
        "10 to 16, 17 or 18, half with a lunch break, some with a day off; slots of 15 to 60 "
        "minutes; buffers of 0 to 15) and 8 to 12 meetings among their first 14 slots; "
        f"baseline: the same loop computing each booth's grid only. Best of {REPEAT}.\n",
        many_booths_table(run.maths_many),
    ]
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500, help="buyers in the race")
    parser.add_argument("--slots", type=int, default=20, help="slots they race for")
    parser.add_argument("--bookings", type=int, default=1000, help="bookings measured in (b)")
    parser.add_argument("--concurrency", type=int, default=50, help="bookings in flight in (b)")
    parser.add_argument("--skip-sqlite", action="store_true", help="race on PostgreSQL only")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help=f"where to create (and drop) the {DATABASE} database",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help=f"leave the {DATABASE} database behind"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up after this many seconds in all"
    )
    # Internal: how the benchmark starts its load generator.
    parser.add_argument("--client", metavar="PLAN", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.slots <= HOURLY_SLOTS or args.clients < args.slots:
        parser.error(f"--slots must be 1 to {HOURLY_SLOTS} and --clients at least --slots")
    if args.bookings < 1 or args.concurrency < 1:
        parser.error("--bookings and --concurrency must be positive")
    return args


def main() -> int:
    args = parse_args()
    if args.client:
        client_main(args.client)
        return 0
    run = run_within(run_all(args), args.timeout)
    if run is None:
        return 1
    print(report(run, args))
    failed = any(not r.ok for r in run.races) or any(
        row.result.errors or row.in_database not in (None, args.bookings) for row in run.rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
