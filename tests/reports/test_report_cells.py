"""The report's cells, kept by database triggers (migration 0009) and folded by
``reports.cells.fold``: whatever happens to meetings, buyers and booths, the cells and
the deltas not yet folded add up to what the definitions in docs/features.md give for the meetings
there are, worked out here in Python from the rows themselves.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from helpers import eventually
from report_helpers import NOW, build_report_data
from sqlalchemy import delete, func, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

import kakehashi.app
from booths.models import Booth
from fair.accounts.models import User
from kakehashi.app import create_app
from meetings.models import Attendance, Meeting, MeetingSource, MeetingStatus, Stage
from reports import cells
from reports.feature import FEATURE as REPORTS
from reports.models import ReportCell, ReportDelta
from reports.service import conversion_report

TRIGGERS = {
    "postgresql": {
        "report_meeting_written",
        "report_meeting_updated",
        "report_buyer_deleted",
        "report_buyer_updated",
    },
    "sqlite": {
        "report_meeting_inserted",
        "report_meeting_deleted",
        "report_meeting_updated",
        "report_buyer_deleted",
        "report_buyer_updated",
    },
}
NO_SHOWS = {Attendance.NO_SHOW_BUYER, Attendance.NO_SHOW_EXHIBITOR, Attendance.NO_SHOW_BOTH}
FOLLOW_UPS = {Stage.FOLLOW_UP, Stage.SAMPLE_SENT, Stage.QUOTE, Stage.CONTRACT}
CENT = Decimal("0.01")
ONLY_POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def japan_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + timedelta(hours=9)).date()


def contribution(m: Meeting, country: str, locale: str) -> tuple[tuple, tuple] | None:
    """One meeting's key and counts, straight from the definitions in docs/features.md."""
    confirmed = m.confirmed_at is not None
    held = m.attendance == Attendance.HELD
    contract = held and m.stage == Stage.CONTRACT
    valued = contract and m.stage_currency is not None
    counts = (
        confirmed and m.status != MeetingStatus.CANCELLED,
        confirmed and m.status == MeetingStatus.CANCELLED,
        held,
        m.attendance in NO_SHOWS,
        held and m.stage in FOLLOW_UPS,
        held and m.stage not in (Stage.NO_DEAL, Stage.CONTRACT),
        contract,
    )
    if not any(counts[:4]):
        return None
    key = (
        m.booth_id,
        japan_day(m.starts_at),
        country or "",
        locale or "",
        m.interpreter_language or "",
        m.stage_currency if valued else "",
        m.source,
    )
    value = (m.stage_value or Decimal(0)) if valued else Decimal(0)
    return key, (*(int(c) for c in counts), value.quantize(CENT))


async def expected(session: AsyncSession) -> dict[tuple, tuple]:
    rows = (
        await session.execute(
            select(Meeting, User.country, User.locale)
            .join(User, User.id == Meeting.buyer_id)
            .execution_options(populate_existing=True)  # as the database has them now
        )
    ).all()
    sums: dict[tuple, list] = defaultdict(lambda: [0] * 7 + [Decimal(0)])
    for meeting, country, locale in rows:
        found = contribution(meeting, country, locale)
        if found is not None:
            key, counts = found
            sums[key] = [a + b for a, b in zip(sums[key], counts, strict=True)]
    return {key: tuple(counts) for key, counts in sums.items()}


def _summed(table: Any) -> Any:
    return select(*(table.c[name] for name in (*cells.KEY, *cells.SUMS)))


async def in_cells(session: AsyncSession, *, deltas: bool = True) -> dict[tuple, tuple]:
    """What the report reads: the cells plus the deltas, summed per key (zero sums left
    out: a meeting's +1 and -1 before a fold)."""
    parts = [_summed(ReportCell.__table__)]
    if deltas:
        parts.append(_summed(ReportDelta.__table__))
    both = union_all(*parts).subquery()
    key = [both.c[name] for name in cells.KEY]
    rows = (
        await session.execute(
            select(*key, *(func.sum(both.c[name]) for name in cells.SUMS)).group_by(*key)
        )
    ).all()
    found = {}
    for row in rows:
        width = len(cells.KEY)
        counts = (
            *(int(n) for n in row[width : width + 7]),
            Decimal(str(row[width + 7])).quantize(CENT),
        )
        if any(counts):
            found[(*row[:1], _day(row[1]), *row[2:width])] = counts
    return found


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def confirmed(booth: str, buyer: str, start: datetime, **fields: Any) -> Meeting:
    """A confirmed 30-minute meeting (and whatever else ``fields`` set)."""
    return Meeting(
        booth_id=booth,
        buyer_id=buyer,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=MeetingStatus.CONFIRMED,
        confirmed_at=start - timedelta(days=2),
        buyer_timezone="Asia/Shanghai",
        **fields,
    )


