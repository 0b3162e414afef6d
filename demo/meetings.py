"""Demo meetings for ``fair demo``.

``publish_hours`` and ``book_upcoming``: the booths of the fairs still ahead publish hours,
and the demo buyers have booked some of them (so My meetings, invites and mails have content).

``load_live``: two meetings of the open day whose video rooms are open at the moment the demo
is loaded (``LIVE``; one with an interpreter), for a newcomer to enter from two windows.

``load_history``: the past year's monthly fairs as they happened. Booths of the regular
exhibitors, bookings made weeks before each fair (some by request, some cancelled and booked
again, some moved, some with an interpreter), the video room's visits and the attendance the
room decided from them, what came of each held meeting (an outcome history of one to three
entries, recorded by the exhibitor on the day), the buyers' own views, and the booth visits
that came before the bookings. Everything goes through the services production uses, with
``now`` set to the moment it happened; a seeded random makes it the same on every run.

What is booked and said comes from demo/data/: the bookings and live pairs from
programme.toml, the past year's script (shares, paths, notes) from history.toml.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths import service as booth_service
from booths.analytics import tally_booth_visits
from booths.models import Booth, BoothStatus, Media, Product, Visit, VisitKind
from demo import data as demo_data
from demo.booths import booth_content, product_content, review_booth
from demo.data import HISTORY, PROGRAMME, OutcomePath, buyer_index, exhibitor_index
from fair.accounts.models import User
from fair.config import Settings
from fair.errors import DomainError
from fair.fairs.models import Fair
from fair.fairs.phase import local_today
from fair.fairs.service import is_monthly
from fair.outbox import OutboxJob
from meetings import booking, changes, outcomes, video_room
from meetings.models import (
    Attendance,
    BoothHours,
    BuyerView,
    Meeting,
    MeetingSource,
    MeetingStatus,
    Side,
    Stage,
)

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)]
EVERY_DAY = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(1, 8)]
LUNCH_BREAK = [
    rule
    for d in range(1, 6)
    for rule in (
        {"weekday": d, "start": "09:00", "end": "12:00"},
        {"weekday": d, "start": "13:00", "end": "17:00"},
    )
]
# (buyer index in demo_data.BUYERS, exhibitor index, fair day, Tokyo hour, interpreter)
BOOKINGS = [
    (buyer_index(b.buyer), exhibitor_index(b.exhibitor), b.day, b.hour, b.interpreter)
    for b in PROGRAMME.bookings
]


def _hours(booth: Booth, number: int) -> BoothHours:
    """The demo's meeting hours for the ``number``-th booth of a monthly fair."""
    return BoothHours(
        booth_id=booth.id,
        timezone="Asia/Tokyo",
        weekly=LUNCH_BREAK if number % 3 == 1 else WEEKDAYS,
        exceptions=[],
        buffer_minutes=10 if number % 2 else 0,
        min_notice_minutes=12 * 60,
        max_per_buyer=2,
        mode="request" if number % 5 == 4 else "instant",
        request_hours=48,
    )


def _open_day_hours(booth: Booth) -> BoothHours:
    """The open day's hours: every day of the week, an hour's notice, confirmed at once."""
    return BoothHours(
        booth_id=booth.id,
        timezone="Asia/Tokyo",
        weekly=EVERY_DAY,
        exceptions=[],
        buffer_minutes=0,
        min_notice_minutes=60,
        max_per_buyer=4,
        mode="instant",
        request_hours=48,
    )


async def _booths_of(session: AsyncSession, fair: Fair) -> list[Booth]:
    return list(
        (
            await session.scalars(
                select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.created_at, Booth.id)
            )
        ).all()
    )


async def publish_hours(session: AsyncSession, fair: Fair, *, every_day: bool = False) -> int:
    """Meeting hours for every booth of the fair that has none yet; returns how many."""
    added = 0
    for number, booth in enumerate(await _booths_of(session, fair)):
        if await session.get(BoothHours, booth.id) is None:
            session.add(_open_day_hours(booth) if every_day else _hours(booth, number))
            added += 1
    await session.flush()
    return added


async def _user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def _approved_booth(session: AsyncSession, fair: Fair, owner: User | None) -> Booth | None:
    if owner is None:
        return None
    return await session.scalar(
        select(Booth).where(
            Booth.fair_id == fair.id,
            Booth.owner_id == owner.id,
            Booth.status == BoothStatus.APPROVED,
        )
    )


async def _has_meetings(session: AsyncSession, fair: Fair) -> bool:
    return bool(
        await session.scalar(
            select(Meeting.id)
            .join(Booth, Booth.id == Meeting.booth_id)
            .where(Booth.fair_id == fair.id)
            .limit(1)
        )
    )


