"""The conversion report on a million meetings: ``conversion_report`` beside one SQL query.

A temporary PostgreSQL database, migrated by the project's Alembic migrations, is loaded with
COPY (asyncpg ``copy_records_to_table``) with two years of the programme: 24 monthly fairs of
25 booths (1 to 3 categories each), about 5,000 buyers from CN, VN, TW, TH, US and elsewhere
with their locales, ``--meetings`` meetings (1,000,000) over the fairs' days with realistic
statuses and attendance, the outcome histories of the held ones (1 to 3 entries, some moving
back), contract values in six currencies with monthly exchange rates, and about three booth
visits per meeting (and their daily counts per booth, which the service keeps as visits
come in), and the report's cells (summed by migration 0022's statement: the triggers that
keep them as meetings change do not fire while loading). Then VACUUM ANALYZE. The data are
drawn from a seeded generator: the same every run.

For every grouping (fair, month, booth, category, buyer_country, language, interpreter),
over everything and for one fair, ``reports.service.conversion_report`` runs through a
normal SQLAlchemy async session (a fresh session per call, as a request would), beside the
baseline: one hand-written SQL statement per grouping computing the same figures, sent
straight through asyncpg. Each is run once to warm up and then five times, the two sides
taking turns; best and median are printed with the ratio, and every figure of every group is
compared between the two (a mismatch is printed loudly and makes the exit status 1).

Ours reads the counts from the cells and the medians from the contracts; the baseline
computes everything from the meetings, as a report without the cells would. What keeping
the cells costs is measured too: an UPDATE of many meetings' stages with the triggers and
without.

The goal (issue 6): under 1 s and within 1.2x of the baseline. With ``--explain`` the plan
of each statement the service sends (EXPLAIN (ANALYZE, BUFFERS)) is printed for the rows that
miss it.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/report.py [--meetings 1000000 | --quick] [--runs 5] [--explain]
        [--keep-db] [--reuse-db] [--timeout 1500]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import platform
import random
import re
import shlex
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from booking import postgres_version
from common import admin_execute, asyncpg_dsn, run_within

DATABASE = "kk_bench_report"
ZONE = "Asia/Tokyo"
TOKYO = ZoneInfo(ZONE)
SEED = 2026
QUICK_MEETINGS = 50_000

FAIRS = 24
FIRST_FAIR = (2024, 4)  # April 2024 to March 2026
FAIR_FIRST_DAY = 26  # each fair runs six days from the 26th: some cross into the next month
FAIR_DAYS = 6
BOOTHS_PER_FAIR = 25
COMPANIES = 150  # exhibitors; each fair has 25 of them
BUYERS = 5_000
INTERPRETERS = 20
VISITS_PER_MEETING = 3  # booth visits; product visits come on top (not counted by the report)
PRODUCT_VISIT_SHARE = 0.1
# The report's clock: every fair is over, and this year (2026) has three of them, so the
# report's year-to-date figures have something to count.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
CHUNK = 50_000  # rows per COPY

# (country, share of buyers, time zone, [(locale, share)])
COUNTRIES: list[tuple[str, float, str, list[tuple[str, float]]]] = [
    ("CN", 0.24, "Asia/Shanghai", [("zh_Hans", 0.9), ("en", 0.1)]),
    ("VN", 0.20, "Asia/Ho_Chi_Minh", [("vi", 0.7), ("en", 0.3)]),
    ("TW", 0.15, "Asia/Taipei", [("zh_Hant", 0.9), ("en", 0.1)]),
    ("TH", 0.14, "Asia/Bangkok", [("th", 0.75), ("en", 0.25)]),
    ("US", 0.12, "America/Los_Angeles", [("en", 1.0)]),
    ("KR", 0.03, "Asia/Seoul", [("en", 0.6), ("ja", 0.4)]),
    ("SG", 0.03, "Asia/Singapore", [("en", 0.8), ("zh_Hans", 0.2)]),
    ("DE", 0.03, "Europe/Berlin", [("en", 1.0)]),
    ("ID", 0.02, "Asia/Jakarta", [("en", 1.0)]),
    ("MY", 0.02, "Asia/Kuala_Lumpur", [("en", 0.7), ("zh_Hans", 0.3)]),
    ("AU", 0.02, "Australia/Sydney", [("en", 1.0)]),
]
MARKETS = ["CN", "VN", "TW", "TH", "US", "KR", "SG", "DE"]
INTERPRETED = ["zh_Hans", "zh_Hant", "vi", "th", "en"]

# Where held negotiations end up (of those with at least one outcome) and the way there.
FINAL_STAGES = [
    ("contract", 0.32),
    ("no_deal", 0.25),
    ("follow_up", 0.16),
    ("sample_sent", 0.14),
    ("quote", 0.13),
]
PROGRESSION = ["follow_up", "sample_sent", "quote", "contract"]
NO_OUTCOME_YET = 0.08  # held meetings whose exhibitor never recorded anything
MOVED_BACK = 0.08  # of the non-contract finals above no_deal: a contract that fell through
VALUE_SHARE = {"contract": 0.95, "quote": 0.8, "sample_sent": 0.3, "follow_up": 0.3}
# (currency, share of values, yen per unit around which the monthly rate moves, decimals)
CURRENCIES: list[tuple[str, float, float, int]] = [
    ("JPY", 0.34, 1.0, 0),
    ("USD", 0.30, 150.0, 2),
    ("CNY", 0.11, 20.8, 2),
    ("VND", 0.08, 0.0061, 0),
    ("THB", 0.08, 4.2, 2),
    ("TWD", 0.08, 4.7, 2),
    ("EUR", 0.01, 162.0, 2),  # no rate is kept for it: counted apart, never converted
]
RATES_FROM = date(2024, 3, 1)
RATES_UNTIL = date(2026, 6, 1)
TWD_RATES_FROM = date(2024, 7, 1)  # TWD contracts before then have no rate either

GROUPINGS = ("fair", "month", "booth", "category", "buyer_country", "language", "interpreter")


# --- the data ----------------------------------------------------------------------------------


def hex_id(rng: random.Random) -> str:
    """A 32-hex id like ``fair.db.new_id``'s, but from the seeded generator."""
    return f"{rng.getrandbits(128):032x}"


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


@dataclass
class FairRow:
    id: str
    slug: str
    starts_on: date
    ends_on: date


@dataclass
class BoothRow:
    id: str
    fair: FairRow
    owner_id: str
    weight: float  # how popular it is with buyers


@dataclass
class Seeded:
    fairs: list[FairRow]
    organizer_id: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0


def user_row(
    uid: str, email: str, name: str, role: str, country: str, zone: str, locale: str
) -> tuple[Any, ...]:
    languages = json.dumps(sorted({"ja" if country == "JP" else locale, locale}))
    created = datetime(2023, 10, 1, tzinfo=UTC)
    return (
        uid,
        email,
        "!bench",
        name,
        role,
        f"{name} Co.",
        country,
        zone,
        locale,
        languages,
        True,
        created,
    )


