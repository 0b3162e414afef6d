"""Free slots and bookings.

No double booking under any concurrency: every active meeting holds 5-minute cells (the
booth's over the meeting and its buffer, the buyer's and the interpreter's over the meeting)
whose primary key the database enforces. The availability check runs first so that the
usual refusal has a reason; the holds decide a race. On SQLite every transaction is BEGIN
IMMEDIATE, so a booking's check and insert run alone; on PostgreSQL the second of two
racing inserts waits for the first and then fails on the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import can_manage, load_booth
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.config import Settings
from fair.errors import Forbidden
from fair.fairs.admission import check_admitted
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.i18n import lazy
from fair.ratelimit import count_act
from meetings import events
from meetings import slots as slot_maths
from meetings.errors import BadTime, NotBookable, SlotTaken
from meetings.hours import availability_of, get_hours
from meetings.jobs import (
    queue_attendance_decision,
    queue_mails,
    queue_reminders,
)
from meetings.models import (
    CELL_MINUTES,
    BookingMode,
    BoothHours,
    Meeting,
    MeetingHold,
    MeetingSource,
    MeetingStatus,
)
from meetings.slots import Availability, Busy, LocalTimeError, Refusal

REFUSALS = {
    Refusal.OFF_GRID: (BadTime, lazy("This is not one of the exhibitor's meeting times.")),
    Refusal.PAST: (NotBookable, lazy("This time has already passed.")),
    Refusal.NOTICE: (
        NotBookable,
        lazy("This exhibitor needs at least %(hours)s hours' notice before a meeting."),
    ),
    Refusal.HORIZON: (NotBookable, lazy("This time is too far ahead to book yet.")),
    Refusal.DAY_FULL: (NotBookable, lazy("The exhibitor's meetings for that day are full.")),
    Refusal.TAKEN: (SlotTaken, None),
}


# Slots ------------------------------------------------------------------------------------


def _active(now: datetime) -> object:
    return (Meeting.status == MeetingStatus.CONFIRMED) | (
        (Meeting.status == MeetingStatus.REQUESTED) & (Meeting.expires_at > now)
    )


async def busy_at_booth(
    session: AsyncSession,
    booth_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: str | None = None,
) -> list[Busy]:
    wider = timedelta(days=2)
    whose = Meeting.booth_id == booth_id
    return await _busy(session, whose, start - wider, end + wider, now, ignore=ignore)


async def _busy_person(
    session: AsyncSession,
    user_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: str | None = None,
) -> list[Busy]:
    whose = or_(Meeting.buyer_id == user_id, Meeting.interpreter_id == user_id)
    return await _busy(session, whose, start, end, now, ignore=ignore)


async def _busy(
    session: AsyncSession,
    whose: ColumnElement[bool],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: str | None,
) -> list[Busy]:
    """The active meetings matching ``whose`` that overlap start–end, but ``ignore``."""
    query = select(Meeting.id, Meeting.starts_at, Meeting.ends_at).where(
        whose, _active(now), Meeting.starts_at < end, Meeting.ends_at > start
    )
    rows = (await session.execute(query)).all()
    return [Busy(s, e) for meeting_id, s, e in rows if meeting_id != ignore]


@dataclass(frozen=True)
class Offer:
    booth: Booth
    fair: Fair
    hours: BoothHours
    availability: Availability
    slots: list[slot_maths.Slot]
    exhibitor_country: str  # for the exhibitor's public holidays


async def offer(
    session: AsyncSession,
    *,
    booth_id: str,
    viewer: User | None,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    ignore: str | None = None,
) -> Offer:
    """The free slots of a booth between two instants, less the times the viewer is
    already taken (``ignore``: the meeting being moved)."""
    now = now or clock.now()
    booth = await load_booth(session, booth_id, viewer=viewer)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    hours = await get_hours(session, booth)
    availability = availability_of(hours, fair)
    busy = await busy_at_booth(session, booth.id, start, end, now)
    free = slot_maths.free_slots(availability, start=start, end=end, now=now, busy=busy)
    if phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        free = []
    if viewer is not None:
        # Times the viewer is already in a meeting (anywhere) would only be refused.
        own = await _busy_person(session, viewer.id, start, end, now, ignore=ignore)
        free = [s for s in free if not any(s.start < b.end and b.start < s.end for b in own)]
    owner = await session.get(User, booth.owner_id)
    country = owner.country if owner and owner.country else "JP"
    return Offer(booth, fair, hours, availability, free, country)


def fair_window(fair: Fair) -> tuple[datetime, datetime]:
    """From the day before the fair to the day after it, wide enough for any booth's zone."""
    zone = ZoneInfo(fair.timezone)
    first = datetime.combine(fair.starts_on, time.min, tzinfo=zone) - timedelta(days=1)
    last = datetime.combine(fair.ends_on, time.min, tzinfo=zone) + timedelta(days=2)
    return first.astimezone(UTC), last.astimezone(UTC)