async def book_upcoming(session: AsyncSession, fair: Fair, first_day: date, now: datetime) -> int:
    """The demo buyers' bookings (``BOOKINGS``, day 0 being ``first_day``), made ``now``.
    Returns how many were booked: none where the fair has meetings already, and a time the
    booth no longer offers (passed, too soon) is left out."""
    if await _has_meetings(session, fair):
        return 0
    booked = 0
    for buyer_number, exhibitor_number, day, hour, interpreter in BOOKINGS:
        buyer = await _user(session, demo_data.BUYERS[buyer_number].email)
        owner = await _user(session, demo_data.EXHIBITORS[exhibitor_number].email)
        booth = await _approved_booth(session, fair, owner)
        if buyer is None or booth is None:
            continue
        start = datetime.combine(first_day + timedelta(days=day), time(hour), tzinfo=TOKYO)
        try:
            async with session.begin_nested():
                await booking.book(
                    session,
                    actor=buyer,
                    booth_id=booth.id,
                    start=start,
                    interpreter_language=interpreter,
                    now=now,
                )
        except DomainError:
            continue  # e.g. the time has passed on a fair day: no demo meeting there
        booked += 1
    return booked


# Meetings happening now ----------------------------------------------------------------------

# (buyer index, exhibitor index, interpreter language): the README's demo pairs for the
# video room, each with a meeting whose room is open when the demo has just been loaded.
LIVE = [
    (buyer_index(p.buyer), exhibitor_index(p.exhibitor), p.interpreter)
    for p in PROGRAMME.live.pairs
]
LIVE_BOOKED_BEFORE = timedelta(days=2)  # the live meetings were booked this long before
LIVE_SLOT = timedelta(minutes=30)


def live_start(now: datetime, early: timedelta) -> datetime:
    """The start of the live meeting for a demo loaded ``now``: the half hour under way if it
    began at most ``early`` ago, else the next one. Its room (open from ``early`` before the
    start to a grace period after the end) is then open now or opens within ``early``, and
    stays open at least the slot less ``early`` plus the grace period.

    Half hours in UTC are half hours in Tokyo (UTC+9), so this is on the booth's grid."""
    floor = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
    return floor if now - floor <= early else floor + LIVE_SLOT


def live_hours(start: datetime) -> list[dict[str, str]]:
    """Extra hours on the dates around ``start`` (Tokyo): from an hour before it to an hour
    after the meeting, split at midnight (an end of 00:00 is midnight)."""
    first = start.astimezone(TOKYO) - timedelta(hours=1)
    last = start.astimezone(TOKYO) + LIVE_SLOT + timedelta(hours=1)
    pieces = []
    while first < last:
        midnight = datetime.combine(first.date() + timedelta(days=1), time(0), tzinfo=TOKYO)
        until = min(last, midnight)
        pieces.append(
            {"date": first.date().isoformat(), "start": f"{first:%H:%M}", "end": f"{until:%H:%M}"}
        )
        first = until
    return pieces


async def _room_open(
    session: AsyncSession, booth: Booth, buyer: User, now: datetime, settings: Settings
) -> bool:
    """The pair already has a confirmed meeting whose room is open now (or soon)."""
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.booth_id == booth.id,
                Meeting.buyer_id == buyer.id,
                Meeting.status == MeetingStatus.CONFIRMED,
            )
        )
    ).all()
    return any(video_room.join_window(m, settings).closes_at > now for m in meetings)


async def _interpreter_for(session: AsyncSession, language: str) -> User | None:
    for spec in demo_data.INTERPRETERS:
        if language in spec.languages:
            return await _user(session, spec.email)
    return None


async def load_live(
    session: AsyncSession, *, fair: Fair, organizer: User, now: datetime, settings: Settings
) -> int:
    """The ``LIVE`` pairs' meetings whose rooms are open now, booked two days ago (the one
    with an interpreter had the interpreter assigned an hour later), where the pair has no
    open room yet. The booth gets extra hours around the meeting if its week does not
    cover that time. Returns how many were made."""
    start = live_start(now, timedelta(minutes=settings.join_early_minutes))
    booked_at = now - LIVE_BOOKED_BEFORE
    queued_before = await session.scalar(select(func.max(OutboxJob.id))) or 0
    made = 0
    for buyer_number, exhibitor_number, language in LIVE:
        buyer = await _user(session, demo_data.BUYERS[buyer_number].email)
        booth = await _approved_booth(
            session, fair, await _user(session, demo_data.EXHIBITORS[exhibitor_number].email)
        )
        hours = await session.get(BoothHours, booth.id) if booth else None
        if buyer is None or booth is None or hours is None:
            continue
        if await _room_open(session, booth, buyer, now, settings):
            continue
        hours.exceptions = [*hours.exceptions, *live_hours(start)]
        await session.flush()
        try:
            async with session.begin_nested():
                meeting = await booking.book(
                    session,
                    actor=buyer,
                    booth_id=booth.id,
                    start=start,
                    interpreter_language=language,
                    note=PROGRAMME.live.note,
                    now=booked_at,
                )
                interpreter = await _interpreter_for(session, language) if language else None
                if interpreter is not None:
                    await changes.assign_interpreter(
                        session,
                        actor=organizer,
                        meeting_id=meeting.id,
                        interpreter_id=interpreter.id,
                        now=booked_at + timedelta(hours=1),
                    )
                meeting.created_at = booked_at
        except DomainError:
            continue
        made += 1
    # The mails and reminders due before now went out back then.
    await session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id > queued_before,
            OutboxJob.dispatched_at.is_(None),
            OutboxJob.available_at <= now,
        )
        .values(dispatched_at=now)
    )
    await session.flush()
    return made


