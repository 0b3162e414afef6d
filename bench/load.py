"""Mixed load on a real ``fair serve`` + ``fair worker`` (PostgreSQL, Redis), then an integrity
check of every booking and every invite mail.

Set-up: a throwaway PostgreSQL database (``kk_bench_load``) is migrated and seeded with one
live fair of ``--booths`` approved booths (300, the programme's size) with ``--products``
products each (texts recombined from the demo exhibitors, search columns filled by the app's
own ``refresh_search``) and meeting hours (Mon-Fri 09:00-17:00 Tokyo, 30-minute slots, a
10-minute buffer, the app's defaults otherwise: 12 hours' notice, 2 meetings per buyer per
booth); ``--buyers`` buyers (400) from the programme's buyer countries in their own zones and
languages; every account's address confirmed (an unconfirmed one is mailed nothing); a
session for every buyer and exhibitor (made by ``start_session``, no logins); and
``--live-meetings`` confirmed meetings (40) starting in five minutes, so their video rooms are
open. Redis is used on one database number (``--redis``, default db 8), flushed before and
after (that db only); mail goes to a folder in a temporary directory. The app runs as
``python -m kakehashi.cli serve`` (that is ``fair serve``: one uvicorn process, access log
on, the outbox relay inside it handing jobs to arq) and ``python -m kakehashi.cli worker``
(``fair worker``).

Load: a second process (this script with ``--client``) runs ``--concurrency`` (32) closed-loop
workers on one httpx client (keep-alive) for ``--seconds`` (30), at most ``--max-requests`` in
all; each worker picks an operation by weight:

- ``directory API``: ``GET /api/fairs/{slug}/booths`` with a search word in one of the
  buyers' languages, a category, market or language filter, a sort, a page (1-3);
- ``directory page``: the same as HTML (``/fairs/{slug}/booths``), in a random UI language;
- ``booth page``: ``GET /booths/{id}?lang=..`` (HTML; records a visit);
- ``booth API``: ``GET /api/booths/{id}`` (with products and media; records a visit);
- ``slots``: ``GET /api/booths/{id}/slots?tz=..`` as a signed-in buyer, in their zone;
- ``book``: ``POST /api/meetings`` by a random buyer; 30 % aim at a few "hot" slots (10
  booths × 3 slots) that many buyers want at once, the rest at any on-the-hour slot two days
  ahead or later: **409 is expected** (slot taken, buyer busy then, 2 meetings with this booth
  already) and counted apart from errors;
- ``cancel``: ``POST /api/meetings/{id}/cancel`` of a meeting booked earlier in this run, by
  its buyer or its exhibitor (never the same meeting twice);
- ``join API`` + ``signaling``: a participant of a live meeting (never one already connected)
  asks ``POST /api/meetings/{id}/join``, opens the WebSocket it names, sends the join frame,
  waits for ``joined``, sends a ping, waits for the pong, sends ``leave`` and waits for the close.

Half of the reads are anonymous, half signed in. The baseline, in the same run, in turns with
ours (``--slices``, 3: a third of ``--seconds`` for the baseline, a third for ours, and so on;
our processes stopped with SIGSTOP during the baseline's turns and the outbox drained after
each of ours, so nothing of ours runs beside the baseline; one
run's figure moved by a third with the machine's speed when the baseline went first and ours
after): the same client, concurrency and duration against a bare Starlette app under
uvicorn that answers a constant 2 kB JSON (``GET``) and a WebSocket that answers the same
join / ping / leave frames without any checks: the client's own ceiling on this machine.

Then the outbox is drained (every due row handed to arq, every mail job recorded in
``job_runs``; deadline ``--drain-seconds``), both processes are stopped and the check runs:

- every booking the client saw answered 201 is in the database exactly once (its booth, buyer
  and start), and every meeting the load made is one the client saw answered 201 (or one
  whose answer never came: counted as unknown); none that was answered 409 is there;
- no two active meetings of a booth overlap (buffer included), nor two of a buyer;
- every cancel answered 200 is cancelled in the database, and nothing else is;
- the holds: 14 cells per active meeting (8 for the booth, 6 for the buyer), none for others;
- the outbox holds exactly the rows the mail rules of meetings/jobs.py make: per booking two
  ``booked`` mails (buyer, exhibitor) at SEQUENCE 0, four reminders and one attendance
  decision; per cancel two ``cancelled`` mails at the new SEQUENCE; and the jobs the app's
  periodic tasks queue when its relay starts, one per task and period (``PERIODIC_JOBS``: the
  hourly retention purge, the match weights' refit keyed by the day); nothing else;
- every mail row has run exactly once: one ``job_runs`` row per key, one arq result per key
  that ran on the first try and returned ``True``, no job left queued or in progress; one
  ``.eml`` file per key of the meeting's current SEQUENCE (Message-ID made from the key, To the
  recipient's address), and one or none for an older SEQUENCE (meetings/jobs.py skips a mail
  that a later change of its meeting superseded before the job ran: a ``booked`` mail of a
  meeting cancelled meanwhile), none for a recipient the app may not mail
  (``fair.accounts.jobs.may_mail``: the job runs and writes nothing), no other file.

How to read the output: the table gives requests per second overall and per operation, p50 and
p99 latency of answered requests (200/201 and the expected 409), and the failures by kind: 5xx,
timeouts (no answer in 30 s), other (a transport error or an unexpected status). With one
server process on 2 cores shared with PostgreSQL, Redis, the worker and the client, latency is
mostly queueing (about concurrency ÷ requests per second); compare our rows' throughput to the
baseline's to see how far the client itself could go. Server CPU per request (the uvicorn
process only) is the figure least disturbed by the shared machine. Exit status 1 when the
integrity check fails, or any request got a 5xx or no answer.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/load.py [--seconds 30] [--concurrency 32] [--quick] [--workers 2]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
        [--redis redis://127.0.0.1:6379/8] [--booths 300] [--buyers 400] [--keep-db]
        [--only 'book,cancel']  # only these operations of the mix: what one kind costs
        [--slices 3]  # turns taken by the baseline and ours (1: the baseline, then ours)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import hashlib
import http.cookiejar
import json
import os
import platform
import random
import re
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from booking import error_code
from common import (
    asyncpg_dsn,
    client_process,
    run_within,
    stopping,
    throwaway_database,
)
from directory import QUERIES, exhibitor
from http_overhead import (
    Result,
    child_server,
    free_port,
    process_cpu_seconds,
)

SCRIPT = Path(__file__).resolve()
# Bench accounts have confirmed their addresses (unconfirmed ones may not book).
VERIFIED_AT = datetime(2026, 1, 1, tzinfo=UTC)
ROOT = SCRIPT.parent.parent

DATABASE = "kk_bench_load"
SLUG = "bench-load"
ZONE = "Asia/Tokyo"
OPEN, CLOSE = 9, 17  # booth hours, Monday to Friday
SLOT_MINUTES = 30
BUFFER_MINUTES = 10
CELL_MINUTES = 5
MAX_PER_BUYER = 2  # BoothHours' default, kept
BOOTH_CELLS = (SLOT_MINUTES + BUFFER_MINUTES) // CELL_MINUTES
BUYER_CELLS = SLOT_MINUTES // CELL_MINUTES
FIRST_BOOKABLE_DAY = 2  # days from today (Tokyo): no reminder falls due during the run
FAIR_DAYS_AHEAD = 11
HOT_BOOTHS, HOT_SLOTS, HOT_SHARE = 10, 3, 0.3
EXHIBITOR_CANCELS = 0.3
REQUEST_TIMEOUT_SECONDS = 30.0
WS_TIMEOUT_SECONDS = 30.0
READY_SECONDS = 60.0
STOP_SECONDS = 15.0
SAMPLES_SHOWN = 10
BODY_CHARS = 300
JOINED = '{"type":"joined","peer_id":"p","peers":[],"ping_interval":15}'
BASELINE_BODY = {
    "status": "ok",
    "items": [{"id": f"{n:032x}", "name": f"Constant item {n}", "score": n} for n in range(24)],
}
# Operation → weight in the mix (join counts once; it makes a join API and a signaling row).
MIX: dict[str, int] = {
    "directory API": 18,
    "directory page": 8,
    "booth page": 18,
    "booth API": 14,
    "slots": 10,
    "book": 18,
    "cancel": 5,
    "join": 9,
}
KINDS = [
    "directory API",
    "directory page",
    "booth page",
    "booth API",
    "slots",
    "book",
    "cancel",
    "join API",
    "signaling",
]
BASELINE_KINDS = ["GET constant JSON", "WebSocket join/ping/leave"]
UI_LANGUAGES = ("ja", "en", "zh_Hans", "zh_Hant", "vi", "th")
# The programme's buyer countries (DESIGN.md), their zones and languages, by share.
BUYER_COUNTRIES = [
    ("CN", "Asia/Shanghai", "zh_Hans", 33),
    ("VN", "Asia/Ho_Chi_Minh", "vi", 18),
    ("TW", "Asia/Taipei", "zh_Hant", 12),
    ("TH", "Asia/Bangkok", "th", 12),
    ("US", "America/Los_Angeles", "en", 9),
    ("SG", "Asia/Singapore", "en", 6),
    ("HK", "Asia/Hong_Kong", "zh_Hant", 5),
    ("DE", "Europe/Berlin", "en", 5),
]
CATEGORY_FILTERS = ["ceramics", "metal_parts", "food_beverage", "cutlery_tools", "machinery"]
MARKET_FILTERS = ["CN", "VN", "TW", "TH", "US"]


# --- the data ----------------------------------------------------------------------------------


def tokyo_today() -> date:
    from fair import clock

    return clock.now().astimezone(ZoneInfo(ZONE)).date()


def bookable_slots(today: date) -> list[str]:
    """On-the-hour starts, 09:00-16:00 Tokyo, on the fair's weekdays from two days ahead: no
    two are in each other's buffer, and none is within a reminder's 24 hours."""
    starts = []
    for offset in range(FIRST_BOOKABLE_DAY, FAIR_DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        if day.isoweekday() > 5:
            continue
        for hour in range(OPEN, CLOSE):
            starts.append(datetime.combine(day, clock(hour), tzinfo=ZoneInfo(ZONE)).isoformat())
    return starts


def buyer_users(count: int, rng: random.Random) -> list[Any]:
    from fair.accounts.models import User
    from fair.db import new_id

    weights = [share for *_, share in BUYER_COUNTRIES]
    users = []
    for n in range(count):
        country, zone, locale, _ = rng.choices(BUYER_COUNTRIES, weights)[0]
        users.append(
            User(
                id=new_id(),
                email=f"buyer{n:05d}@bench.example",
                password_hash="!bench",  # noqa: S106 (nobody signs in: sessions are made)
                name=f"Buyer {n}",
                role="buyer",
                email_verified_at=VERIFIED_AT,
                company=f"Trading {country} {n}",
                country=country,
                timezone=zone,
                locale=locale,
            )
        )
    return users


def booth_hours(booth_id: str) -> Any:
    from meetings.models import BookingMode, BoothHours

    return BoothHours(
        booth_id=booth_id,
        timezone=ZONE,
        weekly=[
            {"weekday": d, "start": f"{OPEN:02d}:00", "end": f"{CLOSE:02d}:00"} for d in range(1, 6)
        ],
        exceptions=[],
        slot_minutes=SLOT_MINUTES,
        buffer_minutes=BUFFER_MINUTES,
        mode=BookingMode.INSTANT,
    )


@dataclass
class Seeded:
    today: str
    booths: list[dict[str, str]]  # id, owner_id, token (the exhibitor's session)
    buyers: list[dict[str, str]]  # id, token, timezone, locale
    live: list[dict[str, str]]  # meeting id, buyer token, exhibitor token
    live_ids: list[str]
    seconds: float = 0.0


async def seed(url: str, args: argparse.Namespace) -> Seeded:
    """Migrate; one live fair, its booths with products and hours, buyers, sessions, and the
    meetings whose rooms are open now."""
    from directory import SEED_CHUNK

    from booths.service import refresh_search
    from fair import clock
    from fair.accounts.service import start_session
    from fair.config import Settings
    from fair.db import create_engine, create_sessionmaker
    from fair.fairs.models import Fair
    from fair.migrate import upgrade
    from meetings.booking import holds_for
    from meetings.models import Meeting, MeetingStatus

    started = time.perf_counter()
    engine = create_engine(url)
    rng = random.Random(2027)  # noqa: S311 (the same fair every run, not secrets)
    settings = Settings()
    today = tokyo_today()
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            fair = Fair(
                slug=SLUG,
                title={"en": "Load bench fair", "ja": "負荷ベンチマーク展示会"},
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=FAIR_DAYS_AHEAD),
                booking_opens_on=today - timedelta(days=28),
                timezone=ZONE,
                slot_minutes=SLOT_MINUTES,
                status="published",
            )
            session.add(fair)
            await session.flush()
            booths: list[dict[str, str]] = []
            exhibitors = []
            for first in range(0, args.booths, SEED_CHUNK):
                numbers = range(first, min(first + SEED_CHUNK, args.booths))
                made = [exhibitor(n, fair, args.products, rng) for n in numbers]
                for user, _, _ in made:
                    # Confirmed, as the buyers: an unconfirmed address is mailed nothing
                    # (fair.accounts.jobs.may_mail), so the exhibitors' meeting mails would
                    # be skipped and the mail check would see half of them.
                    user.email_verified_at = VERIFIED_AT
                session.add_all([user for user, _, _ in made])
                await session.flush()
                session.add_all([booth for _, booth, _ in made])
                session.add_all([item for _, _, items in made for item in items])
                await session.flush()
                session.add_all([booth_hours(booth.id) for _, booth, _ in made])
                for _, booth, _ in made:
                    await refresh_search(session, booth)
                    booths.append({"id": booth.id, "owner_id": booth.owner_id})
                exhibitors += [user for user, _, _ in made]
                await session.commit()
            buyers = buyer_users(args.buyers, rng)
            session.add_all(buyers)
            await session.flush()
            for booth, user in zip(booths, exhibitors, strict=True):
                booth["token"] = await start_session(session, user, settings=settings)
            buyer_rows = [
                {
                    "id": user.id,
                    "token": await start_session(session, user, settings=settings),
                    "timezone": user.timezone,
                    "locale": user.locale,
                }
                for user in buyers
            ]
            # Rooms open now: booth i with buyer i, starting at the next 5-minute mark + 5.
            now = clock.now()
            start = now.replace(second=0, microsecond=0) + timedelta(
                minutes=CELL_MINUTES + (-now.minute) % CELL_MINUTES
            )
            live, live_ids = [], []
            for i in range(min(args.live_meetings, len(booths), len(buyer_rows))):
                meeting = Meeting(
                    booth_id=booths[i]["id"],
                    buyer_id=buyer_rows[i]["id"],
                    starts_at=start,
                    ends_at=start + timedelta(minutes=SLOT_MINUTES),
                    status=MeetingStatus.CONFIRMED,
                    buyer_timezone=buyer_rows[i]["timezone"],
                    confirmed_at=now,
                )
                session.add(meeting)
                await session.flush()
                session.add_all(holds_for(meeting, BUFFER_MINUTES))
                live_ids.append(meeting.id)
                live.append(
                    {
                        "meeting_id": meeting.id,
                        "buyer": buyer_rows[i]["token"],
                        "exhibitor": booths[i]["token"],
                    }
                )
            await session.commit()
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()
    return Seeded(
        today.isoformat(), booths, buyer_rows, live, live_ids, time.perf_counter() - started
    )


# --- the load generator (runs in its own process: ``--client PLAN``) ---------------------------


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Keep no cookie a response sets: every request says who it is (or is anonymous)."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


@dataclass
class Tally:
    """One operation kind's answers, as the client saw them."""

    latencies: list[float] = field(default_factory=list)  # answered as expected (incl. 409)
    outcomes: Counter[str] = field(default_factory=Counter)  # ok, 409, 5xx, timeout, other
    codes: Counter[str] = field(default_factory=Counter)  # status and error code
    samples: list[str] = field(default_factory=list)  # the unexpected ones, first few

    def record(self, outcome: str, code: str, seconds: float, sample: str = "") -> None:
        self.outcomes[outcome] += 1
        self.codes[code] += 1
        if outcome in ("ok", "409"):
            self.latencies.append(seconds)
        elif sample and len(self.samples) < SAMPLES_SHOWN:
            self.samples.append(sample)

    def as_json(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "outcomes": dict(self.outcomes),
            "codes": dict(self.codes),
            "samples": self.samples,
        }