async def delta_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ReportDelta)) or 0)


async def assert_consistent(session: AsyncSession) -> None:
    assert await in_cells(session) == await expected(session)


# --- the triggers are there ---------------------------------------------------------


async def test_the_triggers_exist_at_head(session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'report_%'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report_%'"
    names = set((await session.scalars(text(query))).all())
    assert names == TRIGGERS[dialect]


# --- the random walk ----------------------------------------------------------------

CURRENCIES = [None, "JPY", "USD", "EUR", "THB"]
STAGES = [None, *Stage]
ATTENDANCE = [None, *Attendance]
SOURCES = list(MeetingSource)


def _some_start(rng: random.Random) -> datetime:
    # Around midnight in Japan (15:00 UTC) as often as not: days split there.
    day = datetime(2026, 3, 28, tzinfo=UTC) + timedelta(days=rng.randrange(6))
    return day + timedelta(hours=rng.choice([0, 14, 15, 16, 23]), minutes=rng.choice([0, 30]))


def _some_stage(rng: random.Random, meeting: Meeting) -> None:
    meeting.stage = rng.choice(STAGES)
    currency = rng.choice(CURRENCIES) if meeting.stage else None
    meeting.stage_currency = currency
    meeting.stage_value = Decimal(rng.randrange(1, 10**8)) / 100 if currency else None
    meeting.stage_on = date(2026, 4, 1) + timedelta(days=rng.randrange(90))


async def _step(rng: random.Random, session: AsyncSession, data: Any) -> str:
    """One change of the kind the application (or an operator) makes; its name."""
    meetings = list((await session.scalars(select(Meeting))).all())
    buyers = list(
        await session.scalars(select(User).where(User.role == "buyer").order_by(User.email))
    )
    booths = list((await session.scalars(select(Booth).order_by(Booth.id))).all())
    kind = rng.choices(
        ["add", "change", "untouched", "remove", "buyer", "drop_buyer", "drop_booth", "fold"],
        weights=[20, 40, 5, 6, 6, 1, 1, 6],
    )[0]
    if kind == "add" or not meetings:
        start = _some_start(rng)
        meeting = Meeting(
            booth_id=rng.choice(booths).id,
            buyer_id=rng.choice(buyers).id,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            status=rng.choice(list(MeetingStatus)),
            confirmed_at=rng.choice([None, start - timedelta(days=3)]),
            buyer_timezone="Asia/Bangkok",
            attendance=rng.choice(ATTENDANCE),
            interpreter_language=rng.choice([None, "vi", "zh_Hans"]),
            # Every source in turn, without drawing from the seeded walk.
            source=SOURCES[len(meetings) % len(SOURCES)],
        )
        _some_stage(rng, meeting)
        session.add(meeting)
        return "add"
    meeting = rng.choice(meetings)
    if kind == "change":
        field = rng.choice(
            ["status", "confirmed_at", "attendance", "stage", "starts_at", "booth", "buyer", "lang"]
        )
        if field == "status":
            meeting.status = rng.choice(list(MeetingStatus))
        elif field == "confirmed_at":
            meeting.confirmed_at = rng.choice([None, meeting.starts_at - timedelta(days=1)])
        elif field == "attendance":
            meeting.attendance = rng.choice(ATTENDANCE)
        elif field == "stage":
            _some_stage(rng, meeting)
        elif field == "starts_at":
            meeting.starts_at = _some_start(rng)
            meeting.ends_at = meeting.starts_at + timedelta(minutes=30)
        elif field == "booth":
            meeting.booth_id = rng.choice(booths).id
        elif field == "buyer":
            meeting.buyer_id = rng.choice(buyers).id
        else:
            meeting.interpreter_language = rng.choice([None, "vi", "th"])
        return f"change {field}"
    if kind == "untouched":
        before = await delta_count(session)
        meeting.note = f"note {rng.random()}"
        meeting.together_seconds += 60
        await session.flush()
        assert await delta_count(session) == before, "a change the report ignores appended"
        return "untouched"
    if kind == "remove":
        await session.delete(meeting)
        return "remove"
    if kind == "buyer":
        buyer = rng.choice(buyers)
        buyer.country = rng.choice(["", "VN", "TH", "CN"])
        buyer.locale = rng.choice(["en", "vi", "th"])
        return "buyer"
    if kind == "drop_buyer" and len(buyers) > 2:
        # The database cascades to the buyer's meetings.
        await session.execute(delete(User).where(User.id == rng.choice(buyers).id))
        return "drop_buyer"
    if kind == "drop_booth" and len(booths) > 2:
        await session.execute(delete(Booth).where(Booth.id == rng.choice(booths).id))
        return "drop_booth"
    await session.commit()
    await cells.fold(session)
    return "fold"


async def test_the_cells_follow_every_change(session):
    data = await build_report_data(session)
    await assert_consistent(session)
    rng = random.Random(20261126)
    done = []
    for _ in range(150):
        done.append(await _step(rng, session, data))
        await session.commit()
        session.expunge_all()  # read what the database holds, not what the session remembers
        assert await in_cells(session) == await expected(session), done[-5:]
    # Every kind of change was made (the walk is seeded: this guards the weights).
    assert {d.split()[0] for d in done} >= {
        "add",
        "change",
        "untouched",
        "remove",
        "buyer",
        "drop_buyer",
        "drop_booth",
        "fold",
    }
    await cells.fold(session)
    assert await delta_count(session) == 0
    assert await in_cells(session, deltas=False) == await expected(session)
    # No cell is left at zero.
    zero = await session.scalar(
        select(func.count())
        .select_from(ReportCell)
        .where(
            ReportCell.booked == 0,
            ReportCell.cancelled == 0,
            ReportCell.held == 0,
            ReportCell.no_show == 0,
        )
    )
    assert zero == 0


# --- what a user of the report sees -------------------------------------------------


async def _report(session: AsyncSession, data: Any, group_by: str) -> dict[str, Any]:
    result = await conversion_report(session, actor=data.users["staff"], group_by=group_by, now=NOW)
    await session.commit()
    return {g.key: g.figures for g in result.groups} | {"": result.total}


async def test_a_fold_changes_no_figure(session):
    data = await build_report_data(session)
    before = {g: await _report(session, data, g) for g in ("fair", "buyer_country", "month")}
    assert await delta_count(session) > 0  # the data set was written after the migration
    moved = await cells.fold(session)
    assert moved > 0 and await delta_count(session) == 0
    after = {g: await _report(session, data, g) for g in ("fair", "buyer_country", "month")}
    assert after == before
    assert await cells.fold(session) == 0  # nothing left to move


async def test_a_buyer_who_moves_takes_their_meetings_along(session):
    data = await build_report_data(session)
    await cells.fold(session)
    before = await _report(session, data, "buyer_country")
    vn = await session.get(User, data.users["VN"].id)
    vn.country = "TH"
    await session.commit()
    after = await _report(session, data, "buyer_country")
    assert "VN" not in after
    assert after["TH"] == before["VN"]
    assert after[""] == before[""]


async def test_a_deleted_buyer_or_booth_leaves_the_report(session):
    data = await build_report_data(session)
    await cells.fold(session)
    before = await _report(session, data, "buyer_country")
    assert before["US"].booked > 0
    await session.execute(delete(User).where(User.id == data.users["US"].id))
    await session.commit()
    after = await _report(session, data, "buyer_country")
    assert "US" not in after
    assert after[""].booked == before[""].booked - before["US"].booked
    await session.execute(delete(Booth))
    await session.commit()
    emptied = await _report(session, data, "fair")
    assert (emptied[""].booked, emptied[""].held, emptied[""].contracts) == (0, 0, 0)
    await cells.fold(session)
    assert await session.scalar(select(func.count()).select_from(ReportCell)) == 0


# PostgreSQL only: SQLite lets one writer at a time, so a fold waits for the booking.
@ONLY_POSTGRES
async def test_a_fold_leaves_what_is_not_committed_yet(sessionmaker, session):
    data = await build_report_data(session)
    await cells.fold(session)
    async with sessionmaker() as booking:
        meeting = await booking.get(Meeting, data.meetings["m18"].id)
        meeting.status = MeetingStatus.CANCELLED  # confirmed, then cancelled: not committed
        meeting.confirmed_at = NOW
        await booking.flush()
        # Meanwhile another change is committed: m1 gets an interpreter (its -1 and +1).
        await session.execute(
            update(Meeting)
            .where(Meeting.id == data.meetings["m1"].id)
            .values(interpreter_language="th")
        )
        await session.commit()
        async with sessionmaker() as other:
            # The fold takes the committed change and leaves the open booking's deltas.
            assert await cells.fold(other) == 2
        await booking.commit()
    assert await delta_count(session) == 2  # the booking's old (-1) and new (+1) contributions
    await cells.fold(session)
    await assert_consistent(session)


async def test_a_fold_drops_thousands_of_emptied_cells(session):
    data = await build_report_data(session)
    await cells.fold(session)
    before = await in_cells(session, deltas=False)
    buyer, booth = data.users["CN"].id, data.booths["A1"].id
    first = datetime(2030, 1, 1, 1, tzinfo=UTC)
    # More cells than one statement could name by their keys (6 parameters each, and
    # asyncpg takes 32,767 at most): one meeting a day.
    for n in range(6000):
        start = first + timedelta(days=n)
        session.add(confirmed(booth, buyer, start))
    await session.commit()
    await cells.fold(session)
    count = select(func.count()).select_from(ReportCell)
    assert await session.scalar(count) == len(before) + 6000
    await session.execute(delete(Meeting).where(Meeting.starts_at >= first))
    await session.commit()
    assert await cells.fold(session) == 6000
    assert await delta_count(session) == 0
    assert await in_cells(session, deltas=False) == before
    assert await session.scalar(count) == len(before)


async def test_a_cell_whose_contracts_go_is_dropped_whatever_its_value_sums_to(session):
    data = await build_report_data(session)
    await cells.fold(session)
    before = await in_cells(session, deltas=False)
    start = datetime(2030, 1, 7, 1, tzinfo=UTC)
    contracts = []
    for value in ("0.10", "0.20"):  # 0.1 + 0.2 - 0.1 - 0.2 is not 0 in floating point
        meeting = confirmed(
            data.booths["A1"].id,
            data.users["CN"].id,
            start,
            attendance=Attendance.HELD,
            stage=Stage.CONTRACT,
            stage_currency="USD",
            stage_value=Decimal(value),
            stage_on=date(2030, 2, 1),
        )
        session.add(meeting)
        await session.commit()
        await cells.fold(session)
        contracts.append(meeting.id)
    for meeting_id in contracts:
        await session.execute(delete(Meeting).where(Meeting.id == meeting_id))
        await session.commit()
        await cells.fold(session)
    assert await in_cells(session, deltas=False) == before
    usd = select(func.count()).select_from(ReportCell).where(ReportCell.currency == "USD")
    assert await session.scalar(usd.where(ReportCell.day >= date(2030, 1, 1))) == 0


# PostgreSQL only: SQLite has one writer at a time, so the two cannot interleave.
@ONLY_POSTGRES
async def test_a_booking_while_its_buyer_moves_counts_where_the_buyer_ends_up(
    sessionmaker, session
):
    data = await build_report_data(session)
    buyer, booth = data.users["VN"].id, data.booths["A1"].id
    start = datetime(2026, 3, 31, 1, tzinfo=UTC)

    async def booking_waits() -> bool:
        # pg_stat_activity is read once per transaction and kept: without a fresh read, a
        # first look taken before the booking reached the lock saw it never wait (a test
        # that failed on a loaded machine).
        await session.execute(text("SELECT pg_stat_clear_snapshot()"))
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting)

    async with sessionmaker() as moving, sessionmaker() as booking:
        await moving.execute(update(User).where(User.id == buyer).values(country="TH"))
        booking.add(confirmed(booth, buyer, start))
        # The move has counted the buyer's meetings it can see; the new one it cannot.
        flushing = asyncio.create_task(booking.flush())
        try:
            await eventually(booking_waits, "the booking waits for the buyer's row")
        except BaseException:
            # Let go of the buyer's row, so the booking ends and the next test's clean-up
            # does not wait on a lock forever.
            await moving.rollback()
            await asyncio.gather(flushing, return_exceptions=True)
            raise
        await moving.commit()
        await flushing
        await booking.commit()
    await assert_consistent(session)
    report = await _report(session, data, "buyer_country")
    assert "VN" not in report