# The past year ------------------------------------------------------------------------------

# The script is history.toml (HISTORY); these are its references as indexes.
# Exhibitors (by index in demo_data.EXHIBITORS) at almost every fair.
REGULARS = frozenset(exhibitor_index(email) for email in HISTORY.regulars)
# What each buyer (by index) trades in: the exhibitors they book most.
AFFINITY = {
    buyer_index(a.buyer): tuple(exhibitor_index(email) for email in a.exhibitors)
    for a in HISTORY.affinity
}
Path = tuple[tuple[Stage, int, int], ...]


def _paths(paths: list[OutcomePath]) -> tuple[tuple[Path, int], ...]:
    return tuple((path.steps, path.weight) for path in paths)


CONTRACT_PATHS = _paths(HISTORY.paths.contract)
NO_DEAL_PATHS = _paths(HISTORY.paths.no_deal)
OPEN_PATHS = _paths(HISTORY.paths.open)
ATTENDANCE_MIX = tuple(HISTORY.attendance.items())


@dataclass
class _Stall:
    """A booth of a past fair and what is taken there."""

    booth: Booth
    owner: User
    hours: BoothHours
    index: int  # the exhibitor's index in demo_data.EXHIBITORS
    product_ids: list[str]
    taken: list[tuple[datetime, datetime]] = field(default_factory=list)

    def free(self, start: datetime, end: datetime) -> bool:
        buffer = timedelta(minutes=self.hours.buffer_minutes)
        return not any(start < e + buffer and s < end + buffer for s, e in self.taken)

    def release(self, start: datetime) -> None:
        self.taken = [span for span in self.taken if span[0] != start]


@dataclass
class _Counts:
    booths: int = 0
    meetings: int = 0
    held: int = 0
    contracts: int = 0
    visits: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "booths": self.booths,
            "meetings": self.meetings,
            "held": self.held,
            "contracts": self.contracts,
            "visits": self.visits,
        }


def past_fair_window(now: datetime) -> tuple[date, date]:
    """The fairs the history fills: starting in the twelve months before this one (or in
    this month, once it has ended), and over by today (Tokyo)."""
    today = local_today(now, "Asia/Tokyo")
    return date(today.year - 1, today.month, 1), today


# How the past year's bookings came about (meetings.source), by share: booked by the buyer
# alone, from a recommendation, on an exhibitor's invitation, on the organizers' proposal.
HISTORY_SOURCES = (
    (MeetingSource.SELF, 0.45),
    (MeetingSource.RECOMMENDED, 0.3),
    (MeetingSource.INVITED, 0.1),
    (MeetingSource.PROPOSED, 0.15),
)


def _rng(*parts: object) -> random.Random:
    # Demo data, not secrets: the same seed gives the same programme on every run.
    return random.Random("/".join(str(p) for p in parts))  # noqa: S311


def _weighted(rng: random.Random, choices: tuple[tuple[Any, Any], ...]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _money(yen: float, currency: str) -> Decimal:
    """A value in ``currency``, to three significant digits."""
    return Decimal(int(float(f"{yen / HISTORY.yen_per[currency]:.3g}")))


def _note(rng: random.Random, stage: Stage, *, first: bool) -> str:
    """What the exhibitor wrote with an entry (not always, on the first)."""
    return "" if first and rng.random() < 0.3 else rng.choice(HISTORY.notes[stage])


def _at(day: date, rng: random.Random, first: int = 10, last: int = 18) -> datetime:
    """A moment on a Tokyo office day, in UTC."""
    minutes = rng.randrange(first * 60, last * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60, rng.randrange(60)), TOKYO)
    return local.astimezone(UTC)