def classify(response: httpx.Response, expected: int, conflict_ok: bool) -> tuple[str, str]:
    """(outcome, status and error code): ok, 409 (expected here), 5xx or other."""
    status = response.status_code
    code = f"{status} {error_code(response) or ''}".strip()
    if status == expected:
        return "ok", code
    if status == 409 and conflict_ok:
        return "409", code
    if status >= 500:
        return "5xx", code
    return "other", code


class Load:
    """The operations of the mix and what they saw."""

    def __init__(self, plan: dict[str, Any], client: httpx.AsyncClient) -> None:
        self.plan = plan
        self.client = client
        self.base = plan["base_url"]
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self.bookings: list[dict[str, Any]] = []
        self.cancels: list[dict[str, Any]] = []
        self.cancellable: list[dict[str, Any]] = []
        self.live: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        for meeting in plan.get("live", []):
            for side in ("buyer", "exhibitor"):
                self.live.put_nowait((meeting["meeting_id"], side, meeting[side]))
        slots = plan.get("slots", [])
        self.hot = [
            (booth["id"], start)
            for booth in plan.get("booths", [])[-HOT_BOOTHS:]
            for start in slots[:HOT_SLOTS]
        ]

    async def timed(
        self,
        kind: str,
        send: Callable[[], Awaitable[httpx.Response]],
        expected: int = 200,
        conflict_ok: bool = False,
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await send()
        except httpx.TimeoutException as exc:
            self.tallies[kind].record("timeout", type(exc).__name__, 0.0, type(exc).__name__)
            return None
        except httpx.HTTPError as exc:
            name = type(exc).__name__
            self.tallies[kind].record("other", name, 0.0, f"{name}: {str(exc)[:BODY_CHARS]}")
            return None
        seconds = time.perf_counter() - started
        outcome, code = classify(response, expected, conflict_ok)
        sample = f"{code} {response.request.url.path}: {response.text[:BODY_CHARS]}"
        self.tallies[kind].record(outcome, code, seconds, sample)
        return response

    def reader(self, rng: random.Random) -> dict[str, str]:
        """Half the readers are signed-in buyers (their language), half anonymous (?lang=)."""
        if rng.random() < 0.5:
            return {"Cookie": f"kk_session={rng.choice(self.plan['buyers'])['token']}"}
        return {}

    def directory_query(self, rng: random.Random, html: bool) -> str:
        query = dict(rng.choice(QUERIES))
        roll = rng.random()
        if roll < 0.2:
            query["category"] = rng.choice(CATEGORY_FILTERS)
        elif roll < 0.35:
            query["market"] = rng.choice(MARKET_FILTERS)
        elif roll < 0.5:
            query["language"] = rng.choice(UI_LANGUAGES)
        if rng.random() < 0.3:
            query["sort"] = rng.choice(["newest", "products"])
        if rng.random() < 0.3:
            query["page"] = str(rng.randint(2, 3))
        if html:
            query["lang"] = rng.choice(UI_LANGUAGES)
        return urlencode(query)

    # --- the operations --------------------------------------------------------------------

    async def directory_api(self, rng: random.Random) -> None:
        url = f"{self.base}/api/fairs/{SLUG}/booths?{self.directory_query(rng, False)}"
        headers = self.reader(rng)
        await self.timed("directory API", lambda: self.client.get(url, headers=headers))

    async def directory_page(self, rng: random.Random) -> None:
        url = f"{self.base}/fairs/{SLUG}/booths?{self.directory_query(rng, True)}"
        headers = self.reader(rng)
        await self.timed("directory page", lambda: self.client.get(url, headers=headers))

    async def booth_page(self, rng: random.Random) -> None:
        booth = rng.choice(self.plan["booths"])["id"]
        url = f"{self.base}/booths/{booth}?lang={rng.choice(UI_LANGUAGES)}"
        headers = self.reader(rng)
        await self.timed("booth page", lambda: self.client.get(url, headers=headers))

    async def booth_api(self, rng: random.Random) -> None:
        url = f"{self.base}/api/booths/{rng.choice(self.plan['booths'])['id']}"
        headers = self.reader(rng)
        await self.timed("booth API", lambda: self.client.get(url, headers=headers))

    async def slots(self, rng: random.Random) -> None:
        buyer = rng.choice(self.plan["buyers"])
        booth = rng.choice(self.plan["booths"])["id"]
        url = f"{self.base}/api/booths/{booth}/slots?{urlencode({'tz': buyer['timezone']})}"
        headers = {"Cookie": f"kk_session={buyer['token']}"}
        await self.timed("slots", lambda: self.client.get(url, headers=headers))

    async def book(self, rng: random.Random) -> None:
        buyer = rng.choice(self.plan["buyers"])
        hot = rng.random() < HOT_SHARE
        if hot:
            booth_id, start = rng.choice(self.hot)
        else:
            booth_id, start = rng.choice(self.plan["booths"])["id"], rng.choice(self.plan["slots"])
        body = {"booth_id": booth_id, "start": start}
        headers = {"Cookie": f"kk_session={buyer['token']}"}
        response = await self.timed(
            "book",
            lambda: self.client.post(f"{self.base}/api/meetings", json=body, headers=headers),
            expected=201,
            conflict_ok=True,
        )
        record: dict[str, Any] = {
            "buyer_id": buyer["id"],
            "booth_id": booth_id,
            "start": start,
            "hot": hot,
            "status": None if response is None else response.status_code,
            "id": None,
        }
        if response is not None and response.status_code == 201:
            record["id"] = response.json()["id"]
            self.cancellable.append({**record, "buyer_token": buyer["token"]})
        self.bookings.append(record)

    async def cancel(self, rng: random.Random) -> None:
        if not self.cancellable:
            await self.book(rng)
            return
        meeting = self.cancellable.pop(rng.randrange(len(self.cancellable)))
        by_exhibitor = rng.random() < EXHIBITOR_CANCELS
        owner = self.plan["owners"][meeting["booth_id"]]
        token = owner if by_exhibitor else meeting["buyer_token"]
        url = f"{self.base}/api/meetings/{meeting['id']}/cancel"
        headers = {"Cookie": f"kk_session={token}"}
        body = {"reason": "Load test: plans changed."}
        response = await self.timed(
            "cancel", lambda: self.client.post(url, json=body, headers=headers)
        )
        self.cancels.append(
            {
                "id": meeting["id"],
                "by": "exhibitor" if by_exhibitor else "buyer",
                "status": None if response is None else response.status_code,
            }
        )

    async def join(self, rng: random.Random) -> None:
        meeting_id, side, token = await self.live.get()  # never the same person twice at once
        try:
            url = f"{self.base}/api/meetings/{meeting_id}/join"
            headers = {"Cookie": f"kk_session={token}"}
            response = await self.timed(
                "join API", lambda: self.client.post(url, json={}, headers=headers)
            )
            if response is None or response.status_code != 200:
                return
            grant = response.json()
            await self.signal(grant["ws_url"], {"type": "join", "token": grant["token"]})
        finally:
            self.live.put_nowait((meeting_id, side, token))

    async def signal(self, ws_url: str, join: dict[str, Any], kind: str = "signaling") -> None:
        """Connect, join, ping, leave; ok when ``joined`` and ``pong`` came and it closed."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, WebSocketException

        tally = self.tallies[kind]
        started = time.perf_counter()
        step = "connect"
        try:
            async with asyncio.timeout(WS_TIMEOUT_SECONDS):
                async with connect(ws_url, compression=None, open_timeout=None) as ws:
                    step = "joined"
                    await ws.send(json.dumps(join))
                    await wait_for_frame(ws, "joined")
                    step = "pong"
                    await ws.send('{"type":"ping"}')
                    await wait_for_frame(ws, "pong")
                    step = "close"
                    await ws.send('{"type":"leave"}')
                    with contextlib.suppress(ConnectionClosed):
                        while True:
                            await ws.recv()
                    code = ws.close_code
        except TimeoutError:
            tally.record("timeout", f"timeout at {step}", 0.0, f"timeout waiting for {step}")
            return
        except (ConnectionClosed, WebSocketException, OSError, RuntimeError) as exc:
            name = f"{type(exc).__name__} at {step}"
            tally.record("other", name, 0.0, f"{name}: {str(exc)[:BODY_CHARS]}")
            return
        seconds = time.perf_counter() - started
        if code == 1000:
            tally.record("ok", "1000", seconds)
        else:
            tally.record("other", f"close {code}", seconds, f"closed with {code}")

    async def baseline_json(self, rng: random.Random) -> None:
        url = f"{self.base}/api/constant"
        await self.timed(BASELINE_KINDS[0], lambda: self.client.get(url))

    async def baseline_ws(self, rng: random.Random) -> None:
        ws_url = self.base.replace("http://", "ws://") + "/ws"
        await self.signal(ws_url, {"type": "join", "token": "x" * 200}, BASELINE_KINDS[1])


async def wait_for_frame(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of ``kind``; room news and the server's pings are passed over."""
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == kind:
            return frame
        if frame.get("type") == "error":
            raise RuntimeError(f"error frame while waiting for {kind}: {frame}")


def operations(
    load: Load, baseline: bool, mix: dict[str, int]
) -> dict[str, tuple[Callable[[random.Random], Any], int]]:
    if baseline:
        http_weight = sum(w for kind, w in mix.items() if kind != "join")
        return {
            "json": (load.baseline_json, http_weight),
            "ws": (load.baseline_ws, mix["join"]),
        }
    return {
        "directory API": (load.directory_api, mix["directory API"]),
        "directory page": (load.directory_page, mix["directory page"]),
        "booth page": (load.booth_page, mix["booth page"]),
        "booth API": (load.booth_api, mix["booth API"]),
        "slots": (load.slots, mix["slots"]),
        "book": (load.book, mix["book"]),
        "cancel": (load.cancel, mix["cancel"]),
        "join": (load.join, mix["join"]),
    }


def only(kinds: str | None) -> dict[str, int]:
    """The mix, or its operations named in ``kinds`` (comma-separated) at their weights and
    the others at none: the CPU a request of one kind costs, under the same load."""
    if not kinds:
        return dict(MIX)
    wanted = {kind.strip() for kind in kinds.split(",")}
    return {kind: weight if kind in wanted else 0 for kind, weight in MIX.items()}


async def client_run(plan: dict[str, Any]) -> dict[str, Any]:
    concurrency = plan["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        limits=limits,
        timeout=REQUEST_TIMEOUT_SECONDS,
        cookies=http.cookiejar.CookieJar(policy=NoCookies()),
    ) as client:
        load = Load(plan, client)
        ops = operations(load, plan["baseline"], plan["mix"])
        names = list(ops)
        weights = [weight for _, weight in ops.values()]
        if not plan["baseline"]:
            # Warm-up, not counted: one read of each kind opens connections and fills caches.
            warm = Load(plan, client)
            rng = random.Random(0)  # noqa: S311
            for op in (warm.directory_api, warm.directory_page, warm.booth_page, warm.booth_api):
                await op(rng)
        issued = 0
        deadline = time.perf_counter() + plan["seconds"]

        async def worker(number: int) -> None:
            nonlocal issued
            rng = random.Random(number)  # noqa: S311 (a repeatable mix, not secrets)
            while time.perf_counter() < deadline and issued < plan["max_requests"]:
                issued += 1
                await ops[rng.choices(names, weights)[0]][0](rng)

        server_before = tree_cpu_seconds(plan["server_pid"])
        worker_before = process_cpu_seconds(plan["worker_pid"]) if plan["worker_pid"] else None
        client_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_before
        server_after = tree_cpu_seconds(plan["server_pid"])
        worker_after = process_cpu_seconds(plan["worker_pid"]) if plan["worker_pid"] else None

    def spent(before: float | None, after: float | None) -> float | None:
        return None if before is None or after is None else after - before

    return {
        "seconds": seconds,
        "operations": issued,
        "client_cpu": client_cpu,
        "server_cpu": spent(server_before, server_after),
        "worker_cpu": spent(worker_before, worker_after),
        "tallies": {kind: tally.as_json() for kind, tally in load.tallies.items()},
        "bookings": load.bookings,
        "cancels": load.cancels,
    }


def tree_pids(pid: int) -> list[int]:
    """A process and its live descendants (``fair serve --workers N``: the supervisor and its
    N worker processes)."""
    try:
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        children = []
    return [pid] + [grandchild for child in children for grandchild in tree_pids(child)]


@contextlib.contextmanager
def frozen(pids: list[int]) -> Iterator[None]:
    """The processes stopped (SIGSTOP) while the block runs, then continued, whatever
    happens in the block."""
    stopped = []
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        yield
    finally:
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and its live descendants; None where /proc isn't there."""
    own = process_cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(process_cpu_seconds(child) or 0.0 for child in tree_pids(pid)[1:])


def client_main(plan_file: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    json.dump(asyncio.run(client_run(plan)), sys.stdout)


async def run_client(plan: dict[str, Any], tmp: Path) -> dict[str, Any]:
    name = "baseline" if plan["baseline"] else "ours"
    return await client_process(SCRIPT, plan, tmp / f"plan-{name}.json")


# --- the baseline server (a child process: ``--serve-baseline``) -------------------------------


def serve_baseline(args: argparse.Namespace) -> None:
    """A bare Starlette app: a constant JSON, and a WebSocket that answers join, ping and leave
    without checking anything; uvicorn with the app's WebSocket implementation."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def constant(request: Any) -> JSONResponse:
        return JSONResponse(BASELINE_BODY)

    async def health(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    async def room(ws: WebSocket) -> None:
        await ws.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                frame = json.loads(await ws.receive_text())
                if frame["type"] == "join":
                    await ws.send_text(
                        '{"type":"joined","peer_id":"p","peers":[],"ping_interval":15}'
                    )
                elif frame["type"] == "ping":
                    await ws.send_text('{"type":"pong"}')
                elif frame["type"] == "leave":
                    await ws.close(1000, "left")
                    return

    app = Starlette(
        routes=[
            Route("/api/constant", constant),
            Route("/healthz", health),
            WebSocketRoute("/ws", room),
        ]
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, ws="websockets-sansio", log_level="warning"
    )
    server = uvicorn.Server(config)
    parent, deadline = os.getppid(), time.monotonic() + args.lifetime

    def watchdog() -> None:
        # Never outlive the benchmark: stop when the parent is gone or the time is up.
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.5)
        server.should_exit = True

    threading.Thread(target=watchdog, daemon=True).start()
    server.run()


# --- our server, the worker, the database, Redis -----------------------------------------------


def app_env(database_url: str, redis_url: str, tmp: Path, port: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAIR_")}
    return env | {
        "FAIR_ENV": "development",
        # Every bench client comes from 127.0.0.1 on purpose: the per-address and
        # per-account limits against throw-away accounts would measure 429s instead.
        "FAIR_REGISTRATIONS_PER_ADDRESS": "1000000",
        "FAIR_BOOKINGS_PER_ACCOUNT": "1000000",
        "FAIR_BOOKINGS_PER_ADDRESS": "1000000",
        "FAIR_DATABASE_URL": database_url,
        "FAIR_REDIS_URL": redis_url,
        "FAIR_INPROCESS_JOBS": "1",  # the outbox relay runs in the app process
        "FAIR_BASE_URL": f"http://127.0.0.1:{port}",
        "FAIR_MEDIA_DIR": str(tmp / "media"),
        "FAIR_MAIL_DIR": str(tmp / "mail"),
    }


@contextlib.asynccontextmanager
async def fair_processes(
    database_url: str, redis_url: str, tmp: Path, workers: int = 1
) -> AsyncIterator[tuple[str, int, int]]:
    """``fair serve --workers N`` and ``fair worker`` (as ``python -m kakehashi.cli ...``),
    their output in ``tmp`` (``serve.log``, ``serve-2w.log`` for 2 workers ...); yields
    (base URL, server pid, worker pid) once the worker has registered with
    Redis and /healthz answers 200 (database and Redis up). The server's stdout (its access
    log) is kept out of the report."""
    port = free_port()
    env = app_env(database_url, redis_url, tmp, port)
    cli = [sys.executable, "-m", "kakehashi.cli"]
    serve_workers = ["--workers", str(workers)]
    with (
        (tmp / "worker.log").open("wb") as worker_log,
        (tmp / serve_log_name(workers)).open("wb") as serve_log,
    ):
        worker = await asyncio.create_subprocess_exec(
            *cli, "worker", env=env, cwd=ROOT, stdout=worker_log, stderr=worker_log
        )
        async with stopping(worker, STOP_SECONDS):
            await worker_ready(redis_url, worker)
            async with child_server(
                [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), *serve_workers],
                port,
                ready_path="/healthz",
                name="fair serve",
                env=env,
                cwd=ROOT,
                stdout=serve_log,
                stderr=serve_log,
                ready_seconds=READY_SECONDS,
                stop_seconds=STOP_SECONDS,
            ) as (base_url, server_pid):
                yield base_url, server_pid, worker.pid


def serve_log_name(workers: int) -> str:
    return "serve.log" if workers == 1 else f"serve-{workers}w.log"


async def worker_ready(redis_url: str, worker: asyncio.subprocess.Process) -> None:
    """arq writes its health-check key when its loop starts."""
    from redis.asyncio import Redis

    from fair.config import Settings

    key = f"{Settings().arq_queue}:health-check"
    redis = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not await redis.exists(key):
            if worker.returncode is not None:
                raise RuntimeError(f"fair worker exited with {worker.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"fair worker did not start within {READY_SECONDS}s")
            await asyncio.sleep(0.2)
    finally:
        await redis.aclose()


@contextlib.asynccontextmanager
async def redis_db(url: str) -> AsyncIterator[int]:
    """The Redis database of ``url``, flushed before and after (that one only); yields the
    number of keys it held before."""
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        before = int(await redis.dbsize())
        await redis.flushdb()
        yield before
    finally:
        await redis.flushdb()
        await redis.aclose()


# --- the drain and the check -------------------------------------------------------------------

PENDING_SQL = """
SELECT
  count(*) FILTER (WHERE dispatched_at IS NULL),
  count(*) FILTER (WHERE dispatched_at IS NOT NULL AND job = 'send_meeting_mail'
                   AND NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.key = o.key))