async def next_free_slots(
    session: AsyncSession, fair: Fair, booth_ids: list[str], now: datetime | None = None
) -> dict[str, slot_maths.Slot]:
    """The first bookable slot of each booth (for the directory's cards), in two queries."""
    now = now or clock.now()
    if not booth_ids or phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        return {}
    start, end = fair_window(fair)
    start = max(start, now)
    if start >= end:
        return {}
    hours = (
        await session.scalars(select(BoothHours).where(BoothHours.booth_id.in_(booth_ids)))
    ).all()
    taken = await session.execute(
        select(Meeting.booth_id, Meeting.starts_at, Meeting.ends_at).where(
            Meeting.booth_id.in_(booth_ids), _active(now), Meeting.ends_at > now
        )
    )
    busy: dict[str, list[Busy]] = {}
    for booth_id, starts_at, ends_at in taken.all():
        busy.setdefault(booth_id, []).append(Busy(starts_at, ends_at))
    found = {}
    for row in hours:
        if not row.weekly and not row.exceptions:
            continue
        free = slot_maths.free_slots(
            availability_of(row, fair),
            start=start,
            end=end,
            now=now,
            busy=busy.get(row.booth_id, []),
        )
        if free:
            found[row.booth_id] = free[0]
    return found


def resolve_start(start: datetime, timezone: str | None) -> datetime:
    """A requested start as a UTC instant: with its offset, or read in ``timezone``."""
    if not 2000 <= start.year <= 9000:  # clear of date arithmetic's edges; no fair is there
        raise BadTime(lazy("This is not one of the exhibitor's meeting times."), field="start")
    if start.tzinfo is not None:
        return start.astimezone(UTC)
    if timezone is None:
        raise BadTime(lazy("Give the time with its UTC offset, or a time zone."), field="start")
    try:
        return slot_maths.resolve_local(start, timezone)
    except LocalTimeError as exc:
        message = (
            lazy("This local time happens twice on that day (clocks go back). Give its offset.")
            if str(exc) == "ambiguous"
            else lazy("This local time does not exist on that day (clocks go forward).")
        )
        raise BadTime(message, field="start") from None


# Bookings ---------------------------------------------------------------------------------


def _cells(start: datetime, end: datetime) -> list[datetime]:
    step = timedelta(minutes=CELL_MINUTES)
    first = start - timedelta(
        minutes=start.minute % CELL_MINUTES, seconds=start.second, microseconds=start.microsecond
    )
    cells, moment = [], first
    while moment < end:
        cells.append(moment)
        moment += step
    return cells


def holds_for(meeting: Meeting, buffer_minutes: int) -> list[MeetingHold]:
    booth_end = meeting.ends_at + timedelta(minutes=buffer_minutes)
    holds = [
        MeetingHold(resource=f"booth:{meeting.booth_id}", cell=cell, meeting_id=meeting.id)
        for cell in _cells(meeting.starts_at, booth_end)
    ]
    for person in (meeting.buyer_id, meeting.interpreter_id):
        if person:
            holds += [
                MeetingHold(resource=f"user:{person}", cell=cell, meeting_id=meeting.id)
                for cell in _cells(meeting.starts_at, meeting.ends_at)
            ]
    return holds