class _History:
    def __init__(self, session: AsyncSession, now: datetime, settings: Settings) -> None:
        self.session = session
        self.now = now
        self.settings = settings
        self.counts = _Counts()
        self.organizer: User | None = None
        self.exhibitors: dict[int, User] = {}
        self.buyers: list[tuple[int, User]] = []
        self.interpreters: dict[str, User] = {}
        self.previous_booth: dict[str, str] = {}  # company key → last fair's booth id
        self.dispute_fair: str | None = None  # one open dispute, in the latest fair
        # When each meeting was booked and last changed (written once, at the end).
        self.booked_at: dict[str, datetime] = {}
        self.changed: dict[str, datetime] = {}

    def _stamp(self, meeting: Meeting, changed: datetime) -> None:
        meeting.created_at = self.booked_at[meeting.id]
        meeting.updated_at = max(changed, self.changed.get(meeting.id, changed))

    async def people(self, organizer: User) -> None:
        self.organizer = organizer
        emails = [e.email for e in demo_data.EXHIBITORS] + [b.email for b in demo_data.BUYERS]
        emails += [i.email for i in demo_data.INTERPRETERS]
        users = {
            u.email: u
            for u in (await self.session.scalars(select(User).where(User.email.in_(emails)))).all()
        }
        for index, exhibitor in enumerate(demo_data.EXHIBITORS):
            if exhibitor.email in users:
                self.exhibitors[index] = users[exhibitor.email]
        for index, buyer in enumerate(demo_data.BUYERS):
            if buyer.email in users:
                self.buyers.append((index, users[buyer.email]))
        for language in HISTORY.interpreted:
            for interpreter in demo_data.INTERPRETERS:
                if language in interpreter.languages and interpreter.email in users:
                    self.interpreters.setdefault(language, users[interpreter.email])

    # Booths -------------------------------------------------------------------------------

    async def stalls(self, fair: Fair, current: dict[int, Booth]) -> list[_Stall]:
        """The fair's booths with hours: made for the exhibitors of the month where missing."""
        rng = _rng("booths", fair.slug)
        present = [
            i for i in sorted(self.exhibitors) if rng.random() < (0.93 if i in REGULARS else 0.45)
        ]
        absent = [i for i in sorted(self.exhibitors) if i not in present]
        while len(present) < HISTORY.fair_size[0] and absent:
            present.append(absent.pop(rng.randrange(len(absent))))
        while len(present) > HISTORY.fair_size[1]:
            present.pop(rng.randrange(len(present)))
        existing = {
            booth.owner_id: booth
            for booth in (
                await self.session.scalars(select(Booth).where(Booth.fair_id == fair.id))
            ).all()
        }
        chosen: list[tuple[int, Booth]] = []
        for index, owner in sorted(self.exhibitors.items()):
            booth = existing.get(owner.id)
            if booth is None and index in present:
                booth = await self._past_booth(fair, index, owner, current.get(index), rng)
            if booth is not None and booth.status == BoothStatus.APPROVED:
                chosen.append((index, booth))
                self.previous_booth[booth.company_id or booth.owner_id] = booth.id
        await self.session.flush()
        stalls = []
        for number, (index, booth) in enumerate(chosen):
            hours = await self.session.get(BoothHours, booth.id)
            if hours is None:
                hours = _hours(booth, number)
                self.session.add(hours)
            products = (
                await self.session.scalars(
                    select(Product.id)
                    .where(Product.booth_id == booth.id)
                    .order_by(Product.position)
                )
            ).all()
            stalls.append(_Stall(booth, self.exhibitors[index], hours, index, list(products)))
        await self.session.flush()
        return stalls

    async def _past_booth(
        self, fair: Fair, index: int, owner: User, source: Booth | None, rng: random.Random
    ) -> Booth:
        """The exhibitor's booth of a past month: this month's texts and products, and its
        pictures (rows pointing at the same stored files)."""
        exhibitor = demo_data.EXHIBITORS[index]
        booth = await booth_service.build_booth(
            self.session, fair=fair, owner=owner, data=booth_content(exhibitor)
        )
        booth.copied_from_id = self.previous_booth.get(booth.company_id or booth.owner_id)
        products: dict[int, str] = {}
        for number, item in enumerate(exhibitor.products):
            product = Product(
                booth_id=booth.id, position=number, **product_content(item).model_dump()
            )
            self.session.add(product)
            await self.session.flush()
            products[number] = product.id
        if source is not None:
            positions = {
                p.id: p.position for p in await booth_service.list_products(self.session, source.id)
            }
            for item in await booth_service.list_media(self.session, source.id):
                position = positions.get(item.product_id or "")
                self.session.add(
                    Media(
                        booth_id=booth.id,
                        product_id=products.get(position) if position is not None else None,
                        **{name: getattr(item, name) for name in booth_service.MEDIA_COPY_FIELDS},
                    )
                )
        await booth_service.refresh_search(self.session, booth)
        opened = datetime.combine(fair.booking_opens_on, time(10), TOKYO).astimezone(UTC)
        booth.created_at = opened - timedelta(days=rng.randint(12, 30), hours=rng.randint(0, 8))
        assert self.organizer is not None
        review_booth(booth, BoothStatus.APPROVED, self.organizer, opened - timedelta(days=2))
        self.counts.booths += 1
        return booth

    # Meetings -----------------------------------------------------------------------------

    def _slots(self, fair: Fair, stall: _Stall, buyer: User) -> list[tuple[datetime, datetime]]:
        first, last = HISTORY.tokyo_hours.get(buyer.country or "", HISTORY.default_tokyo_hours)
        slots = []
        day = fair.starts_on
        while day <= fair.ends_on:
            for rule in stall.hours.weekly:
                if rule["weekday"] != day.isoweekday():
                    continue
                begin = datetime.combine(day, time.fromisoformat(rule["start"]), TOKYO)
                finish = datetime.combine(day, time.fromisoformat(rule["end"]), TOKYO)
                moment = begin
                while moment + timedelta(minutes=fair.slot_minutes) <= finish:
                    if first <= moment.hour and moment.hour + moment.minute / 60 < last:
                        start = moment.astimezone(UTC)
                        slots.append((start, start + timedelta(minutes=fair.slot_minutes)))
                    moment += timedelta(minutes=fair.slot_minutes)
            day += timedelta(days=1)
        return slots

    def _free_slot(
        self,
        rng: random.Random,
        fair: Fair,
        stall: _Stall,
        buyer: User,
        busy: set[datetime],
        after: datetime | None = None,
    ) -> tuple[datetime, datetime] | None:
        slots = [
            (s, e)
            for s, e in self._slots(fair, stall, buyer)
            if s not in busy and stall.free(s, e) and (after is None or s >= after)
        ]
        return rng.choice(slots) if slots else None

    async def _book(
        self, buyer: User, stall: _Stall, start: datetime, when: datetime, **extra: Any
    ) -> Meeting | None:
        try:
            async with self.session.begin_nested():
                meeting = await booking.book(
                    self.session,
                    actor=buyer,
                    booth_id=stall.booth.id,
                    start=start,
                    now=when,
                    **extra,
                )
        except DomainError:
            return None
        self.booked_at[meeting.id] = when
        self.counts.meetings += 1
        return meeting

    async def _answer(
        self,
        meeting: Meeting,
        stall: _Stall,
        booked_at: datetime,
        rng: random.Random,
        accept: bool | None = None,
    ) -> datetime:
        """A request-mode booth's exhibitor answers within the day (mostly yes); returns
        the moment of the last change."""
        if meeting.status != MeetingStatus.REQUESTED:
            return booked_at
        answered = booked_at + min(
            timedelta(hours=rng.uniform(1, 20)), (meeting.starts_at - booked_at) / 2
        )
        await changes.answer_request(
            self.session,
            actor=stall.owner,
            meeting_id=meeting.id,
            accept=rng.random() >= HISTORY.decline_share if accept is None else accept,
            now=answered,
        )
        return answered

    async def meetings(self, fair: Fair, stalls: list[_Stall], order: int) -> list[Meeting]:
        """The fair's bookings and what became of them before the fair; returns the
        meetings that were still on at its time."""
        rng = _rng("meetings", fair.slug)
        # How each booking came about, from a random of its own: the rest of the script
        # stays as it was.
        sources = _rng("sources", fair.slug)
        low, high = HISTORY.bookings_per_fair
        wanted = low + round((high - low) * order / HISTORY.months) + rng.randint(-4, 5)
        busy: dict[str, set[datetime]] = {buyer.id: set() for _, buyer in self.buyers}
        interpreter_busy: dict[str, set[datetime]] = {
            u.id: set() for u in self.interpreters.values()
        }
        pairs: Counter[tuple[str, str]] = Counter()
        opens = datetime.combine(fair.booking_opens_on, time(9), TOKYO).astimezone(UTC)
        on: list[Meeting] = []
        activity = [1.0 + (index % 4) * 0.35 for index, _ in self.buyers]
        for _ in range(wanted):
            (buyer_index, buyer), *_ = rng.choices(self.buyers, weights=activity)
            weights = []
            for stall in stalls:
                weight = 6.0 if stall.index in AFFINITY.get(buyer_index, ()) else 1.0
                if buyer.country in demo_data.EXHIBITORS[stall.index].markets:
                    weight *= 2
                weights.append(0.0 if pairs[(buyer.id, stall.booth.id)] >= 2 else weight)
            if not any(weights):
                continue
            stall = rng.choices(stalls, weights=weights)[0]
            slot = self._free_slot(rng, fair, stall, buyer, busy[buyer.id])
            if slot is None:
                continue
            start, end = slot
            ahead = timedelta(days=rng.triangular(0.8, 27, 4), minutes=rng.randrange(600))
            booked_at = min(
                max(start - ahead, opens + timedelta(minutes=rng.randrange(900))),
                start - timedelta(hours=13),
            )
            language = buyer.locale if buyer.locale in HISTORY.interpreted else None
            wants_interpreter = language is not None and rng.random() < HISTORY.interpreter_share
            meeting = await self._book(
                buyer,
                stall,
                start,
                booked_at,
                interpreter_language=language if wants_interpreter else None,
                note=rng.choice(HISTORY.booking_notes) if rng.random() < 0.3 else "",
                source=_weighted(sources, HISTORY_SOURCES),
            )
            if meeting is None:
                continue
            stall.taken.append((start, end))
            busy[buyer.id].add(start)
            pairs[(buyer.id, stall.booth.id)] += 1
            last_change = await self._answer(meeting, stall, booked_at, rng)
            if meeting.status == MeetingStatus.DECLINED:
                stall.release(start)
                busy[buyer.id].discard(start)
                pairs[(buyer.id, stall.booth.id)] -= 1
                self._stamp(meeting, last_change)
                continue
            if wants_interpreter and language:
                interpreter = self.interpreters.get(language)
                assign_at = min(
                    last_change + timedelta(hours=rng.uniform(2, 40)), start - timedelta(hours=2)
                )
                if interpreter and start not in interpreter_busy[interpreter.id]:
                    try:
                        async with self.session.begin_nested():
                            await changes.assign_interpreter(
                                self.session,
                                actor=self.organizer,
                                meeting_id=meeting.id,
                                interpreter_id=interpreter.id,
                                now=assign_at,
                            )
                    except DomainError:
                        await self.session.refresh(meeting)  # booked without one, then
                    else:
                        interpreter_busy[interpreter.id].add(start)
                        last_change = max(last_change, assign_at)
            roll = rng.random()
            if roll < HISTORY.cancel_share:
                cancel_at = last_change + (start - last_change) * rng.uniform(0.2, 0.9)
                who = buyer if rng.random() < 0.6 else stall.owner
                await changes.cancel(
                    self.session,
                    actor=who,
                    meeting_id=meeting.id,
                    reason=rng.choice(HISTORY.cancel_reasons),
                    now=cancel_at,
                )
                self._stamp(meeting, cancel_at)
                stall.release(start)
                busy[buyer.id].discard(start)
                pairs[(buyer.id, stall.booth.id)] -= 1
                if meeting.interpreter_id:
                    interpreter_busy[meeting.interpreter_id].discard(start)
                if rng.random() >= HISTORY.rebook_share:
                    continue
                rebook_at = cancel_at + timedelta(minutes=rng.randint(2, 40))
                slot = self._free_slot(
                    rng, fair, stall, buyer, busy[buyer.id], after=rebook_at + timedelta(hours=13)
                )
                if slot is None:
                    continue
                start, end = slot
                meeting = await self._book(buyer, stall, start, rebook_at)
                if meeting is None:
                    continue
                last_change = await self._answer(meeting, stall, rebook_at, rng, accept=True)
                stall.taken.append((start, end))
                busy[buyer.id].add(start)
                pairs[(buyer.id, stall.booth.id)] += 1
            elif (
                roll < HISTORY.cancel_share + HISTORY.reschedule_share
                and not meeting.interpreter_id
            ):
                moved_at = last_change + (start - last_change) * rng.uniform(0.2, 0.6)
                stall.release(start)
                slot = self._free_slot(
                    rng, fair, stall, buyer, busy[buyer.id], after=moved_at + timedelta(hours=13)
                )
                if slot is None:
                    stall.taken.append((start, end))
                else:
                    await changes.reschedule(
                        self.session,
                        actor=buyer,
                        meeting_id=meeting.id,
                        start=slot[0],
                        timezone=None,
                        now=moved_at,
                    )
                    busy[buyer.id].discard(start)
                    start, end = slot
                    stall.taken.append(slot)
                    busy[buyer.id].add(start)
                    last_change = moved_at
            self.changed[meeting.id] = last_change
            on.append(meeting)
        return on

    # The room -----------------------------------------------------------------------------

    async def attend(self, meeting: Meeting, stall: _Stall, rng: random.Random) -> Attendance:
        """The visits of the meeting's room, then the decision when the room closes."""
        plan = _weighted(rng, ATTENDANCE_MIX)
        start = meeting.starts_at
        length = (meeting.ends_at - start).total_seconds() / 60

        def at(minutes: float) -> datetime:
            return start + timedelta(seconds=round(minutes * 60))

        exhibitor_in = -rng.uniform(0.5, 8)
        buyer_in = rng.uniform(-4, 6)
        visits: list[tuple[str, str, float, float]] = []  # side, user, joined, left
        if plan == Attendance.HELD:
            leaves = length - rng.uniform(0, 6)
            if rng.random() < 0.15:  # the buyer's connection dropped once
                drop = buyer_in + rng.uniform(8, 14)
                visits.append((Side.BUYER, meeting.buyer_id, buyer_in, drop))
                visits.append((Side.BUYER, meeting.buyer_id, drop + rng.uniform(0.3, 2), leaves))
            else:
                visits.append((Side.BUYER, meeting.buyer_id, buyer_in, leaves))
            visits.append(
                (Side.EXHIBITOR, stall.owner.id, exhibitor_in, leaves + rng.uniform(0.2, 2))
            )
        elif plan == Attendance.NO_SHOW_BUYER:
            visits.append((Side.EXHIBITOR, stall.owner.id, exhibitor_in, rng.uniform(12, 25)))
        elif plan == Attendance.NO_SHOW_EXHIBITOR:
            visits.append((Side.BUYER, meeting.buyer_id, buyer_in, rng.uniform(10, 20)))
        elif plan == Attendance.TOO_SHORT:
            exhibitor_in = rng.uniform(2, 4)
            visits.append((Side.BUYER, meeting.buyer_id, 1, rng.uniform(10, 15)))
            visits.append(
                (Side.EXHIBITOR, stall.owner.id, exhibitor_in, exhibitor_in + rng.uniform(1, 3))
            )
        if meeting.interpreter_id and (plan != Attendance.NO_SHOW_BOTH or rng.random() < 0.5):
            visits.append(
                (Side.INTERPRETER, meeting.interpreter_id, -rng.uniform(2, 6), rng.uniform(15, 32))
            )
        events = []
        for number, (side, user_id, joined, left) in enumerate(visits):
            peer = f"demo-{meeting.id}-{number}"
            events.append((at(joined), 0, side, user_id, peer))
            events.append((at(left), 1, side, user_id, peer))
        for moment, leaving, side, user_id, peer in sorted(events):
            if leaving:
                await video_room.record_leave(
                    self.session,
                    meeting_id=meeting.id,
                    peer_id=peer,
                    at=moment,
                    settings=self.settings,
                )
            else:
                await video_room.record_join(
                    self.session,
                    meeting_id=meeting.id,
                    user_id=user_id,
                    side=side,
                    peer_id=peer,
                    at=moment,
                )
        window = video_room.join_window(meeting, self.settings)
        closes = window.closes_at + timedelta(seconds=30)
        found = await video_room.decide(
            self.session, meeting.id, meeting.sequence, self.settings, closes
        )
        self.changed[meeting.id] = closes
        if found == Attendance.NO_SHOW_BUYER and stall.booth.fair_id == self.dispute_fair:
            buyer = await self.session.get(User, meeting.buyer_id)
            await video_room.claim(
                self.session,
                actor=buyer,
                meeting_id=meeting.id,
                status=Attendance.HELD,
                reason=HISTORY.dispute_reason,
                now=closes + timedelta(hours=3),
            )
            self.dispute_fair = None
        return Attendance(meeting.attendance) if meeting.attendance else plan

    # Outcomes -----------------------------------------------------------------------------

    async def follow(
        self, meeting: Meeting, stall: _Stall, share: float, key: tuple[object, ...]
    ) -> None:
        """The exhibitor's outcome history and the buyer's view of a held meeting, each
        recorded on its day if that day has come."""
        rng = _rng("outcome", *key)
        roll = rng.random()
        if roll < share:
            path = _weighted(rng, CONTRACT_PATHS)
            if rng.random() < HISTORY.fall_back_share:
                path = (*path, HISTORY.fall_back)
        elif roll < share + HISTORY.no_deal_share:
            path = _weighted(rng, NO_DEAL_PATHS)
        elif roll < share + HISTORY.no_deal_share + HISTORY.no_outcome_share:
            path = ()
        else:
            path = _weighted(rng, OPEN_PATHS)
        buyer = await self.session.get(User, meeting.buyer_id)
        assert buyer is not None
        local = HISTORY.currency.get(buyer.country or "", "JPY")
        currency = local if rng.random() < 0.65 else "JPY"
        category = demo_data.EXHIBITORS[stall.index].category
        low, high = HISTORY.deal_yen.get(category, HISTORY.default_deal_yen)
        deal = low * (high / low) ** rng.random()
        day = meeting.starts_at.astimezone(TOKYO).date()
        stage: Stage | None = None
        for number, (step, fewest, most) in enumerate(path):
            day += timedelta(days=rng.randint(fewest, most))
            moment = _at(day, rng)
            if moment > self.now:
                break
            fell_back = stage == Stage.CONTRACT
            value = None
            if step == Stage.CONTRACT:
                value = deal
            elif step == Stage.QUOTE:
                value = deal * rng.uniform(1.05, 1.3)
            elif step in (Stage.FOLLOW_UP, Stage.SAMPLE_SENT) and rng.random() < 0.3:
                value = deal * rng.uniform(0.8, 1.5)
            products = (
                rng.sample(stall.product_ids, k=min(len(stall.product_ids), rng.randint(1, 2)))
                if step in (Stage.SAMPLE_SENT, Stage.QUOTE, Stage.CONTRACT)
                else []
            )
            steps = HISTORY.next_steps.get(step)
            await outcomes.record_outcome(
                self.session,
                actor=stall.owner,
                meeting_id=meeting.id,
                stage=step,
                value=_money(value, currency) if value is not None else None,
                currency=currency if value is not None else None,
                product_ids=products,
                next_step=rng.choice(steps) if steps else "",
                next_step_on=day + timedelta(days=rng.randint(7, 21)) if steps else None,
                note=HISTORY.fall_back_note if fell_back else _note(rng, step, first=not number),
                occurred_on=day,
                now=moment,
            )
            stage = step
            self.changed[meeting.id] = moment
        if stage == Stage.CONTRACT:
            self.counts.contracts += 1
        rng = _rng("feedback", *key)
        if rng.random() < HISTORY.feedback_share:
            moment = meeting.ends_at + timedelta(hours=rng.uniform(0.2, 60))
            if moment <= self.now:
                view = self._view(rng, stage, path)
                feedback = await outcomes.give_feedback(
                    self.session,
                    actor=buyer,
                    meeting_id=meeting.id,
                    view=view,
                    note=rng.choice(HISTORY.feedback_notes),
                )
                feedback.updated_at = moment

    @staticmethod
    def _view(rng: random.Random, stage: Stage | None, path: Path) -> BuyerView:
        ending = path[-1][0] if path else None
        if ending == Stage.NO_DEAL:
            return BuyerView.NOT_USEFUL if rng.random() < 0.6 else BuyerView.USEFUL
        if ending == Stage.CONTRACT or stage == Stage.QUOTE:
            return BuyerView.USEFUL if rng.random() < 0.6 else BuyerView.WANTS_FOLLOW_UP
        return _weighted(
            rng,
            (
                (BuyerView.WANTS_FOLLOW_UP, 5),
                (BuyerView.USEFUL, 4),
                (BuyerView.NOT_USEFUL, 1),
            ),
        )

    # Booth visits -------------------------------------------------------------------------

    async def visits(self, fair: Fair, stalls: list[_Stall], meetings: list[Meeting]) -> None:
        """Who looked at the booths from the day booking opened to the fair's end: the
        buyers before they booked, and many visitors who did not book."""
        rng = _rng("visits", fair.slug)
        rows: dict[tuple[str, str, date], dict[str, Any]] = {}
        first, last = fair.booking_opens_on, fair.ends_on
        span = (last - first).days

        def add(stall: _Stall, key: str, user_id: str | None, day: date) -> None:
            if (stall.booth.id, key, day) in rows:
                return
            rows[(stall.booth.id, key, day)] = {
                "kind": VisitKind.BOOTH.value,
                "booth_id": stall.booth.id,
                "subject_id": stall.booth.id,
                "visitor_key": key,
                "user_id": user_id,
                "day": day,
                "at": _at(day, rng, 7, 23),
            }

        by_booth = {stall.booth.id: stall for stall in stalls}
        booked = Counter(m.booth_id for m in meetings)
        for meeting in meetings:
            stall = by_booth[meeting.booth_id]
            day = self.booked_at[meeting.id].astimezone(TOKYO).date()
            add(stall, f"u:{meeting.buyer_id}", meeting.buyer_id, day)
            if rng.random() < 0.4:
                add(stall, f"u:{meeting.buyer_id}", meeting.buyer_id, day - timedelta(days=1))
        for stall in stalls:
            for _, buyer in self.buyers:
                if rng.random() < 0.2:
                    day = first + timedelta(days=rng.randint(0, span))
                    add(stall, f"u:{buyer.id}", buyer.id, day)
            anonymous = booked[stall.booth.id] * rng.randint(4, 9) + rng.randint(8, 24)
            for number in range(anonymous):
                digest = hashlib.sha256(f"{fair.slug}/{stall.booth.id}/{number}".encode())
                # Most visits come in the last week before the fair and during it.
                back = min(span, int(rng.expovariate(1 / 6)))
                add(stall, f"h:{digest.hexdigest()[:40]}", None, last - timedelta(days=back))
        if rows:
            await self.session.execute(insert(Visit), list(rows.values()))
            # Every signed-in visitor here is a buyer; the rest were not signed in.
            await tally_booth_visits(
                self.session,
                Counter((b, day) for (b, _, day), row in rows.items() if row["user_id"]),
                anonymous=Counter(
                    (b, day) for (b, _, day), row in rows.items() if not row["user_id"]
                ),
            )
        self.counts.visits += len(rows)

    # A fair -------------------------------------------------------------------------------

    async def fair(self, fair: Fair, order: int, current: dict[int, Booth]) -> None:
        stalls = await self.stalls(fair, current)
        if not stalls:
            return
        booth_ids = [stall.booth.id for stall in stalls]
        has_meetings = await self.session.scalar(
            select(Meeting.id).where(Meeting.booth_id.in_(booth_ids)).limit(1)
        )
        meetings: list[Meeting] = []
        if not has_meetings:
            meetings = await self.meetings(fair, stalls, order)
            by_booth = {stall.booth.id: stall for stall in stalls}
            share = _rng("outcomes", fair.slug).uniform(*HISTORY.contract_share)
            for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.id)):
                stall = by_booth[meeting.booth_id]
                # One seed per meeting (a booth has one meeting at a time): what happens to
                # one does not shift the others when ``now`` cuts a history short.
                key = (fair.slug, stall.index, meeting.starts_at.isoformat())
                if await self.attend(meeting, stall, _rng("room", *key)) == Attendance.HELD:
                    self.counts.held += 1
                    await self.follow(meeting, stall, share, key)
                self._stamp(meeting, self.changed[meeting.id])
        has_visits = await self.session.scalar(
            select(Visit.id).where(Visit.booth_id.in_(booth_ids)).limit(1)
        )
        if not has_visits:
            await self.visits(fair, stalls, meetings)
        await self.session.flush()