FROM outbox o WHERE available_at <= now()
"""


@dataclass
class Drain:
    waiting_relay: int = 0  # due outbox rows not yet handed to arq, when the load stopped
    waiting_worker: int = 0  # handed to arq, not yet run
    seconds: float = 0.0
    done: bool = False


async def drain(url: str, deadline_seconds: float) -> Drain:
    """Wait until every due outbox row is handed to arq and every mail job has run."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    result = Drain()
    try:
        started = time.perf_counter()
        first = True
        while True:
            relay, worker = await conn.fetchrow(PENDING_SQL)
            if first:
                result.waiting_relay, result.waiting_worker, first = relay, worker, False
            if relay == 0 and worker == 0:
                result.done = True
                break
            if time.perf_counter() - started > deadline_seconds:
                break
            await asyncio.sleep(0.25)
        result.seconds = time.perf_counter() - started
    finally:
        await conn.close()
    return result


@dataclass
class Check:
    label: str
    ok: bool
    detail: str
    strict: bool = True  # False: a rule the database does not enforce; reported, not failed


# The jobs the app's periodic tasks queue through the outbox, keyed by their period (the
# key's strftime format, the period): one a period whichever process asks first.
PERIODIC_JOBS: dict[str, tuple[str, timedelta]] = {
    # fair/retention.py queue_purge, every hour
    "purge_old_data": ("retention:%Y-%m-%dT%H", timedelta(hours=1)),
    # matchmaking/learning.py queue_refit, every hour, keyed by the day
    "refit_weights": ("match-refit:%Y-%m-%d", timedelta(days=1)),
}


