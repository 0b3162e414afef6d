"""``fair demo``'s past year: monthly fairs that happened, with bookings, attendance that the
room's visits decided, outcome histories recorded on their days, and the figures the
conversion report shows from them. On SQLite and PostgreSQL (the ``session`` fixture)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from booths.models import Booth, Visit, VisitKind
from demo.loader import DEMO_WEBHOOK_URL, ORGANIZER_EMAIL, invited_fair, load
from fair import clock
from fair.accounts.models import User
from fair.config import Settings
from fair.fairs.models import Fair, FairBuyer
from fair.invitations.models import FairInvitation
from fair.money import ExchangeRate
from fair.outbox import OutboxJob
from fair.storage import LocalStorage
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint
from meetings import attendance as rules
from meetings.booking import holds_for
from meetings.models import (
    Attendance,
    BoothHours,
    BuyerFeedback,
    Meeting,
    MeetingHold,
    MeetingStatus,
    Outcome,
    RoomVisit,
    Stage,
)
from reports.service import conversion_report

# A moment of the current month after its fair (the third week), so that the history holds
# the twelve months before it and this month's fair; the demo runs with the clock moved there.
NOW = clock.now().replace(day=25, hour=12, minute=0, second=0, microsecond=0)
TOKYO = ZoneInfo("Asia/Tokyo")


async def past_fairs(session) -> list[Fair]:
    """The fairs of the twelve months before this one, and this month's (it is over)."""
    first = date(NOW.year - 1, NOW.month, 1)
    today = NOW.astimezone(TOKYO).date()
    query = select(Fair).where(Fair.starts_on >= first, Fair.ends_on < today)
    return list((await session.scalars(query.order_by(Fair.starts_on))).all())