async def _hold(session: AsyncSession, meeting: Meeting, buffer_minutes: int) -> None:
    """Write the meeting's holds; a cell already held means someone was faster."""
    try:
        async with session.begin_nested():
            session.add_all(holds_for(meeting, buffer_minutes))
            await session.flush()
    except IntegrityError:
        raise SlotTaken() from None


async def rehold(session: AsyncSession, meeting: Meeting, buffer_minutes: int) -> None:
    """After a meeting's time or people change: drop its holds, count a new invite
    version, hold again (a cell someone else holds raises SlotTaken)."""
    await session.execute(delete(MeetingHold).where(MeetingHold.meeting_id == meeting.id))
    meeting.sequence += 1
    await session.flush()
    await _hold(session, meeting, buffer_minutes)


async def announce(
    session: AsyncSession, meeting: Meeting, booth: Booth, event: str, now: datetime
) -> None:
    """Mail everyone about the change; a confirmed meeting gets reminders for its time."""
    await queue_mails(session, meeting, booth, event)
    if meeting.status == MeetingStatus.CONFIRMED:
        await queue_reminders(session, meeting, booth, now)
        await queue_attendance_decision(session, meeting)


async def expire_requests(session: AsyncSession, now: datetime, booth_id: str | None = None) -> int:
    """Requests nobody answered in time lose their hold."""
    query = select(Meeting.id).where(
        Meeting.status == MeetingStatus.REQUESTED, Meeting.expires_at <= now
    )
    if booth_id:
        query = query.where(Meeting.booth_id == booth_id)
    stale = list((await session.scalars(query)).all())
    if stale:
        await session.execute(delete(MeetingHold).where(MeetingHold.meeting_id.in_(stale)))
        await session.execute(
            update(Meeting)
            .where(Meeting.id.in_(stale))
            .values(status=MeetingStatus.EXPIRED, updated_at=now)
        )
    return len(stale)


def refuse(reason: Refusal, hours: BoothHours) -> None:
    error, message = REFUSALS[reason]
    if reason == Refusal.NOTICE:
        raise error(message, field="start", hours=round(hours.min_notice_minutes / 60, 1))
    raise error(message, field="start")


async def check_buyer(
    session: AsyncSession,
    buyer: User,
    booth: Booth,
    hours: BoothHours,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore: str | None = None,
) -> None:
    mine = (
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.buyer_id == buyer.id, Meeting.booth_id == booth.id, _active(now))
    )
    if ignore:
        mine = mine.where(Meeting.id != ignore)
    if (await session.scalar(mine) or 0) >= hours.max_per_buyer:
        raise NotBookable(
            lazy("You already have %(count)s meetings with this exhibitor."),
            count=hours.max_per_buyer,
        )
    clash = select(Meeting.id).where(
        or_(Meeting.buyer_id == buyer.id, Meeting.interpreter_id == buyer.id),
        _active(now),
        Meeting.starts_at < end,
        Meeting.ends_at > start,
    )
    if ignore:
        clash = clash.where(Meeting.id != ignore)
    if await session.scalar(clash.limit(1)):
        raise NotBookable(lazy("You already have another meeting at this time."), field="start")


async def _bookable(
    session: AsyncSession, actor: User | None, booth_id: str, now: datetime
) -> tuple[Booth, User, Fair]:
    """The booth, the buyer and the fair of a booking the actor may make now."""
    user = require_user(actor)
    booth = await load_booth(session, booth_id, viewer=user)
    if can_manage(user, booth):
        raise Forbidden(lazy("You cannot book a meeting at your own booth."))
    buyer = require_verified(require_role(user, Role.BUYER))
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    if phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        raise NotBookable(lazy("Booking for this fair is not open."))
    await check_admitted(session, fair, buyer)
    return booth, buyer, fair