def period_keys(job: str, started: datetime, stopped: datetime) -> set[str]:
    """The keys ``job``'s periodic task may have used while the app ran."""
    fmt, step = PERIODIC_JOBS[job]
    keys, moment = {stopped.strftime(fmt)}, started
    while moment < stopped:
        keys.add(moment.strftime(fmt))
        moment += step
    return keys


def mail_key(meeting_id: str, sequence: int, event: str, user_id: str) -> str:
    return f"meeting-mail:{meeting_id}:{sequence}:{event}:{user_id}"


def mail_file(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:40] + ".eml"


def outbox_keys(meeting: Any, owner: str) -> dict[str, str]:
    """The outbox rows one booked meeting (and its cancel) must have made: key → job."""
    people = (meeting["buyer_id"], owner)
    keys = {mail_key(meeting["id"], 0, "booked", p): "send_meeting_mail" for p in people}
    for kind in ("day", "soon"):
        for p in people:
            keys[f"meeting-reminder:{meeting['id']}:0:{kind}:{p}"] = "send_meeting_reminder"
    keys[f"attendance:{meeting['id']}:0"] = "decide_attendance"
    if meeting["status"] == "cancelled":
        for p in people:
            keys[mail_key(meeting["id"], meeting["sequence"], "cancelled", p)] = "send_meeting_mail"
    return keys