async def test_the_demo_has_a_year_of_fairs_that_happened(session, tmp_path):
    counts = await load(session, storage=LocalStorage(tmp_path / "media"), now=NOW)
    fairs = await past_fairs(session)
    assert len(fairs) == 13
    fair_of = {fair.id: fair for fair in fairs}
    rows = (
        await session.execute(
            select(Meeting, Booth.fair_id).join(Booth, Booth.id == Meeting.booth_id)
        )
    ).all()
    meetings = [meeting for meeting, fair_id in rows if fair_id in fair_of]
    fair_id_of = {meeting.id: fair_id for meeting, fair_id in rows}
    booked = [m for m in meetings if m.confirmed_at and m.status != MeetingStatus.CANCELLED]
    held = [m for m in meetings if m.attendance == Attendance.HELD]
    assert len(booked) >= 500  # the programme's yearly target
    assert len({fair_id_of[m.id] for m in held}) >= 12
    assert counts["held"] == len(held)

    # The mix of a real year: cancels, requests declined, every attendance, interpreters.
    statuses = Counter(m.status for m in meetings)
    assert 0.04 <= statuses[MeetingStatus.CANCELLED] / len(meetings) <= 0.14
    assert statuses[MeetingStatus.DECLINED] > 0
    assert set(statuses) <= {
        MeetingStatus.CONFIRMED,
        MeetingStatus.CANCELLED,
        MeetingStatus.DECLINED,
    }
    attendance = Counter(m.attendance for m in meetings if m.status == MeetingStatus.CONFIRMED)
    assert set(attendance) == set(Attendance)  # every confirmed meeting was decided
    assert 0.70 <= len(held) / len(meetings) <= 0.82
    no_shows = sum(attendance[a] for a in Attendance if a.startswith("no_show"))
    assert 0.06 <= no_shows / len(meetings) <= 0.16
    interpreted = [m for m in meetings if m.interpreter_id]
    assert interpreted
    assert {m.interpreter_language for m in interpreted} == {"vi", "zh_Hant", "th"}
    assert all(m.confirmed_at and m.confirmed_at <= m.starts_at for m in booked)
    assert all(m.created_at < m.starts_at for m in meetings)

    # Attendance came out of the room's visits, as the room decides it.
    visits: dict[str, list[rules.Visit]] = defaultdict(list)
    for row in (await session.scalars(select(RoomVisit))).all():
        assert row.left_at is not None
        visits[row.meeting_id].append(rules.Visit(row.side, row.joined_at, row.left_at))
    held_after = timedelta(minutes=Settings().held_minutes)
    for meeting in meetings:
        if meeting.attendance is None:
            assert meeting.id not in visits  # cancelled or declined: no room
            continue
        found = rules.verdict(visits[meeting.id], now=NOW, held_after=held_after, final=True)
        assert found == meeting.attendance, meeting.id
        together = rules.together(visits[meeting.id], NOW)
        assert meeting.together_seconds == int(together.total_seconds())
    assert all(visits[m.id] for m in held)

    # Outcomes: only for held meetings, appended in order, the latest one current.
    entries = (await session.scalars(select(Outcome))).all()
    by_meeting: dict[str, list[Outcome]] = defaultdict(list)
    for entry in entries:
        by_meeting[entry.meeting_id].append(entry)
    by_id = {m.id: m for m in meetings}
    assert set(by_meeting) <= {m.id for m in held}
    for meeting_id, history in by_meeting.items():
        history.sort(key=lambda e: (e.recorded_at, e.id))
        assert 1 <= len(history) <= 4
        assert by_id[meeting_id].current_outcome_id == history[-1].id
        days = [e.occurred_on for e in history]
        assert days == sorted(days)
        assert days[0] >= by_id[meeting_id].starts_at.astimezone(TOKYO).date()
        assert history[-1].recorded_at <= NOW
    assert all(m.current_outcome_id is None for m in meetings if m.id not in by_meeting)
    assert {e.stage for e in entries} == set(Stage)
    current = {m.id: by_meeting[m.id][-1] for m in held if m.id in by_meeting}
    assert {e.stage for e in current.values()} == set(Stage)
    assert any(
        [e.stage for e in history[-2:]] == [Stage.CONTRACT, Stage.FOLLOW_UP]
        for history in by_meeting.values()
    )  # a contract that fell through
    assert {e.currency for e in entries if e.currency} == {
        "JPY",
        "USD",
        "CNY",
        "TWD",
        "VND",
        "THB",
    }

    # Conversion near the programme's 30 % target; every contract converts to yen.
    contracts = [e for e in current.values() if e.stage == Stage.CONTRACT]
    assert counts["contracts"] == len(contracts)
    assert 0.25 <= len(contracts) / len(held) <= 0.40
    rates = (await session.execute(select(ExchangeRate.currency, ExchangeRate.valid_from))).all()
    for entry in contracts:
        if entry.currency in (None, "JPY"):
            continue
        day = by_id[entry.meeting_id].starts_at.astimezone(TOKYO).date()
        assert any(c == entry.currency and d <= day for c, d in rates), entry.currency
    organizer = await session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    report = await conversion_report(session, actor=organizer, now=NOW)
    assert report.total.contracts == len(contracts)
    assert report.total.held == len(held)
    assert report.total.unconverted_values == 0
    assert report.total.contract_value_jpy > 0

    # The buyers' own views on about half of the held meetings.
    feedback = await session.scalar(select(func.count()).select_from(BuyerFeedback))
    assert 0.35 <= feedback / len(held) <= 0.65

    # No two active meetings at a booth at once, each holding its cells; the others none.
    buffers = dict(
        (await session.execute(select(BoothHours.booth_id, BoothHours.buffer_minutes)))
        .tuples()
        .all()
    )
    holds = Counter((await session.scalars(select(MeetingHold.meeting_id))).all())
    at_booth: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        if meeting.status == MeetingStatus.CONFIRMED:
            at_booth[meeting.booth_id].append(meeting)
            assert holds[meeting.id] == len(holds_for(meeting, buffers[meeting.booth_id]))
        else:
            assert holds[meeting.id] == 0
    for booth_id, active in at_booth.items():
        active.sort(key=lambda m: m.starts_at)
        buffer = timedelta(minutes=buffers[booth_id])
        for first, second in pairwise(active):
            assert first.ends_at + buffer <= second.starts_at

    # Booth visits before the bookings: visit → booking between 5 and 15 %.
    visit_count = await session.scalar(
        select(func.count())
        .select_from(Visit)
        .join(Booth, Booth.id == Visit.booth_id)
        .where(Booth.fair_id.in_(list(fair_of)), Visit.kind == VisitKind.BOOTH)
    )
    assert 0.05 <= len(booked) / visit_count <= 0.15

    # What those days queued has gone out; only questions still ahead wait.
    past_ids = {m.id for m in meetings}
    waiting = (
        await session.scalars(select(OutboxJob).where(OutboxJob.dispatched_at.is_(None)))
    ).all()
    for job in waiting:
        if job.args.get("meeting_id") in past_ids:
            assert job.job == "ask_for_outcome" and job.available_at > NOW

    # The organizer's webhook endpoint (the city CRM's) is listed; loading sent it nothing.
    endpoints = (await session.scalars(select(WebhookEndpoint))).all()
    assert [(e.url, e.enabled) for e in endpoints] == [(DEMO_WEBHOOK_URL, True)]
    assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0

    # The fair two months ahead is for admitted buyers only: two invited buyers accepted
    # (and are admitted), three invitations wait; nothing was mailed.
    invited = await invited_fair(session, NOW)
    assert invited.buyer_admission == "vetted"
    invitations = (await session.scalars(select(FairInvitation))).all()
    assert sorted(i.status(NOW) for i in invitations) == ["accepted"] * 2 + ["pending"] * 3
    admitted = await session.scalar(
        select(func.count()).select_from(FairBuyer).where(FairBuyer.fair_id == invited.id)
    )
    assert admitted == 2
    assert not any(job.job == "send_fair_invitation" for job in waiting)

    # Loading again adds nothing.
    again = await load(session, storage=LocalStorage(tmp_path / "media"), now=NOW)
    assert set(again.values()) == {0}
    assert await session.scalar(select(func.count()).select_from(Meeting)) == len(rows)
    assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    assert await session.scalar(select(func.count()).select_from(FairInvitation)) == 5