# PostgreSQL only: on SQLite a second writer waits for the first.
@ONLY_POSTGRES
async def test_two_folds_at_once_one_moves(sessionmaker, session):
    await build_report_data(session)
    async with sessionmaker() as first, sessionmaker() as second:
        await first.execute(select(func.pg_advisory_xact_lock(cells.FOLD_LOCK)))
        assert await cells.fold(second) == 0  # skipped: the lock is held
        await first.rollback()
        assert await cells.fold(second) > 0
    await assert_consistent(session)


async def test_the_app_folds_as_it_runs(settings, engine, session, monkeypatch):
    data = await build_report_data(session)
    m18 = data.meetings["m18"].id
    assert await delta_count(session) > 0
    # The reports feature's periodic fold (reports/feature.py), every 50 ms here.
    fast = [replace(task, every_seconds=0.05) for task in REPORTS.tasks]
    monkeypatch.setattr(kakehashi.app, "TASKS", fast)
    app = create_app(settings.with_overrides(inprocess_jobs=True))
    async with app.router.lifespan_context(app):

        async def folded() -> bool:
            left = await delta_count(session)
            await session.rollback()  # a fresh snapshot next time (SQLite keeps one)
            return left == 0

        await eventually(folded, "the relay loop folded the deltas")
        await session.execute(
            update(Meeting).where(Meeting.id == m18).values(attendance=Attendance.HELD)
        )
        await session.commit()
        await eventually(folded, "the relay loop folded the new deltas")
    await assert_consistent(session)