def overlaps(rows: list[Any], group: str, pad: timedelta) -> int:
    """Pairs of rows of the same ``group`` whose times (end + ``pad``) overlap."""
    by_group: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_group[row[group]].append(row)
    found = 0
    for items in by_group.values():
        items.sort(key=lambda r: r["starts_at"])
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b["starts_at"] >= a["ends_at"] + pad:
                    break
                found += 1
    return found


async def arq_results(redis_url: str, keys: list[str]) -> dict[str, Any]:
    from arq.connections import ArqRedis
    from arq.jobs import Job

    from fair.config import Settings

    queue = Settings().arq_queue
    redis = ArqRedis.from_url(redis_url)
    try:
        results = {}
        for key in keys:
            results[key] = await Job(key, redis, _queue_name=queue).result_info()
        queued = int(await redis.zcard(queue))
        in_progress = len(await redis.keys("arq:in-progress:*"))
        retries = len(await redis.keys("arq:retry:*"))
    finally:
        await redis.aclose()
    return {"results": results, "queued": queued, "in_progress": in_progress, "retries": retries}


def read_mail_dir(
    mail_dir: Path, current: list[str], superseded: list[str], emails: dict[str, str]
) -> dict[str, Any]:
    """The mail folder against the mail keys: one ``.eml`` per key of a meeting's current
    SEQUENCE, named by the key's hash, its Message-ID made from the key, addressed to the
    key's recipient; a key of an older SEQUENCE may have its file or not (meetings/jobs.py
    skips a mail that a later change of its meeting superseded before it ran)."""
    from fair.config import Settings
    from fair.mail import message_id

    settings = Settings()
    files = {p.name for p in mail_dir.glob("*.eml")} if mail_dir.exists() else set()
    wanted = {mail_file(k): k for k in current}
    optional = {mail_file(k): k for k in superseded}
    wrong = 0
    for name in (set(wanted) | set(optional)) & files:
        key = wanted.get(name) or optional[name]
        message = email.message_from_bytes((mail_dir / name).read_bytes())
        recipient = emails.get(key.rsplit(":", 1)[1])
        if message["Message-ID"] != message_id(key, settings) or message["To"] != recipient:
            wrong += 1
    return {
        "files": len(files),
        "missing": len(set(wanted) - files),
        "missing keys": sorted(wanted[name] for name in set(wanted) - files),
        "unexpected": len(files - set(wanted) - set(optional)),
        "wrong headers": wrong,
        "half-written": len(list(mail_dir.glob("*.tmp"))) if mail_dir.exists() else 0,
        "superseded sent": len(set(optional) & files),
    }


def missing_by_event(keys: list[str]) -> str:
    """Which mails are missing, by event, with an example key."""
    if not keys:
        return ""
    events = Counter(key.split(":")[3] for key in keys)
    listed = ", ".join(f"{event} × {n}" for event, n in events.most_common())
    return f" (missing: {listed}; e.g. `{keys[0]}`)"