async def load_history(
    session: AsyncSession,
    *,
    organizer: User,
    current: Fair | None,
    now: datetime,
    settings: Settings | None = None,
) -> dict[str, int]:
    """The past year's monthly fairs, each with booths, meetings and what came of them, where
    missing; their booths show the pictures of the ``current`` fair's booths. Returns what
    was added: booths, meetings, held meetings, contracts, visits."""
    history = _History(session, now, settings or Settings())
    await history.people(organizer)
    if not history.exhibitors or not history.buyers:
        return history.counts.as_dict()
    sources: dict[int, Booth] = {}
    if current is not None:
        by_owner = {
            booth.owner_id: booth
            for booth in (
                await session.scalars(select(Booth).where(Booth.fair_id == current.id))
            ).all()
        }
        sources = {i: by_owner[u.id] for i, u in history.exhibitors.items() if u.id in by_owner}
    first, today = past_fair_window(now)
    over = (
        await session.scalars(
            select(Fair)
            .where(Fair.starts_on >= first, Fair.ends_on < today, Fair.status == "published")
            .order_by(Fair.starts_on)
        )
    ).all()
    fairs = [fair for fair in over if is_monthly(fair)]  # not the open days of earlier loads
    queued_before = await session.scalar(select(func.max(OutboxJob.id))) or 0
    history.dispute_fair = fairs[-1].id if fairs else None
    for order, fair in enumerate(fairs):
        await history.fair(fair, order, sources)
    # The mails, reminders and decisions of those days went out back then: only the
    # outcome questions still ahead stay queued.
    await session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id > queued_before,
            OutboxJob.dispatched_at.is_(None),
            or_(OutboxJob.job == "send_meeting_mail", OutboxJob.available_at <= now),
        )
        .values(dispatched_at=now)
    )
    await session.flush()
    return history.counts.as_dict()