async def _slot(
    session: AsyncSession,
    buyer: User,
    booth: Booth,
    fair: Fair,
    start: datetime,
    timezone: str | None,
    now: datetime,
) -> tuple[BoothHours, datetime, datetime]:
    """The booth's hours and the UTC start and end of a slot the buyer may book, or the
    refusal with its reason."""
    hours = await get_hours(session, booth)
    availability = availability_of(hours, fair)
    starts_at = resolve_start(start, timezone)
    await expire_requests(session, now)  # everywhere: stale holds of this buyer too
    busy = await busy_at_booth(session, booth.id, starts_at, starts_at, now)
    reason = slot_maths.refusal(availability, slot_start=starts_at, now=now, busy=busy)
    if reason is not None:
        refuse(reason, hours)
    ends_at = starts_at + availability.slot
    await check_buyer(session, buyer, booth, hours, starts_at, ends_at, now)
    return hours, starts_at, ends_at


async def check_slot(
    session: AsyncSession,
    *,
    actor: User | None,
    booth_id: str,
    start: datetime,
    timezone: str | None = None,
    now: datetime | None = None,
) -> datetime:
    """The UTC start of a slot the buyer could book now, without booking it (a proposal's
    time, picked before the other side has answered); raises what ``book`` would."""
    now = now or clock.now()
    booth, buyer, fair = await _bookable(session, actor, booth_id, now)
    _, starts_at, _ = await _slot(session, buyer, booth, fair, start, timezone, now)
    return starts_at


async def book(
    session: AsyncSession,
    *,
    actor: User | None,
    booth_id: str,
    start: datetime,
    timezone: str | None = None,
    interpreter_language: str | None = None,
    note: str = "",
    now: datetime | None = None,
    limits: Settings | None = None,
    address: str = "unknown",
    source: MeetingSource = MeetingSource.SELF,
    confirmed: bool = False,
) -> Meeting:
    """Book (or request) a slot. With ``limits`` (the app's settings; the pages and the
    API always give them), bookings per buyer account and per client ``address`` are
    rate-limited, against throw-away accounts taking a booth's calendar. ``source`` says
    how the meeting came about; ``confirmed``: the exhibitor agreed already (a proposal
    both sides accepted), so a booth that takes requests does not ask again."""
    now = now or clock.now()
    booth, buyer, fair = await _bookable(session, actor, booth_id, now)
    if limits is not None:
        window = timedelta(minutes=limits.abuse_window_minutes)
        for kind, subject, limit in (
            ("book-account", buyer.id, limits.bookings_per_account),
            ("book-address", address, limits.bookings_per_address),
        ):
            await count_act(session, kind, subject, limit=limit, window=window, now=now)
    hours, starts_at, ends_at = await _slot(session, buyer, booth, fair, start, timezone, now)
    requested = hours.mode == BookingMode.REQUEST and not confirmed
    meeting = Meeting(
        booth_id=booth.id,
        buyer_id=buyer.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=MeetingStatus.REQUESTED if requested else MeetingStatus.CONFIRMED,
        expires_at=min(now + timedelta(hours=hours.request_hours), starts_at)
        if requested
        else None,
        buyer_timezone=timezone or buyer.timezone,
        interpreter_language=interpreter_language,
        note=note,
        by_request=requested,
        confirmed_at=None if requested else now,
        source=source,
        host_id=booth.owner_id,  # until a member hands it to a colleague (meetings.hosting)
    )
    session.add(meeting)
    await session.flush()
    await _hold(session, meeting, hours.buffer_minutes)
    await announce(session, meeting, booth, "requested" if requested else "booked", now)
    if not requested:
        # A request is booked when the exhibitor confirms it (meetings.changes).
        await events.publish(session, "meeting.booked", meeting, booth)
    return meeting