async def integrity(
    url: str,
    redis_url: str,
    seeded: Seeded,
    raw: dict[str, Any],
    mail_dir: Path,
    app_ran: tuple[datetime, datetime],
) -> list[Check]:
    """The checks, ``app_ran`` the span from the first start of ``fair serve`` to its
    last stop (the periodic tasks' keys fall in it)."""
    import asyncpg

    from fair.accounts.jobs import may_mail
    from fair.accounts.models import User

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        meetings = [
            dict(r)
            for r in await conn.fetch(
                "SELECT id, booth_id, buyer_id, starts_at, ends_at, status, sequence"
                " FROM meetings WHERE NOT (id = ANY($1::text[]))",
                seeded.live_ids,
            )
        ]
        active_all = [
            dict(r)
            for r in await conn.fetch(
                "SELECT id, booth_id, buyer_id, starts_at, ends_at FROM meetings"
                " WHERE status IN ('confirmed', 'requested')"
            )
        ]
        holds = Counter(
            {
                (r["meeting_id"], r["kind"]): r["n"]
                for r in await conn.fetch(
                    "SELECT meeting_id, split_part(resource, ':', 1) AS kind, count(*) AS n"
                    " FROM meeting_holds GROUP BY 1, 2"
                )
            }
        )
        outbox = {r["key"]: r["job"] for r in await conn.fetch("SELECT key, job FROM outbox")}
        runs = {r["key"] for r in await conn.fetch("SELECT key FROM job_runs")}
        users = await conn.fetch("SELECT id, email, is_active, email_verified_at FROM users")
        emails = {r["id"]: r["email"] for r in users}
        # Whom meetings/jobs.py mails at all, by its own rule (the rest: the job runs, no file).
        mailable = {
            r["id"]
            for r in users
            if may_mail(User(is_active=r["is_active"], email_verified_at=r["email_verified_at"]))
        }
        owners = {
            r["id"]: r["owner_id"] for r in await conn.fetch("SELECT id, owner_id FROM booths")
        }
    finally:
        await conn.close()

    checks: list[Check] = []
    by_id = {m["id"]: m for m in meetings}
    bookings = raw["bookings"]
    won = {b["id"]: b for b in bookings if b["status"] == 201}
    unknown = [b for b in bookings if b["status"] is None or b["status"] >= 500]
    refused = [b for b in bookings if b["status"] is not None and 400 <= b["status"] < 500]

    # Bookings: the client's 201s are in the database once, as answered; nothing else is.
    def same(b: dict[str, Any], m: dict[str, Any]) -> bool:
        return (
            m["booth_id"] == b["booth_id"]
            and m["buyer_id"] == b["buyer_id"]
            and m["starts_at"] == datetime.fromisoformat(b["start"]).astimezone(UTC)
        )

    missing = [i for i in won if i not in by_id]
    wrong = [i for i, b in won.items() if i in by_id and not same(b, by_id[i])]
    checks.append(
        Check(
            "every booking answered 201 is in the database, as answered",
            not missing and not wrong and len(won) == sum(b["status"] == 201 for b in bookings),
            f"{len(won):,} answered 201; missing {len(missing)}, different {len(wrong)}",
        )
    )
    extra = [m for i, m in by_id.items() if i not in won]
    explained = [m for m in extra if any(same(b, m) for b in unknown)]
    unexplained = [m for m in extra if m not in explained]
    refused_present = [
        m for m in unexplained if any(same(b, m) for b in refused)
    ]  # a 409 whose booking is there anyway
    checks.append(
        Check(
            "no meeting in the database that the client was refused or never asked for",
            not unexplained,
            f"{len(by_id):,} meetings made by the load; {len(extra)} not answered 201 "
            f"({len(explained)} of them from requests whose answer never came, "
            f"{len(refused_present)} matching a 4xx answer); {len(refused):,} refused, "
            f"{len(unknown)} unanswered",
        )
    )

    # Overlaps among all active meetings (the live ones included).
    pad = timedelta(minutes=BUFFER_MINUTES)
    booth_pairs = overlaps(active_all, "booth_id", pad)
    buyer_pairs = overlaps(active_all, "buyer_id", timedelta(0))
    distinct = len({(m["booth_id"], m["starts_at"]) for m in active_all})
    checks.append(
        Check(
            "no double booking: no two active meetings of a booth overlap (buffer included), "
            "nor two of a buyer",
            booth_pairs == 0 and buyer_pairs == 0 and distinct == len(active_all),
            f"{len(active_all):,} active meetings, {distinct:,} distinct (booth, start); "
            f"overlapping pairs: booth {booth_pairs}, buyer {buyer_pairs}",
        )
    )

    # The booth's cap per buyer is checked before the insert, not held by the database.
    per_buyer = Counter((m["booth_id"], m["buyer_id"]) for m in active_all)
    over = {pair: n for pair, n in per_buyer.items() if n > MAX_PER_BUYER}
    checks.append(
        Check(
            f"at most {MAX_PER_BUYER} active meetings per buyer and booth (max_per_buyer)",
            not over,
            f"{len(per_buyer):,} (buyer, booth) pairs; over the cap {len(over)}"
            + (f" (up to {max(over.values())})" if over else ""),
            strict=False,
        )
    )

    # Cancels.
    cancels = raw["cancels"]
    cancelled_ok = {c["id"] for c in cancels if c["status"] == 200}
    cancel_unknown = {c["id"] for c in cancels if c["status"] is None or c["status"] >= 500}
    in_db_cancelled = {i for i, m in by_id.items() if m["status"] == "cancelled"}
    not_cancelled = cancelled_ok - in_db_cancelled
    cancelled_unasked = in_db_cancelled - cancelled_ok - cancel_unknown
    bad_sequence = [i for i in in_db_cancelled if by_id[i]["sequence"] != 1]
    checks.append(
        Check(
            "every cancel answered 200 is cancelled in the database (SEQUENCE 1), nothing else",
            not not_cancelled and not cancelled_unasked and not bad_sequence,
            f"{len(cancels):,} cancels, {len(cancelled_ok):,} answered 200; not cancelled "
            f"{len(not_cancelled)}, cancelled without a 200 {len(cancelled_unasked)} "
            f"({len(cancel_unknown & in_db_cancelled)} unanswered), bad SEQUENCE "
            f"{len(bad_sequence)}",
        )
    )
    statuses = Counter(m["status"] for m in meetings)
    checks.append(
        Check(
            "meetings made by the load are confirmed or cancelled",
            set(statuses) <= {"confirmed", "cancelled"},
            ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items())),
        )
    )

    # Holds.
    active_ids = {m["id"] for m in active_all}
    bad_holds = [
        i
        for i in active_ids
        if holds[(i, "booth")] != BOOTH_CELLS or holds[(i, "user")] != BUYER_CELLS
    ]
    stray = {i for i, _ in holds if i not in active_ids}
    checks.append(
        Check(
            f"holds: {BOOTH_CELLS} booth and {BUYER_CELLS} buyer cells per active meeting, "
            "none for others",
            not bad_holds and not stray,
            f"{sum(holds.values()):,} cells; active meetings with wrong holds {len(bad_holds)}, "
            f"meetings holding cells while not active {len(stray)}",
        )
    )

    # The outbox: exactly the rows the mail rules make, and the periodic tasks' jobs.
    expected: dict[str, str] = {}
    for m in meetings:
        expected |= outbox_keys(m, owners[m["booth_id"]])
    # Each periodic task ran when the app's relay started (then its Redis lease kept the
    # other processes and the second run from repeating it within its period).
    periodic = {k: j for k, j in outbox.items() if j in PERIODIC_JOBS}
    periodic_ok = all(
        {k for k, j in periodic.items() if j == job} & period_keys(job, *app_ran)
        for job in PERIODIC_JOBS
    ) and all(k in period_keys(j, *app_ran) for k, j in periodic.items())
    missing_rows = set(expected) - set(outbox)
    extra_rows = set(outbox) - set(expected) - set(periodic)
    wrong_job = [k for k in set(expected) & set(outbox) if expected[k] != outbox[k]]
    jobs = Counter(expected.values()) + Counter(periodic.values())
    checks.append(
        Check(
            "outbox: per booking 2 booked mails + 4 reminders + 1 attendance decision, per "
            "cancel 2 cancelled mails; one job per periodic task and period "
            f"({', '.join(sorted(PERIODIC_JOBS))}); nothing else",
            not missing_rows and not extra_rows and not wrong_job and periodic_ok,
            f"{len(outbox):,} rows ({', '.join(f'{j} {n:,}' for j, n in sorted(jobs.items()))});"
            f" missing {len(missing_rows)}, unexpected {len(extra_rows)}, wrong job "
            f"{len(wrong_job)}; periodic {', '.join(sorted(periodic)) or 'none'}"
            + ("" if periodic_ok else " (**not one per task, in the run's periods**)"),
        )
    )

    # Mails: one job_runs row, one file, one arq result (first try, effect) per key.
    mail_keys = sorted(k for k, j in expected.items() if j == "send_meeting_mail")
    not_run = [k for k in mail_keys if k not in runs]
    other_runs = runs - set(mail_keys)
    sequences = {m["id"]: m["sequence"] for m in meetings}
    to_mail = [k for k in mail_keys if k.rsplit(":", 1)[1] in mailable]
    current = [k for k in to_mail if int(k.split(":")[2]) == sequences[k.split(":")[1]]]
    superseded = sorted(set(to_mail) - set(current))
    mails = read_mail_dir(mail_dir, current, superseded, emails)
    checks.append(
        Check(
            "every mail job ran once: one job_runs row per key, none for other keys",
            not not_run and not other_runs,
            f"{len(mail_keys):,} mail keys; without a job_runs row {len(not_run)}; job_runs "
            f"rows for other keys {len(other_runs)}",
        )
    )
    checks.append(
        Check(
            "one .eml per mail key of a meeting's current SEQUENCE (Message-ID from the key, "
            "To the recipient); for an older SEQUENCE one or none; none to a recipient who "
            "may not be mailed (fair.accounts.jobs.may_mail); no other file",
            not any(mails[k] for k in ("missing", "unexpected", "wrong headers", "half-written")),
            f"{mails['files']:,} files for {len(current):,} current keys and "
            f"{len(superseded):,} superseded ones ({mails['superseded sent']:,} of these sent "
            "before the meeting changed, the others skipped); "
            f"{len(mail_keys) - len(to_mail):,} keys to recipients who may not be mailed; "
            + ", ".join(f"{k} {mails[k]}" for k in ("missing", "unexpected", "wrong headers"))
            + f", half-written {mails['half-written']}"
            + missing_by_event(mails["missing keys"]),
        )
    )
    arq = await arq_results(redis_url, mail_keys)
    results = arq["results"]
    no_result = [k for k, r in results.items() if r is None]
    failed = [k for k, r in results.items() if r is not None and not r.success]
    skipped = [
        k for k, r in results.items() if r is not None and r.success and r.result is not True
    ]
    retried = [k for k, r in results.items() if r is not None and r.job_try != 1]
    checks.append(
        Check(
            "arq ran each mail job once: a result per key, on the first try, with its effect "
            "(True), none queued, in progress or retrying",
            not (no_result or failed or skipped or retried)
            and arq["queued"] == 0
            and arq["in_progress"] == 0
            and arq["retries"] == 0,
            f"{len(results):,} keys: no result {len(no_result)}, failed {len(failed)}, ran "
            f"without effect (already done) {len(skipped)}, tried more than once "
            f"{len(retried)}; queued {arq['queued']}, in progress {arq['in_progress']}, "
            f"retry markers {arq['retries']}",
        )
    )
    return checks


# --- the run -----------------------------------------------------------------------------------


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@dataclass
class Phase:
    label: str
    raw: dict[str, Any]
    load: list[float]  # one-minute load average sampled each second
    machine_busy: float  # share of both cores busy (all processes)


async def measured(label: str, plan: dict[str, Any], tmp: Path) -> Phase:
    samples: list[float] = [os.getloadavg()[0]]
    busy_before = cpu_busy()

    async def sample() -> None:
        while True:
            await asyncio.sleep(1.0)
            samples.append(os.getloadavg()[0])

    # The collector's runs in our one server process, from its /metrics (prometheus_client's
    # python_gc_collections_total); with several workers each scrape would reach one of them.
    counted = not plan["baseline"] and tree_pids(plan["server_pid"]) == [plan["server_pid"]]
    gc_before = await gc_collections(plan["base_url"]) if counted else None
    sampler = asyncio.create_task(sample())
    try:
        raw = await run_client(plan, tmp)
    finally:
        sampler.cancel()
    gc_after = await gc_collections(plan["base_url"]) if counted else None
    raw["server_gc"] = (
        None
        if gc_before is None or gc_after is None
        else [after - before for before, after in zip(gc_before, gc_after, strict=True)]
    )
    busy_after = cpu_busy()
    samples.append(os.getloadavg()[0])
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    return Phase(label, raw, samples, busy)


@dataclass
class Run:
    seeded: Seeded
    baseline: Phase
    ours: Phase
    drain: Drain
    checks: list[Check]
    serve_log: list[str]
    worker_log: list[str]
    redis_keys_before: int
    postgres_version: str = ""
    # The same load on ``fair serve --workers N`` (``--workers``), after the one-process run.
    more: Phase | None = None