USER_COLUMNS = [
    "id", "email", "password_hash", "name", "role", "company", "country", "timezone", "locale",
    "languages", "is_active", "created_at",
]  # fmt: skip
FAIR_COLUMNS = [
    "id", "slug", "title", "description", "starts_on", "ends_on", "booking_opens_on",
    "timezone", "slot_minutes", "status", "created_by", "created_at",
]  # fmt: skip
BOOTH_COLUMNS = [
    "id", "fair_id", "owner_id", "company_key", "company", "tagline", "description",
    "certifications", "website", "city", "status", "review_note", "reviewed_at", "search_name",
    "search_text", "created_at", "updated_at",
]  # fmt: skip
TAG_COLUMNS = ["booth_id", "kind", "code", "position"]
RATE_COLUMNS = ["currency", "valid_from", "jpy_per_unit", "set_by", "updated_at"]
MEETING_COLUMNS = [
    "id", "booth_id", "buyer_id", "starts_at", "ends_at", "status", "buyer_timezone",
    "interpreter_language", "interpreter_id", "note", "sequence", "cancel_reason",
    "cancelled_by", "created_at", "updated_at", "by_request", "released_at", "attendance",
    "attendance_decided_at", "together_seconds", "attendance_claim_reason", "confirmed_at",
    "current_outcome_id", "stage", "stage_value", "stage_currency", "stage_on",
]  # fmt: skip
OUTCOME_COLUMNS = [
    "id", "meeting_id", "stage", "value", "currency", "product_ids", "next_step", "note",
    "occurred_on", "recorded_by", "recorded_at",
]  # fmt: skip
VISIT_COLUMNS = ["kind", "booth_id", "subject_id", "visitor_key", "user_id", "day", "at"]