def log_problems(path: Path) -> list[str]:
    """Lines of a log that tell of a problem: a traceback, an error, a 5xx in the access log,
    an arq job that failed (``12.34s ! job failed``) or was retried (``↻``)."""
    if not path.exists():
        return []
    lines = path.read_text(errors="replace").splitlines()
    problem = re.compile(r"Traceback|ERROR|Exception|HTTP/1\.1\" 5\d\d|\d+\.\d+s ! |↻")
    return [line for line in lines if problem.search(line)]


async def run(args: argparse.Namespace) -> Run:
    from booking import postgres_version

    from fair import clock

    with tempfile.TemporaryDirectory(prefix="kk_bench_load_") as tmp_name:
        tmp = Path(tmp_name)
        async with (
            throwaway_database(args.postgres, DATABASE, args.keep_db) as url,
            redis_db(args.redis) as keys_before,
        ):
            version = await postgres_version(url)
            seeded = await seed(url, args)
            common = {
                "mix": only(args.only),
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "max_requests": args.max_requests,
            }
            port = free_port()
            sliced = {**common, "seconds": args.seconds / args.slices}
            lifetime = 2 * args.seconds + args.slices * args.drain_seconds + 300
            command = [
                sys.executable, str(SCRIPT), "--serve-baseline", "--port", str(port),
                "--lifetime", str(lifetime),
            ]  # fmt: skip
            async with child_server(command, port, ready_path="/healthz", name="baseline") as (
                baseline_url,
                baseline_pid,
            ):
                baseline_plan = {
                    "baseline": True,
                    "base_url": baseline_url,
                    "server_pid": baseline_pid,
                    "worker_pid": None,
                    **sliced,
                }
                app_started = clock.now()
                async with fair_processes(url, args.redis, tmp) as (base_url, pid, worker_pid):
                    plan = {
                        "baseline": False,
                        "base_url": base_url,
                        "server_pid": pid,
                        "worker_pid": worker_pid,
                        "booths": [{"id": b["id"]} for b in seeded.booths],
                        "owners": {b["id"]: b["token"] for b in seeded.booths},
                        "buyers": seeded.buyers,
                        "live": seeded.live,
                        "slots": bookable_slots(date.fromisoformat(seeded.today)),
                        **sliced,
                    }
                    # The baseline and ours take turns (--slices), so that both are measured
                    # in the same minutes of the machine: one run's figure moved by a third
                    # with the machine's speed. The outbox is drained after each of our
                    # slices, so the worker's mails never run beside the baseline.
                    baselines, ours_slices, drained = [], [], Drain(done=True)
                    for _ in range(args.slices):
                        # Ours is frozen meanwhile: its relay's polling is not the baseline's
                        # neighbour (as when the baseline ran before ours started).
                        with frozen([*tree_pids(pid), worker_pid]):
                            baselines.append(await measured("baseline", baseline_plan, tmp))
                        ours_slices.append(await measured("ours", plan, tmp))
                        slice_drained = await drain(url, args.drain_seconds)
                        drained = slice_drained if drained.done else drained
                    baseline, ours = joined(baselines), joined(ours_slices)
            more = None
            raw = ours.raw
            if args.workers > 1:
                # The same load, data and database (what the first run booked stays booked:
                # more 409s), on N worker processes.
                async with fair_processes(url, args.redis, tmp, args.workers) as (
                    base_url,
                    pid,
                    worker_pid,
                ):
                    plan = {**plan, "base_url": base_url, "server_pid": pid}
                    plan["worker_pid"] = worker_pid
                    # In the same turns as the one-process run, the outbox drained after each.
                    more_slices = []
                    for _ in range(args.slices):
                        label = f"ours, {args.workers} workers"
                        more_slices.append(await measured(label, plan, tmp))
                        drained_more = await drain(url, args.drain_seconds)
                        drained = drained_more if drained.done else drained
                    more = joined(more_slices)
                raw = {
                    **raw,
                    "bookings": raw["bookings"] + more.raw["bookings"],
                    "cancels": raw["cancels"] + more.raw["cancels"],
                }
            app_ran = (app_started, clock.now())
            checks = await integrity(url, args.redis, seeded, raw, tmp / "mail", app_ran)
            if not drained.done:
                checks.insert(
                    0,
                    Check(
                        "the outbox drained before the deadline",
                        False,
                        f"still pending after {args.drain_seconds:g} s",
                    ),
                )
            serve_log = log_problems(tmp / "serve.log") + (
                log_problems(tmp / serve_log_name(args.workers)) if args.workers > 1 else []
            )
            worker_log = log_problems(tmp / "worker.log")
    return Run(
        seeded, baseline, ours, drained, checks, serve_log, worker_log, keys_before, version, more
    )


# --- the report --------------------------------------------------------------------------------


def tally_result(label: str, tally: dict[str, Any], seconds: float) -> Result:
    count = sum(tally["outcomes"].values())
    errors = count - tally["outcomes"].get("ok", 0) - tally["outcomes"].get("409", 0)
    return Result(label, "", 0, count, errors, seconds, tally["latencies"], None, 0.0)


GC_LINE = re.compile(r'^python_gc_collections_total\{generation="(\d)"\} ([0-9.e+]+)$', re.M)


async def gc_collections(base_url: str) -> list[int] | None:
    """Collections so far by generation (young, middle, full) in the process answering
    ``/metrics``; None when it does not say."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        answer = await client.get("/metrics")
    found = {int(g): int(float(n)) for g, n in GC_LINE.findall(answer.text)}
    return [found[g] for g in range(3)] if answer.status_code == 200 and len(found) == 3 else None


def joined(phases: list[Phase]) -> Phase:
    """Slices of one side (``--slices``) as one phase: their requests, seconds and CPU
    summed, their tallies, bookings and cancels together."""
    if len(phases) == 1:
        return phases[0]
    raws = [phase.raw for phase in phases]

    def total(key: str) -> float | None:
        values = [raw[key] for raw in raws]
        return None if any(value is None for value in values) else sum(values)

    tallies: dict[str, dict[str, Any]] = {}
    for raw in raws:
        for kind, tally in raw["tallies"].items():
            into = tallies.setdefault(
                kind, {"latencies": [], "outcomes": {}, "codes": {}, "samples": []}
            )
            into["latencies"] += tally["latencies"]
            for name in ("outcomes", "codes"):
                into[name] = dict(Counter(into[name]) + Counter(tally[name]))
            into["samples"] = (into["samples"] + tally["samples"])[:SAMPLES_SHOWN]
    raw = {
        key: total(key)
        for key in ("seconds", "operations", "client_cpu", "server_cpu", "worker_cpu")
    }
    gcs = [raw.get("server_gc") for raw in raws]
    raw |= {
        "server_gc": None if None in gcs else [sum(runs) for runs in zip(*gcs, strict=True)],
        "tallies": tallies,
        "bookings": [booking for raw in raws for booking in raw["bookings"]],
        "cancels": [cancel for raw in raws for cancel in raw["cancels"]],
    }
    seconds = [phase.raw["seconds"] for phase in phases]
    busy = sum(p.machine_busy * s for p, s in zip(phases, seconds, strict=True)) / sum(seconds)
    return Phase(phases[0].label, raw, [x for phase in phases for x in phase.load], busy)


def merged(tallies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies.values():
        outcomes.update(tally["outcomes"])
        latencies += tally["latencies"]
    return {"outcomes": outcomes, "latencies": latencies}


def table(phases: list[tuple[Phase, list[str]]]) -> str:
    lines = [
        "| run | operation | requests | req/s | p50 ms | p99 ms | 2xx | 409 (expected) "
        "| 5xx | timeouts | other errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase, kinds in phases:
        raw, seconds = phase.raw, phase.raw["seconds"]
        tallies = raw["tallies"]
        rows = [(k, tallies[k]) for k in kinds if k in tallies]
        rows.append(("**all**", merged(tallies)))
        for kind, tally in rows:
            r = tally_result(kind, tally, seconds)
            o = tally["outcomes"]
            lines.append(
                f"| {phase.label} | {kind} | {r.requests:,} | {r.rps:,.1f} "
                f"| {r.percentile_ms(50):,.1f} | {r.percentile_ms(99):,.1f} "
                f"| {o.get('ok', 0):,} | {o.get('409', 0):,} | {o.get('5xx', 0):,} "
                f"| {o.get('timeout', 0):,} | {o.get('other', 0):,} |"
            )
    return "\n".join(lines)


def cpu_line(phase: Phase) -> str:
    raw = phase.raw
    requests = sum(sum(t["outcomes"].values()) for t in raw["tallies"].values())
    parts = [f"{phase.label}: {requests:,} requests in {raw['seconds']:.1f} s"]
    if raw["server_cpu"] is not None:
        parts.append(
            f"server CPU {raw['server_cpu']:.1f} s ({raw['server_cpu'] / raw['seconds']:.0%} of "
            f"a core, {raw['server_cpu'] / max(1, requests) * 1000:.2f} ms/request)"
        )
    if raw.get("server_gc") is not None:
        young, middle, full = raw["server_gc"]
        parts.append(f"server's collector ran {young:,} young, {middle:,} middle, {full:,} full")
    if raw.get("worker_cpu") is not None:
        parts.append(f"worker CPU {raw['worker_cpu']:.1f} s")
    parts.append(f"client CPU {raw['client_cpu'] / raw['seconds']:.0%} of a core")
    parts.append(f"machine {phase.machine_busy:.0%} busy (both cores, every process)")
    parts.append(
        f"load average {phase.load[0]:.2f} at the start, max {max(phase.load):.2f}, "
        f"{phase.load[-1]:.2f} at the end"
    )
    return "- " + "; ".join(parts)


def workers_line(one: Phase, more: Phase) -> str:
    """Throughput of N worker processes ÷ one (the issue's goal: at least 1.6 with 2)."""

    def rps(phase: Phase) -> float:
        count = sum(sum(t["outcomes"].values()) for t in phase.raw["tallies"].values())
        return count / phase.raw["seconds"]

    return (
        f"- throughput, {more.label} ÷ one worker: {rps(more):,.1f} ÷ {rps(one):,.1f} req/s = "
        f"{rps(more) / max(rps(one), 1e-9):.2f}× (server CPU counts every worker process)"
    )


def details(run: Run) -> str:
    lines = []
    for phase in (run.baseline, run.ours):
        for kind, tally in phase.raw["tallies"].items():
            codes = ", ".join(f"{c} × {n:,}" for c, n in Counter(tally["codes"]).most_common())
            lines.append(f"- {phase.label}, {kind}: {codes}")
            lines += [f"  - unexpected: `{s}`" for s in tally["samples"]]
    bookings = run.ours.raw["bookings"]
    hot = [b for b in bookings if b["hot"]]
    lines.append(
        f"- bookings: {len(bookings):,} tried ({len(hot):,} at the {HOT_BOOTHS * HOT_SLOTS} hot "
        f"slots, {sum(b['status'] == 201 for b in hot):,} of them won); "
        f"{sum(b['status'] == 201 for b in bookings):,} answered 201"
    )
    return "\n".join(lines)


def report(run: Run, args: argparse.Namespace) -> str:
    mix = only(args.only)
    import sqlalchemy
    import starlette
    import uvicorn
    import websockets

    seeded = run.seeded
    d = run.drain
    out = [
        "## Mixed load on fair serve + fair worker (PostgreSQL, Redis), then an integrity check\n",
        f"Command: `{shlex.join(sys.orig_argv)}`\n",
        f"Python {platform.python_version()}, starlette {starlette.__version__}, uvicorn "
        f"{uvicorn.__version__} (one process"
        + (f", then {args.workers} worker processes" if run.more else "")
        + "), SQLAlchemy "
        f"{sqlalchemy.__version__}, PostgreSQL {run.postgres_version}, httpx "
        f"{httpx.__version__}, websockets {websockets.__version__}; {os.cpu_count()} CPUs "
        "shared by the server, the worker, PostgreSQL, Redis and the load generator (a second "
        f"process). Redis {args.redis} ({run.redis_keys_before} keys there before, flushed).\n",
        f"Data: one live fair, {len(seeded.booths)} approved booths × {args.products} products, "
        f"hours Mon-Fri {OPEN:02d}:00-{CLOSE:02d}:00 {ZONE}, {SLOT_MINUTES}-minute slots, "
        f"{BUFFER_MINUTES}-minute buffer; {len(seeded.buyers)} buyers; "
        f"{len(seeded.live)} meetings in their join window; seeded in {seeded.seconds:.0f} s.\n",
        f"Load: {args.concurrency} closed-loop workers for {args.seconds:g} s (at most "
        f"{args.max_requests:,} operations a slice), keep-alive, in {args.slices} turns of "
        f"{args.seconds / args.slices:g} s taken by the baseline and ours one after the other "
        "(the app and its worker stopped with SIGSTOP during the baseline's, the outbox "
        "drained after each of ours); mix by weight "
        + ", ".join(f"{k} {w}" for k, w in mix.items())
        + " (a join is a join API request and a signaling session). Baseline: the same client, "
        "concurrency and duration against a bare Starlette app (constant 2 kB JSON, and a "
        "WebSocket answering join/ping/leave), weights "
        f"{sum(w for k, w in mix.items() if k != 'join')} : {mix['join']}. Latency percentiles "
        "are over answered requests (2xx and expected 409); a signaling row's latency is "
        "connect → joined → pong → closed.\n",
        table(
            [(run.baseline, BASELINE_KINDS), (run.ours, KINDS)]
            + ([(run.more, KINDS)] if run.more else [])
        ),
        "",
        cpu_line(run.baseline),
        cpu_line(run.ours),
        *([cpu_line(run.more), workers_line(run.ours, run.more)] if run.more else []),
        "",
        details(run),
        "\n### Outbox drain\n",
        f"When the load stopped, {d.waiting_relay:,} due outbox rows were still to be handed "
        f"to arq and {d.waiting_worker:,} mail jobs handed over had not run yet; "
        + (
            f"all done {d.seconds:.1f} s later."
            if d.done
            else f"**not done after {d.seconds:.0f} s** (deadline)."
        ),
        "\n### Integrity check\n",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for check in run.checks:
        verdict = "ok" if check.ok else "**FAILED**" if check.strict else "**exceeded** (rule)"
        out.append(f"| {check.label} | {verdict} | {check.detail} |")
    passed = all(c.ok for c in run.checks if c.strict)
    out.append("")
    out.append(f"Integrity check: {'PASSED' if passed else '**FAILED**'}.")
    for name, lines in (("fair serve", run.serve_log), ("fair worker", run.worker_log)):
        out.append(f"\n{name} log: {len(lines)} lines with an error marker.")
        out += [f"    {line[:240]}" for line in lines[:SAMPLES_SHOWN]]
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration per run")
    parser.add_argument("--concurrency", type=int, default=32, help="operations in flight")
    parser.add_argument(
        "--max-requests", type=int, default=20000, help="at most this many operations per run"
    )
    parser.add_argument("--booths", type=int, default=300, help="approved booths in the fair")
    parser.add_argument("--products", type=int, default=10, help="products per booth")
    parser.add_argument("--buyers", type=int, default=400, help="buyers with sessions")
    parser.add_argument(
        "--live-meetings", type=int, default=40, help="meetings whose video room is open"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 5 s, 40 booths × 4 products, 60 buyers, 8 live meetings",
    )
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help=f"where to create (and drop) the {DATABASE} database",
    )
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/8",
        help="Redis for arq and signaling; this database number is flushed before and after",
    )
    parser.add_argument(
        "--drain-seconds", type=float, default=180.0, help="wait this long for the outbox"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="also run the same load on `fair serve --workers N` after the one-process run "
        "(same data; printed beside it)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help=f"leave the {DATABASE} database behind"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up after this many seconds in all"
    )
    parser.add_argument(
        "--slices",
        type=int,
        default=3,
        metavar="N",
        help="the baseline and ours take N turns of --seconds/N each (default 3), so that "
        "both are measured in the same minutes of the machine",
    )
    parser.add_argument(
        "--only",
        metavar="KINDS",
        help="only these operations of the mix, comma-separated (say 'book,cancel'), to "
        "see what one kind costs; the baseline keeps the same share of WebSockets",
    )
    # Internal: how the benchmark starts its load generator and its baseline server.
    parser.add_argument("--client", metavar="PLAN", help=argparse.SUPPRESS)
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=300.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        defaults = {"seconds": 30.0, "booths": 300, "products": 10, "buyers": 400}
        quick = {"seconds": 5.0, "booths": 40, "products": 4, "buyers": 60}
        for name, value in quick.items():
            if getattr(args, name) == defaults[name]:
                setattr(args, name, value)
        if args.live_meetings == 40:
            args.live_meetings = 8
    if args.client is None and not args.serve_baseline:
        if args.seconds <= 0 or args.concurrency < 1 or args.max_requests < 1:
            parser.error("--seconds, --concurrency and --max-requests must be positive")
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        if args.slices < 1 or args.seconds / args.slices < 2:
            parser.error("--slices must be at least 1, each slice at least 2 seconds")
        if args.only and not set(k.strip() for k in args.only.split(",")) <= set(MIX):
            parser.error(f"--only names operations of the mix: {', '.join(MIX)}")
        if args.booths < HOT_BOOTHS or args.buyers < 1 or args.products < 1:
            parser.error(f"--booths must be at least {HOT_BOOTHS}; --buyers, --products positive")
        if not args.redis.startswith("redis://127.0.0.1") and not args.redis.startswith(
            "redis://localhost"
        ):
            parser.error("--redis must be on 127.0.0.1 (its database is flushed)")
    return args


def main() -> int:
    args = parse_args()
    if args.client:
        client_main(args.client)
        return 0
    if args.serve_baseline:
        serve_baseline(args)
        return 0
    outcome = run_within(run(args), args.timeout)
    if outcome is None:
        return 1
    print(report(outcome, args))
    ours = merged(outcome.ours.raw["tallies"])["outcomes"]
    if outcome.more is not None:
        ours += merged(outcome.more.raw["tallies"])["outcomes"]
    broken = not all(c.ok for c in outcome.checks if c.strict)
    failed = broken or ours.get("5xx") or ours.get("timeout")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