class Generator:
    """Every row of the data set, drawn from one seeded generator in a fixed order."""

    def __init__(self, meetings: int) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 (the same data every run, not secrets)
        self.meetings = meetings
        self.users: list[tuple[Any, ...]] = []
        self.fairs: list[FairRow] = []
        self.booths: list[BoothRow] = []
        self.booth_rows: list[tuple[Any, ...]] = []
        self.tags: list[tuple[Any, ...]] = []
        self.buyers: list[tuple[str, str]] = []  # (id, time zone)
        self.buyer_weights: list[float] = []
        self.interpreters: list[tuple[str, str]] = []  # (id, language)
        self.organizer_id = ""
        self.anonymous = 0
        self.people()
        self.programme()

    # People, fairs, booths ----------------------------------------------------------------

    def people(self) -> None:
        rng = self.rng
        self.organizer_id = hex_id(rng)
        self.users.append(
            user_row(
                self.organizer_id,
                "organizer@bench.example",
                "Organizer",
                "organizer",
                "JP",
                ZONE,
                "ja",
            )
        )
        shares = [share for _, share, _, _ in COUNTRIES]
        for n in range(BUYERS):
            country, _, zone, locales = rng.choices(COUNTRIES, weights=shares)[0]
            locale = rng.choices([lc for lc, _ in locales], weights=[w for _, w in locales])[0]
            uid = hex_id(rng)
            self.users.append(
                user_row(
                    uid, f"buyer{n:05d}@bench.example", f"Buyer {n}", "buyer", country, zone, locale
                )
            )
            self.buyers.append((uid, zone))
            # A few buyers book a great deal, most a little.
            self.buyer_weights.append(rng.paretovariate(1.6))
        for n in range(INTERPRETERS):
            uid = hex_id(rng)
            language = INTERPRETED[n % len(INTERPRETED)]
            self.users.append(
                user_row(
                    uid,
                    f"interpreter{n:02d}@bench.example",
                    f"Interpreter {n}",
                    "interpreter",
                    "JP",
                    ZONE,
                    language,
                )
            )
            self.interpreters.append((uid, language))

    def programme(self) -> None:
        from booths.taxonomy import CATEGORIES

        rng = self.rng
        categories = sorted(CATEGORIES)
        companies = []
        for n in range(COMPANIES):
            uid = hex_id(rng)
            self.users.append(
                user_row(
                    uid,
                    f"exhibitor{n:03d}@bench.example",
                    f"Maker {n}",
                    "exhibitor",
                    "JP",
                    ZONE,
                    "ja",
                )
            )
            count = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
            languages = ["ja"] + (["en"] if rng.random() < 0.8 else [])
            if rng.random() < 0.3:
                languages.append(rng.choice(["zh_Hans", "zh_Hant", "vi", "th"]))
            tags = {
                "category": rng.sample(categories, count),
                "market": rng.sample(MARKETS, rng.randint(2, 4)),
                "language": languages,
            }
            companies.append((n, uid, tags, rng.lognormvariate(0, 0.6)))
        created = datetime(2023, 11, 1, tzinfo=UTC)
        for k in range(FAIRS):
            year, month = add_months(*FIRST_FAIR, k)
            starts = date(year, month, FAIR_FIRST_DAY)
            fair = FairRow(
                hex_id(rng), f"{year}-{month:02d}", starts, starts + timedelta(days=FAIR_DAYS - 1)
            )
            self.fairs.append(fair)
            for n, owner, tags, weight in rng.sample(companies, BOOTHS_PER_FAIR):
                booth = BoothRow(hex_id(rng), fair, owner, weight)
                self.booths.append(booth)
                name = {"ja": f"ベンチ製作所 {n}", "en": f"Bench Maker {n}"}
                self.booth_rows.append(
                    (
                        booth.id,
                        fair.id,
                        owner,
                        f"bench maker {n}",
                        json.dumps(name),
                        "{}",
                        "{}",
                        "[]",
                        "",
                        "",
                        "approved",
                        "",
                        created,
                        "",
                        "",
                        created,
                        created,
                    )
                )
                for kind, codes in tags.items():
                    self.tags += [(booth.id, kind, code, i) for i, code in enumerate(codes)]

    def fair_rows(self) -> list[tuple[Any, ...]]:
        created = datetime(2023, 11, 1, tzinfo=UTC)
        return [
            (
                f.id,
                f.slug,
                json.dumps({"en": f"Bench fair {f.slug}", "ja": f"展示会 {f.slug}"}),
                "{}",
                f.starts_on,
                f.ends_on,
                f.starts_on - timedelta(days=30),
                ZONE,
                30,
                "published",
                self.organizer_id,
                created,
            )
            for f in self.fairs
        ]

    def rate_rows(self) -> list[tuple[Any, ...]]:
        """A rate on the first of every month for each currency but JPY (and EUR), USD also
        on the 15th; TWD only from April 2024."""
        rng = self.rng
        rows = []
        for currency, _, base, _ in CURRENCIES:
            if currency in {"JPY", "EUR"}:
                continue
            day, k = RATES_FROM, 0
            while day < RATES_UNTIL:
                days = [day, day.replace(day=15)] if currency == "USD" else [day]
                for valid_from in days:
                    if currency == "TWD" and valid_from < TWD_RATES_FROM:
                        continue
                    drift = 1 + 0.06 * math.sin(k / 4) + rng.uniform(-0.01, 0.01)
                    rate = Decimal(f"{base * drift:.6f}")
                    rows.append((currency, valid_from, rate, self.organizer_id, NOW))
                    k += 1
                year, month = add_months(day.year, day.month, 1)
                day = date(year, month, 1)
        return rows

    # Meetings, outcomes, visits -----------------------------------------------------------

    def fair_plan(self) -> list[int]:
        """How many meetings each fair gets: more as the programme grows."""
        weights = [1 + k / FAIRS for k in range(FAIRS)]
        total = sum(weights)
        counts = [int(self.meetings * w / total) for w in weights]
        counts[-1] += self.meetings - sum(counts)
        return counts

    def meetings_of(
        self, fair: FairRow, count: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, int]]:
        rng = self.rng
        booths = [b for b in self.booths if b.fair is fair]
        picked_booths = rng.choices(booths, weights=[b.weight for b in booths], k=count)
        picked_buyers = rng.choices(self.buyers, weights=self.buyer_weights, k=count)
        meetings: list[tuple[Any, ...]] = []
        outcomes: list[tuple[Any, ...]] = []
        per_booth: dict[str, int] = {}
        for booth, (buyer_id, buyer_zone) in zip(picked_booths, picked_buyers, strict=True):
            per_booth[booth.id] = per_booth.get(booth.id, 0) + 1
            day = fair.starts_on + timedelta(days=rng.randrange(FAIR_DAYS))
            if rng.random() < 0.03:
                # 08:30 in Tokyo: 23:30 UTC the day before (the first of a month: the month
                # before, in UTC).
                local = datetime(day.year, day.month, day.day, 8, 30, tzinfo=TOKYO)
            else:
                minutes = 9 * 60 + 30 * rng.randrange(16)
                local = datetime(
                    day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=TOKYO
                )
            starts = local.astimezone(UTC)
            ends = starts + timedelta(minutes=30)
            created = starts - timedelta(days=rng.randint(1, 30), minutes=rng.randrange(1440))
            by_request = rng.random() < 0.2
            confirmed: datetime | None = created + timedelta(
                hours=rng.randint(1, 40) if by_request else 0
            )
            interpreter_language = interpreter_id = None
            if rng.random() < 0.15:
                interpreter_id, interpreter_language = rng.choice(self.interpreters)
                if rng.random() < 0.2:
                    interpreter_id = None  # asked for, never assigned
            status, attendance, decided, together = "confirmed", None, None, 0
            cancelled_by = released = None
            sequence = 0
            roll = rng.random()
            if roll < 0.09:
                status, sequence = "cancelled", 1
                cancelled_by = buyer_id if rng.random() < 0.6 else booth.owner_id
                if by_request and rng.random() < 0.3:
                    confirmed = None  # a request cancelled before the exhibitor accepted it
                elif by_request and rng.random() < 0.1:
                    released = starts - timedelta(hours=20)
            elif roll < 0.10:
                status, confirmed = rng.choice(["declined", "expired"]), None
                by_request = True
            else:
                decided = ends + timedelta(minutes=5)
                roll = rng.random()
                if roll < 0.75 / 0.90:
                    attendance, together = "held", rng.randint(900, 1800)
                elif roll < 0.85 / 0.90:
                    attendance = rng.choice(["no_show_buyer", "no_show_exhibitor", "no_show_both"])
                else:
                    attendance, together = "too_short", rng.randint(30, 299)
            meeting_id = hex_id(rng)
            current: tuple[Any, ...] = (None, None, None, None, None)
            if attendance == "held" and rng.random() >= NO_OUTCOME_YET:
                history = self.history(meeting_id, local.date(), ends, booth.owner_id)
                outcomes += history
                # The latest entry and the copy of it the meeting keeps (as the service
                # writes them): id, stage, value, currency, date.
                latest = history[-1]
                current = (latest[0], latest[2], latest[3], latest[4], latest[8])
            meetings.append(
                (
                    meeting_id,
                    booth.id,
                    buyer_id,
                    starts,
                    ends,
                    status,
                    buyer_zone,
                    interpreter_language,
                    interpreter_id,
                    "",
                    sequence,
                    "",
                    cancelled_by,
                    created,
                    decided or created,
                    by_request,
                    released,
                    attendance,
                    decided,
                    together,
                    "",
                    confirmed,
                    *current,
                )
            )
        return meetings, outcomes, per_booth

    def history(
        self, meeting_id: str, day: date, ends: datetime, recorded_by: str
    ) -> list[tuple[Any, ...]]:
        """1 to 3 entries, oldest first; the last is the current stage."""
        rng = self.rng
        final = rng.choices([s for s, _ in FINAL_STAGES], weights=[w for _, w in FINAL_STAGES])[0]
        length = rng.choices([1, 2, 3], weights=[45, 35, 20])[0]
        # The stages it went through first: forward only, in order.
        if final in {"contract", "no_deal"}:
            before = PROGRESSION[:3]
        else:
            before = PROGRESSION[: PROGRESSION.index(final)]
        stages = sorted(rng.sample(before, min(length - 1, len(before))), key=PROGRESSION.index)
        if final in {"follow_up", "sample_sent", "quote"} and rng.random() < MOVED_BACK:
            stages = [*stages[-1:], "contract"]  # ... signed, then it fell through
        stages.append(final)
        rows = []
        occurred = day
        for position, stage in enumerate(stages):
            occurred += timedelta(days=rng.randint(0, 14) if position == 0 else rng.randint(3, 60))
            occurred = min(occurred, NOW.date())
            recorded = max(
                datetime(occurred.year, occurred.month, occurred.day, 18, tzinfo=TOKYO),
                ends + timedelta(hours=1),
            ) + timedelta(minutes=position)
            value = currency = None
            if rng.random() < VALUE_SHARE.get(stage, 0.0):
                currency, _, base, decimals = rng.choices(
                    CURRENCIES, weights=[w for _, w, _, _ in CURRENCIES]
                )[0]
                yen = math.exp(rng.uniform(math.log(100_000), math.log(50_000_000)))
                value = Decimal(f"{yen / base:.{decimals}f}")
            rows.append(
                (
                    hex_id(rng),
                    meeting_id,
                    stage,
                    value,
                    currency,
                    "[]",
                    "",
                    "",
                    occurred,
                    recorded_by,
                    recorded.astimezone(UTC),
                )
            )
        return rows

    def visits_of(self, fair: FairRow, per_booth: dict[str, int]) -> Iterator[tuple[Any, ...]]:
        """About VISITS_PER_MEETING booth visits per meeting of the booth, spread over the
        three weeks before the fair and its days; a buyer (signed in) or a hashed visitor,
        each counted once a day. Product visits on top."""
        rng = self.rng
        first = fair.starts_on - timedelta(days=20)
        days = (fair.ends_on - first).days + 1
        for booth in (b for b in self.booths if b.fair is fair):
            booth_visits = per_booth.get(booth.id, 0) * VISITS_PER_MEETING
            for kind, total in (
                ("booth", booth_visits),
                ("product", int(booth_visits * PRODUCT_VISIT_SHARE)),
            ):
                base, extra = divmod(total, days)
                for offset in range(days):
                    count = base + (offset < extra)
                    day = first + timedelta(days=offset)
                    at = datetime(day.year, day.month, day.day, 12, tzinfo=TOKYO).astimezone(UTC)
                    signed_in = min(len(self.buyers), int(count * 0.55))
                    for buyer_id, _ in rng.sample(self.buyers, signed_in):
                        yield (kind, booth.id, booth.id, f"u:{buyer_id}", buyer_id, day, at)
                    for _ in range(count - signed_in):
                        self.anonymous += 1
                        key = f"h:{self.anonymous:040x}"
                        yield (kind, booth.id, booth.id, key, None, day, at)


def chunks(rows: Iterator[tuple[Any, ...]] | Sequence[tuple[Any, ...]]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


async def copy(conn: Any, table: str, columns: list[str], rows: Any) -> int:
    count = 0
    for batch in chunks(rows):
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        count += len(batch)
    return count


def report_cells_migration() -> Any:
    """Migration 0022 (0009's cells with the meetings' source), whose ``fill`` sums the
    meetings into the report's cells."""
    path = Path(__file__).resolve().parent.parent / "migrations/versions/0022_report_sources.py"
    spec = importlib.util.spec_from_file_location("report_cells_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def seed(url: str, meetings: int) -> Seeded:
    """Migrate with the project's migrations, then COPY everything in. Foreign keys are not
    checked row by row while loading (``session_replication_role = replica``: the rows are
    consistent by construction); the indexes are the migrations', maintained as rows come."""
    import asyncpg

    from fair.db import create_engine
    from fair.migrate import upgrade

    started = time.perf_counter()
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    generator = Generator(meetings)
    counts: dict[str, int] = {}
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        counts["users"] = await copy(conn, "users", USER_COLUMNS, generator.users)
        counts["fairs"] = await copy(conn, "fairs", FAIR_COLUMNS, generator.fair_rows())
        counts["booths"] = await copy(conn, "booths", BOOTH_COLUMNS, generator.booth_rows)
        counts["booth_tags"] = await copy(conn, "booth_tags", TAG_COLUMNS, generator.tags)
        rates = generator.rate_rows()
        counts["exchange_rates"] = await copy(conn, "exchange_rates", RATE_COLUMNS, rates)
        counts["meetings"] = counts["meeting_outcomes"] = counts["visits"] = 0
        for fair, count in zip(generator.fairs, generator.fair_plan(), strict=True):
            rows, outcomes, per_booth = generator.meetings_of(fair, count)
            counts["meetings"] += await copy(conn, "meetings", MEETING_COLUMNS, rows)
            counts["meeting_outcomes"] += await copy(
                conn, "meeting_outcomes", OUTCOME_COLUMNS, outcomes
            )
            counts["visits"] += await copy(
                conn, "visits", VISIT_COLUMNS, generator.visits_of(fair, per_booth)
            )
        # The daily counts the service keeps as visits come in: signed-in visitors (all
        # buyers here) in the funnel, the hashed ones as anonymous views.
        await conn.execute(
            "INSERT INTO booth_visit_days (booth_id, day, visits, anonymous_views) "
            "SELECT booth_id, day, count(user_id), count(*) - count(user_id) FROM visits "
            "WHERE kind = 'booth' GROUP BY 1, 2"
        )
        counts["booth_visit_days"] = await conn.fetchval("SELECT count(*) FROM booth_visit_days")
        # The report's cells, which the triggers keep as meetings change (they do not fire
        # in replica mode): the migration's statement.
        await conn.execute(report_cells_migration().fill("postgresql"))
        counts["report_cells"] = await conn.fetchval("SELECT count(*) FROM report_cells")
        await conn.execute("RESET session_replication_role")
        await conn.execute("VACUUM ANALYZE")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return Seeded(
        generator.fairs,
        generator.organizer_id,
        counts,
        time.perf_counter() - started,
        int(size),
    )


async def admin_fetchval(admin_url: str, sql: str, *args: Any) -> Any:
    import asyncpg

    admin = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        return await admin.fetchval(sql, *args)
    finally:
        await admin.close()


async def recreate(admin_url: str) -> None:
    await admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await admin_execute(admin_url, f'CREATE DATABASE "{DATABASE}"')


@contextlib.asynccontextmanager
async def bench_database(admin_url: str, keep: bool, reuse: bool) -> AsyncIterator[str]:
    """A fresh ``kk_bench_report`` database (or, with ``reuse``, the one a ``--keep-db`` run
    left), dropped afterwards unless ``keep``."""
    from sqlalchemy.engine import make_url

    drop = f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'
    exists = await admin_fetchval(
        admin_url, "SELECT count(*) FROM pg_database WHERE datname = $1", DATABASE
    )
    if not (reuse and exists):
        await recreate(admin_url)
    try:
        yield make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        if not keep:
            await admin_execute(admin_url, drop)


async def reusable(url: str, meetings: int) -> Seeded | None:
    """What a previous run left in the database, if it holds ``meetings`` meetings."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        if not await conn.fetchval("SELECT to_regclass('meetings') IS NOT NULL"):
            return None
        counts = {}
        for table in (
            "users",
            "fairs",
            "booths",
            "booth_tags",
            "exchange_rates",
            "meetings",
            "meeting_outcomes",
            "visits",
            "booth_visit_days",
        ):
            counts[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
        if counts["meetings"] != meetings:
            return None
        fairs = [
            FairRow(r["id"], r["slug"], r["starts_on"], r["ends_on"])
            for r in await conn.fetch("SELECT * FROM fairs ORDER BY starts_on")
        ]
        organizer = await conn.fetchval("SELECT id FROM users WHERE role = 'organizer'")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return Seeded(fairs, organizer, counts, 0.0, int(size))


# --- the baseline: one hand-written statement per grouping --------------------------------------

# The key of a meeting row per grouping (m meetings, f its fair, u the buyer, t a category
# tag of the booth) and the joins it needs; the key of a booth visit (v visits, vf its fair,
# vt a category tag) or None where visits cannot be attributed. The keys are the service's:
# fair slug, Tokyo "YYYY-MM", booth id, category code ("none" without one), the buyer's
# country and locale, the interpreter's language ("none" without one).
TOKYO_DAY = "(m.starts_at AT TIME ZONE 'Asia/Tokyo')::date"
CATEGORY_JOIN = "LEFT JOIN booth_tags {t} ON {t}.booth_id = {booth} AND {t}.kind = 'category'"
KEYS: dict[str, dict[str, str | None]] = {
    "fair": {"meeting": "f.slug", "join": "", "visit": "vf.slug", "visit_join": ""},
    "month": {
        "meeting": f"to_char({TOKYO_DAY}, 'YYYY-MM')",
        "join": "",
        "visit": "to_char(v.day, 'YYYY-MM')",
        "visit_join": "",
    },
    "booth": {"meeting": "m.booth_id", "join": "", "visit": "v.booth_id", "visit_join": ""},
    "category": {
        "meeting": "coalesce(t.code, 'none')",
        "join": CATEGORY_JOIN.format(t="t", booth="m.booth_id"),
        "visit": "coalesce(vt.code, 'none')",
        "visit_join": CATEGORY_JOIN.format(t="vt", booth="v.booth_id"),
    },
    "buyer_country": {
        "meeting": "u.country",
        "join": "JOIN users u ON u.id = m.buyer_id",
        "visit": None,
        "visit_join": "",
    },
    "language": {
        "meeting": "u.locale",
        "join": "JOIN users u ON u.id = m.buyer_id",
        "visit": None,
        "visit_join": "",
    },
    "interpreter": {
        "meeting": "coalesce(m.interpreter_language, 'none')",
        "join": "",
        "visit": None,
        "visit_join": "",
    },
}

FIGURES = (
    "visits",
    "booked",
    "cancelled",
    "held",
    "no_show",
    "follow_up",
    "open",
    "contracts",
    "value_jpy",
    "unconverted",
    "median_days",
)


# The rate of a group's (currency, rate_day): the latest valid_from on or before the day.
RATE_OF_GROUP = """LEFT JOIN LATERAL (
            SELECT x.jpy_per_unit FROM exchange_rates x
            WHERE x.currency = g.currency AND x.valid_from <= g.rate_day
            ORDER BY x.valid_from DESC LIMIT 1
        ) r ON true"""


def visits_sql(grouping: str, fair_filter: bool) -> str:
    """The daily booth visit counts added up per key (none where visits have no key)."""
    key = KEYS[grouping]
    if key["visit"] is None:
        return "SELECT NULL::text AS key, NULL::bigint AS visits WHERE false"
    return f"""
        SELECT {key["visit"]} AS key, sum(v.visits) AS visits
        FROM booth_visit_days v
        JOIN booths vb ON vb.id = v.booth_id
        JOIN fairs vf ON vf.id = vb.fair_id
        {key["visit_join"]}
        {"WHERE vf.slug = $1" if fair_filter else ""}
        GROUP BY 1"""  # noqa: S608 (constant text, the slug is a parameter)


def baseline_sql(grouping: str, fair_filter: bool) -> str:
    """The report's groups for one grouping as one statement. ``$1`` is the fair's slug
    when ``fair_filter``.

    Each meeting in scope is read once, joined to its booth's fair (its current stage,
    value, currency and date are the copy the meeting keeps of its latest outcome, as the
    service reads them), and grouped by the key and, for contracts only, the days to
    contract, the currency and
    the meeting's Tokyo date (NULL for every other meeting, so the groups stay few). The
    rate (the latest ``valid_from`` on or before that date, one probe of the primary key) is
    then looked up once per group, the median days to contract read off each key's day
    histogram, and the daily booth visit counts added up per key apart and joined on. The
    plainer shape (``percentile_cont`` and a rate look-up per meeting) gives the same figures
    and took
    1.0-1.35x as long in development; the faster one is the baseline."""
    key = KEYS[grouping]
    where = "WHERE f.slug = $1" if fair_filter else ""
    visits = visits_sql(grouping, fair_filter)
    held = "m.attendance = 'held'"
    contract = f"{held} AND m.stage = 'contract'"
    sums = ("booked", "cancelled", "held", "no_show", "follow_up", "open", "contracts")
    summed = ", ".join(f"sum({name}) AS {name}" for name in sums)
    return f"""
    WITH first AS (
        SELECT {key["meeting"]} AS key,
            CASE WHEN {contract} THEN m.stage_on - {TOKYO_DAY} END AS days,
            CASE WHEN {contract} THEN m.stage_currency END AS currency,
            CASE WHEN {contract} AND m.stage_currency <> 'JPY' THEN {TOKYO_DAY} END AS rate_day,
            count(*) FILTER (WHERE m.confirmed_at IS NOT NULL AND m.status <> 'cancelled')
                AS booked,
            count(*) FILTER (WHERE m.confirmed_at IS NOT NULL AND m.status = 'cancelled')
                AS cancelled,
            count(*) FILTER (WHERE {held}) AS held,
            count(*) FILTER (
                WHERE m.attendance IN ('no_show_buyer', 'no_show_exhibitor', 'no_show_both')
            ) AS no_show,
            count(*) FILTER (
                WHERE {held} AND m.stage IN ('follow_up', 'sample_sent', 'quote', 'contract')
            ) AS follow_up,
            count(*) FILTER (
                WHERE {held} AND (m.stage IS NULL OR m.stage NOT IN ('no_deal', 'contract'))
            ) AS open,
            count(*) FILTER (WHERE {contract}) AS contracts,
            sum(m.stage_value) FILTER (WHERE {contract}) AS value,
            count(m.stage_value) FILTER (WHERE {contract}) AS valued
        FROM meetings m
        JOIN booths b ON b.id = m.booth_id
        JOIN fairs f ON f.id = b.fair_id
        {key["join"]}
        {where}
        GROUP BY 1, 2, 3, 4
    ), by_days AS (
        SELECT g.key, g.days, {summed},
            sum(CASE WHEN g.currency = 'JPY' THEN g.value ELSE g.value * r.jpy_per_unit END)
                AS value_jpy,
            sum(CASE WHEN g.rate_day IS NOT NULL AND r.jpy_per_unit IS NULL THEN g.valued
                ELSE 0 END) AS unconverted
        FROM first g
        {RATE_OF_GROUP}
        GROUP BY g.key, g.days
    ), ranked AS (
        SELECT *, sum(contracts) OVER (PARTITION BY key ORDER BY days) AS running,
            sum(contracts) OVER (PARTITION BY key) AS n
        FROM by_days
    ), meetings_by_key AS (
        SELECT key, {summed}, round(coalesce(sum(value_jpy), 0)) AS value_jpy,
            sum(unconverted) AS unconverted,
            (min(days) FILTER (WHERE 2 * running >= n) + min(days) FILTER (WHERE 2 * running > n))
                / 2.0 AS median_days
        FROM ranked
        GROUP BY key
    ), visits_by_key AS ({visits}
    )
    SELECT coalesce(mk.key, vk.key) AS key, vk.visits, mk.booked, mk.cancelled, mk.held,
        mk.no_show, mk.follow_up, mk.open, mk.contracts, mk.value_jpy, mk.unconverted,
        mk.median_days
    FROM meetings_by_key mk
    FULL JOIN visits_by_key vk ON vk.key = mk.key
    ORDER BY 1
    """  # noqa: S608 (constant text, the slug is a parameter)


CELL_KEYS: dict[str, tuple[str, str]] = {
    "fair": ("f.slug", ""),
    "month": ("to_char(c.day, 'YYYY-MM')", ""),
    "booth": ("c.booth_id", ""),
    "category": ("coalesce(t.code, 'none')", CATEGORY_JOIN.format(t="t", booth="c.booth_id")),
    "buyer_country": ("c.country", ""),
    "language": ("c.locale", ""),
    "interpreter": ("CASE WHEN c.interpreter = '' THEN 'none' ELSE c.interpreter END", ""),
}


def cells_sql(grouping: str, fair_filter: bool) -> str:
    """The same groups as one hand-written statement over what ours reads: the report's
    cells plus the deltas not folded yet for the counts and values (a key whose counts are
    all 0 is no group, as in ours), the contracts for the median days, the daily visit
    counts. It shows what our service costs over a statement on the same tables."""
    from reports.cells import KEY, SUMS

    cell_key, cell_join = CELL_KEYS[grouping]
    columns = ", ".join((*KEY, *SUMS))
    key = KEYS[grouping]
    where = "WHERE f.slug = $1" if fair_filter else ""
    visits = visits_sql(grouping, fair_filter)
    sums = ("booked", "cancelled", "held", "no_show", "follow_up", "open", "contracts")
    summed = ", ".join(f"sum({name}) AS {name}" for name in sums)
    return f"""
    WITH cells AS (
        SELECT {columns} FROM report_cells
        UNION ALL SELECT {columns} FROM report_deltas
    ), counted AS (
        SELECT {cell_key} AS key, c.currency,
            CASE WHEN c.currency NOT IN ('', 'JPY') THEN c.day END AS rate_day,
            {", ".join(f"sum(c.{name}) AS {name}" for name in sums)},
            sum(c.value) AS value,
            sum(c.contracts) FILTER (WHERE c.currency <> '') AS valued
        FROM cells c
        JOIN booths b ON b.id = c.booth_id
        JOIN fairs f ON f.id = b.fair_id
        {cell_join}
        {where}
        GROUP BY 1, 2, 3
    ), by_key AS (
        SELECT g.key, {summed},
            round(coalesce(sum(CASE WHEN g.currency = 'JPY' THEN g.value
                WHEN g.currency = '' THEN 0 ELSE g.value * r.jpy_per_unit END), 0)) AS value_jpy,
            sum(CASE WHEN g.rate_day IS NOT NULL AND r.jpy_per_unit IS NULL THEN g.valued
                ELSE 0 END) AS unconverted
        FROM counted g
        {RATE_OF_GROUP}
        GROUP BY g.key
        HAVING sum(booked) + sum(cancelled) + sum(held) + sum(no_show) > 0
    ), contract_days AS (
        SELECT {key["meeting"]} AS key, m.stage_on - {TOKYO_DAY} AS days, count(*) AS n
        FROM meetings m
        JOIN booths b ON b.id = m.booth_id
        JOIN fairs f ON f.id = b.fair_id
        {key["join"]}
        WHERE m.attendance = 'held' AND m.stage = 'contract'
            {"AND f.slug = $1" if fair_filter else ""}
        GROUP BY 1, 2
    ), ranked AS (
        SELECT key, days, sum(n) OVER (PARTITION BY key ORDER BY days) AS running,
            sum(n) OVER (PARTITION BY key) AS total
        FROM contract_days
    ), medians AS (
        SELECT key, (min(days) FILTER (WHERE 2 * running >= total)
            + min(days) FILTER (WHERE 2 * running > total)) / 2.0 AS median_days
        FROM ranked
        GROUP BY key
    ), visits_by_key AS ({visits}
    )
    SELECT coalesce(mk.key, vk.key) AS key, vk.visits, mk.booked, mk.cancelled, mk.held,
        mk.no_show, mk.follow_up, mk.open, mk.contracts, mk.value_jpy, mk.unconverted,
        md.median_days
    FROM by_key mk
    LEFT JOIN medians md ON md.key = mk.key
    FULL JOIN visits_by_key vk ON vk.key = mk.key
    ORDER BY 1
    """  # noqa: S608 (constant text, the slug is a parameter)


# --- the measurement ---------------------------------------------------------------------------

Figures = tuple[Any, ...]  # in the order of FIGURES
GOAL_SECONDS = 1.0
GOAL_RATIO = 1.2
MISMATCHES_SHOWN = 10
PLAN_LINES = 45
PLAN_WIDTH = 240


def ours_figures(report: Any) -> dict[str, Figures]:
    return {
        group.key: (
            group.figures.visits,
            group.figures.booked,
            group.figures.cancelled,
            group.figures.held,
            group.figures.no_show,
            group.figures.follow_up,
            group.figures.open,
            group.figures.contracts,
            group.figures.contract_value_jpy,
            group.figures.unconverted_values,
            group.figures.median_days_to_contract,
        )
        for group in report.groups
    }


def baseline_figures(grouping: str, records: list[Any]) -> dict[str, Figures]:
    attributable = KEYS[grouping]["visit"] is not None
    figures = {}
    for r in records:
        visits = (r["visits"] or 0) if attributable else None
        counts = [r[name] or 0 for name in FIGURES[1:8]]
        value = Decimal(r["value_jpy"] or 0)
        median = None if r["median_days"] is None else float(r["median_days"])
        figures[r["key"]] = (visits, *counts, value, r["unconverted"] or 0, median)
    return figures


def differences(ours: dict[str, Figures], baseline: dict[str, Figures]) -> list[str]:
    found = []
    for key in sorted(set(ours) | set(baseline), key=str):
        if key not in ours or key not in baseline:
            side = "ours" if key in ours else "the baseline"
            found.append(f"group {key!r} only in {side}")
            continue
        for name, a, b in zip(FIGURES, ours[key], baseline[key], strict=True):
            same = a == b
            if isinstance(a, float) and isinstance(b, float):
                same = math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
            if not same:
                found.append(f"group {key!r}: {name} ours {a} baseline {b}")
    return found


@dataclass
class Row:
    grouping: str
    fair: str | None
    groups: int = 0
    sent: int = 0  # SQL statements the service sent for one report
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    cells: list[float] = field(default_factory=list)  # the hand-written statement on the cells
    mismatches: list[str] = field(default_factory=list)
    statements: list[tuple[str, Any]] = field(default_factory=list)
    plans: list[list[str]] = field(default_factory=list)
    baseline_plan: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "all fairs" if self.fair is None else f"fair {self.fair}"

    def best(self, side: list[float]) -> float:
        return min(side)

    def median(self, side: list[float]) -> float:
        return statistics.median(side)

    @property
    def ratio(self) -> float:
        return self.median(self.ours) / self.median(self.baseline)

    @property
    def cells_ratio(self) -> float:
        return self.median(self.ours) / self.median(self.cells)

    @property
    def goal_met(self) -> bool:
        return self.median(self.ours) < GOAL_SECONDS and self.ratio <= GOAL_RATIO


@dataclass
class Run:
    seeded: Seeded
    rows: list[Row]
    postgres_version: str
    settings: dict[str, str]
    load: tuple[float, float]
    fair: str
    mirrored: dict[str, str]  # settings the service changes for itself, given the baseline too
    writes: WriteCost


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Sides:
    """The two ways of getting one report: the service through a normal SQLAlchemy async
    session (a fresh one per call, as a request gets), and the baseline statement straight
    through one asyncpg connection."""

    def __init__(self, engine: Any, organizer: Any, conn: Any) -> None:
        from fair.db import create_sessionmaker

        self.engine = engine
        self.sessions = create_sessionmaker(engine)
        self.organizer = organizer
        self.conn = conn

    async def ours(self, grouping: str, fair: str | None) -> Any:
        from reports.service import conversion_report

        async with self.sessions() as session:
            return await conversion_report(
                session, actor=self.organizer, fair_slug=fair, group_by=grouping, now=NOW
            )

    async def baseline(self, grouping: str, fair: str | None) -> list[Any]:
        sql = baseline_sql(grouping, fair is not None)
        return await self.conn.fetch(sql, *([fair] if fair is not None else []))

    async def on_cells(self, grouping: str, fair: str | None) -> list[Any]:
        sql = cells_sql(grouping, fair is not None)
        return await self.conn.fetch(sql, *([fair] if fair is not None else []))

    async def captured(self, grouping: str, fair: str | None) -> tuple[Any, list[Any]]:
        """One call of the service, with the SQL statements (and parameters) it sends."""
        from sqlalchemy import event

        sent: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            sent.append((statement, params))

        event.listen(self.engine.sync_engine, "before_cursor_execute", capture)
        try:
            report = await self.ours(grouping, fair)
        finally:
            event.remove(self.engine.sync_engine, "before_cursor_execute", capture)
        return report, sent


QUERY = re.compile(r"\bFROM\b")  # not the set_config() calls: they read no table
SET_CONFIG = re.compile(r"set_config\('([a-z_]+)',\s*'([^']*)'")


def settings_changed(statements: list[tuple[str, Any]]) -> dict[str, str]:
    """The planner settings the service sets for its own statements (``set_config`` with a
    constant), so that the baseline can run under the same ones."""
    return {
        name: value for statement, _ in statements for name, value in SET_CONFIG.findall(statement)
    }


async def timed(call: Any) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def measure(sides: Sides, grouping: str, fair: str | None, runs: int) -> Row:
    """A warm-up of each side (whose answers are compared), then ``runs`` rounds in which
    the two sides take turns."""
    row = Row(grouping, fair)
    report, row.statements = await sides.captured(grouping, fair)
    row.sent = len(row.statements)
    records = await sides.baseline(grouping, fair)
    ours, baseline = ours_figures(report), baseline_figures(grouping, records)
    on_cells = baseline_figures(grouping, await sides.on_cells(grouping, fair))
    row.groups = len(ours)
    row.mismatches = differences(ours, baseline) + [
        f"(on the cells) {line}" for line in differences(ours, on_cells)
    ]
    for _ in range(runs):
        row.ours.append(await timed(lambda: sides.ours(grouping, fair)))
        row.baseline.append(await timed(lambda: sides.baseline(grouping, fair)))
        row.cells.append(await timed(lambda: sides.on_cells(grouping, fair)))
    return row


async def explain(conn: Any, statement: str, params: Any) -> list[str]:
    records = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *(params or ()))
    return [r[0] if len(r[0]) <= PLAN_WIDTH else r[0][:PLAN_WIDTH] + " ..." for r in records]


WRITES = 20_000  # meetings whose stage one statement changes, to price the triggers


@dataclass
class WriteCost:
    meetings: int
    with_triggers: list[float] = field(default_factory=list)
    without: list[float] = field(default_factory=list)


async def write_cost(conn: Any, rounds: int) -> WriteCost:
    """What keeping the report's cells costs a write: one UPDATE of the stage of WRITES
    held meetings (each appends its -1 and +1 to report_deltas), beside the same UPDATE with
    the triggers off (``session_replication_role = replica``); rolled back each time, the
    two taking turns."""
    update = f"""
        UPDATE meetings SET stage = CASE WHEN stage = 'contract' THEN 'quote' ELSE 'contract' END
        WHERE id IN (SELECT id FROM meetings WHERE attendance = 'held' ORDER BY id LIMIT {WRITES})
    """  # noqa: S608 (constant text)
    cost = WriteCost(WRITES)
    for _ in range(rounds + 1):  # the first round warms up
        for triggers in (True, False):
            transaction = conn.transaction()
            await transaction.start()
            try:
                if not triggers:
                    await conn.execute("SET LOCAL session_replication_role = replica")
                seconds = await timed(lambda: conn.execute(update))
            finally:
                await transaction.rollback()
            (cost.with_triggers if triggers else cost.without).append(seconds)
    cost.with_triggers.pop(0)
    cost.without.pop(0)
    # The rolled-back rows are dead rows the report would read until autovacuum came (and
    # they clear the visibility map its index-only scans rely on): a --reuse-db run next.
    await conn.execute("VACUUM ANALYZE meetings, report_deltas")
    return cost


async def settings(conn: Any) -> dict[str, str]:
    names = (
        "shared_buffers",
        "work_mem",
        "max_parallel_workers_per_gather",
        "jit",
        "random_page_cost",
    )
    return {name: str(await conn.fetchval(f"SHOW {name}")) for name in names}


async def run(args: argparse.Namespace) -> Run:
    import asyncpg
    from sqlalchemy import select

    from fair.accounts.models import User
    from fair.db import create_engine, create_sessionmaker

    load_before = os.getloadavg()[0]
    async with bench_database(args.postgres, args.keep_db, args.reuse_db) as url:
        version = await postgres_version(url)
        seeded = await reusable(url, args.meetings) if args.reuse_db else None
        if seeded is None:
            if args.reuse_db:
                await recreate(args.postgres)  # whatever is there is not this data set
            progress(f"seeding {args.meetings:,} meetings ...")
            seeded = await seed(url, args.meetings)
            progress(f"seeded in {seeded.seconds:.0f} s")
        else:
            progress("reusing the data of an earlier --keep-db run")
        fair = seeded.fairs[-1].slug  # the latest fair: the one organizers look at
        engine = create_engine(url)
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
        try:
            async with create_sessionmaker(engine)() as session:
                organizer = await session.scalar(select(User).where(User.role == "organizer"))
            sides = Sides(engine, organizer, conn)
            server = await settings(conn)
            # One call first: it warms the caches, and shows what the service sets for itself.
            _, sent = await sides.captured("fair", None)
            mirrored = settings_changed(sent)
            for name, value in mirrored.items():
                await conn.execute(f"SET {name} = '{value}'")
            rows = []
            for grouping in GROUPINGS:
                for slug in (None, fair):
                    row = await measure(sides, grouping, slug, args.runs)
                    progress(
                        f"{grouping:>13} {row.label:>13}: ours {row.median(row.ours) * 1000:,.0f} "
                        f"ms, baseline {row.median(row.baseline) * 1000:,.0f} ms, "
                        f"on the cells {row.median(row.cells) * 1000:,.0f} ms"
                        + (f", {len(row.mismatches)} MISMATCHES" if row.mismatches else "")
                    )
                    if args.explain and not row.goal_met:
                        row.statements = [(s, p) for s, p in row.statements if QUERY.search(s)]
                        row.plans = [await explain(conn, s, p) for s, p in row.statements]
                        row.baseline_plan = await explain(
                            conn, baseline_sql(grouping, slug is not None), (slug,) if slug else ()
                        )
                    rows.append(row)
            writes = await write_cost(conn, args.runs)
        finally:
            await conn.close()
            await engine.dispose()
    load = (load_before, os.getloadavg()[0])
    return Run(seeded, rows, version, server, load, fair, mirrored, writes)


# --- the report --------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| grouping | filter | groups | statements | ours ms best / median "
        "| baseline ms best / median | ratio (medians) | same figures | goal met "
        "| on the cells ms median | ours ÷ on the cells |",
        "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.grouping} | {r.label} | {r.groups:,} | {r.sent} "
            f"| {ms(r.best(r.ours))} / {ms(r.median(r.ours))} "
            f"| {ms(r.best(r.baseline))} / {ms(r.median(r.baseline))} "
            f"| {r.ratio:.2f}× | {'yes' if not r.mismatches else f'**NO ({len(r.mismatches)})**'} "
            f"| {'yes' if r.goal_met else 'no'} | {ms(r.median(r.cells))} | {r.cells_ratio:.2f}× |"
        )
    return "\n".join(lines)


def write_report(cost: WriteCost) -> str:
    ours, bare = statistics.median(cost.with_triggers), statistics.median(cost.without)
    return (
        f"Keeping the report's cells: one UPDATE of the stage of {cost.meetings:,} held "
        f"meetings takes {ours * 1000:,.0f} ms with the triggers "
        f"({ours / cost.meetings * 1e6:,.1f} µs a meeting) and {bare * 1000:,.0f} ms without "
        f"({bare / cost.meetings * 1e6:,.1f} µs); medians of {len(cost.without)}, rolled back."
    )


def mismatch_report(rows: list[Row]) -> str:
    bad = [r for r in rows if r.mismatches]
    if not bad:
        return (
            "Every figure of every group (visits, booked, cancelled, held, no-show, follow-up, "
            "open, contracts, contract value in yen, unconverted values, median days to "
            "contract) is the same on both sides."
        )
    lines = [f"**MISMATCH: the service and the baseline disagree in {len(bad)} rows.**", ""]
    for r in bad:
        lines.append(f"- {r.grouping}, {r.label}: {len(r.mismatches)} differences")
        lines += [f"  - {m}" for m in r.mismatches[:MISMATCHES_SHOWN]]
    return "\n".join(lines)


def plan_report(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        if not r.plans:
            continue
        lines.append(f"\n#### {r.grouping}, {r.label}\n")
        for number, ((statement, _), plan) in enumerate(zip(r.statements, r.plans, strict=True), 1):
            head = " ".join(statement.split())[:100]
            lines += [f"Statement {number}: `{head}...`", "", "```", *plan[:PLAN_LINES]]
            if len(plan) > PLAN_LINES:
                lines.append(f"... ({len(plan) - PLAN_LINES} more lines)")
                lines += [
                    line
                    for line in plan[PLAN_LINES:]
                    if line.startswith(("Planning", "JIT", "  Timing", "Execution"))
                ]
            lines += ["```", ""]
        tail = [
            line for line in r.baseline_plan if line.startswith(("JIT", "  Timing", "Execution"))
        ]
        lines += ["Baseline:", "", "```", *tail, "```"]
    return "\n".join(lines)


def report(run: Run, args: argparse.Namespace) -> str:
    import asyncpg
    import sqlalchemy

    seeded = run.seeded
    counts = ", ".join(f"{table} {n:,}" for table, n in seeded.counts.items())
    seeding = f"seeded in {seeded.seconds:.0f} s" if seeded.seconds else "reused (--reuse-db)"
    server = ", ".join(f"{name} {value}" for name, value in run.settings.items())
    met = sum(r.goal_met for r in run.rows)
    mirrored = "server defaults"
    if run.mirrored:
        changed = ", ".join(f"{name} = {value}" for name, value in run.mirrored.items())
        mirrored = f"{changed}, as the service sets for its own statements"
    out = [
        f"## Conversion report: {seeded.counts['meetings']:,} meetings on PostgreSQL\n",
        f"Command: `{shlex.join(sys.orig_argv)}`\n",
        f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, asyncpg "
        f"{asyncpg.__version__}, PostgreSQL {run.postgres_version} ({server}); "
        f"{os.cpu_count()} CPUs shared by PostgreSQL and this process. Load average "
        f"{run.load[0]:.1f} at the start, {run.load[1]:.1f} at the end.\n",
        f"Data (COPY, then VACUUM ANALYZE; {seeding}; {seeded.bytes / 2**20:,.0f} MiB): "
        f"{counts}. {FAIRS} fairs of {BOOTHS_PER_FAIR} booths, {FAIR_DAYS} days from the "
        f"{FAIR_FIRST_DAY}th of each month, April 2024 to March 2026; the report's clock is "
        f"{NOW:%Y-%m-%d}; the fair filter is the latest fair, {run.fair}.\n",
        "Ours: `reports.service.conversion_report(session, actor=organizer, "
        "fair_slug=..., group_by=..., now=...)` in a fresh `AsyncSession` per call (the "
        "statements it sends per call are counted in the table; besides the groups it returns "
        "the total, a per-fair trend and the year's actuals). Baseline: one hand-written "
        "statement per grouping returning the same groups from the meetings, as a report "
        "without the cells would compute them, through one asyncpg connection "
        f"({mirrored}). One warm-up each (compared figure by figure), then {args.runs} rounds "
        f"taking turns. Goal: median under {GOAL_SECONDS * 1000:,.0f} ms and within "
        f'{GOAL_RATIO}× of the baseline\'s median. "On the cells": the same groups from one '
        "hand-written statement over the tables ours reads (the cells, the deltas, the "
        "contracts, the daily visit counts), with the same settings: what our service costs "
        "over SQL on the same data.\n",
        table(run.rows),
        "",
        f"Goal met in {met} of {len(run.rows)} rows.",
        "",
        write_report(run.writes),
        "",
        mismatch_report(run.rows),
    ]
    if any(r.plans for r in run.rows):
        out += [
            "\n### Plans of the rows that miss the goal (EXPLAIN (ANALYZE, BUFFERS))",
            plan_report(run.rows),
        ]
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=1_000_000, help="meetings to seed")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MEETINGS:,} meetings instead")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each side per row")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the rows that miss the goal"
    )
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
        "--reuse-db",
        action="store_true",
        help="use the data a --keep-db run left if it has as many meetings (implies --keep-db)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1500.0, help="give up after this many seconds in all"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.meetings = QUICK_MEETINGS
    if args.meetings < FAIRS or args.runs < 1:
        parser.error(f"--meetings must be at least {FAIRS} and --runs positive")
    args.keep_db = args.keep_db or args.reuse_db
    return args


def main() -> int:
    args = parse_args()
    outcome = run_within(run(args), args.timeout)
    if outcome is None:
        return 1
    print(report(outcome, args))
    return 1 if any(r.mismatches for r in outcome.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
