"""Free slots and bookings.

No double booking under any concurrency: every active meeting holds 5-minute cells (the
booth's over the meeting and its buffer, the buyer's and the interpreter's over the meeting)
whose primary key the database enforces. The availability check runs first so that the
usual refusal has a reason; the holds decide a race. On SQLite every transaction is BEGIN
IMMEDIATE, so a booking's check and insert run alone; on PostgreSQL the second of two
racing inserts waits for the first and then writes nothing for a cell it holds (ON
CONFLICT DO NOTHING), which refuses the second booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    delete,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload

from booths.errors import BoothNotFound
from booths.models import Booth
from booths.service import can_manage, can_see
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.config import Settings
from fair.db import insert_rows
from fair.errors import Forbidden
from fair.fairs.admission import check_admitted
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.i18n import lazy
from fair.ratelimit import count_acts
from meetings import events
from meetings import slots as slot_maths
from meetings.errors import BadTime, NotBookable, SlotTaken
from meetings.hours import availability_of, published
from meetings.jobs import queue_announcement
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


def _active(now: datetime | BindParameter[Any]) -> ColumnElement[bool]:
    return (Meeting.status == MeetingStatus.CONFIRMED) | (
        (Meeting.status == MeetingStatus.REQUESTED) & (Meeting.expires_at > now)
    )


@dataclass(frozen=True)
class Offer:
    booth: Booth
    fair: Fair
    hours: BoothHours
    availability: Availability
    slots: list[slot_maths.Slot]
    exhibitor_country: str  # for the exhibitor's public holidays


def _offered(*, tags: bool) -> Select[Any]:
    """The booth with its fair, its hours and its exhibitor's country, in one statement;
    its tags joined in (the booking page names its languages) or never loaded."""
    return (
        select(Booth, Fair, BoothHours, User.country)
        .join(Fair, Fair.id == Booth.fair_id)
        .outerjoin(BoothHours, BoothHours.booth_id == Booth.id)
        .outerjoin(User, User.id == Booth.owner_id)
        .where(Booth.id == bindparam("booth_id"))
        .options(joinedload(Booth.tags) if tags else raiseload(Booth.tags))
    )


def _busy_part(name: str, whose: ColumnElement[bool], start: str, end: str) -> Select[Any]:
    return select(
        literal(name).label("part"), Meeting.id, Meeting.starts_at, Meeting.ends_at
    ).where(
        whose,
        _active(bindparam("now")),
        Meeting.starts_at < bindparam(end),
        Meeting.ends_at > bindparam(start),
    )


_BOOTH_BUSY = _busy_part(
    "booth", Meeting.booth_id == bindparam("booth_id"), "wide_start", "wide_end"
)
_PERSON_BUSY = _busy_part(
    "person",
    or_(Meeting.buyer_id == bindparam("user_id"), Meeting.interpreter_id == bindparam("user_id")),
    "start",
    "end",
)
# The four reads of ``taken`` as one UNION ALL, built once (built per booking, building and
# hashing it took 0.7 ms of the booking's CPU): requests nobody answered in time, the booth's
# busy times within two days of the slot, the buyer's meetings at the booth, the buyer's
# clashes (meetings they attend or interpret at the slot's time).
_TAKEN = union_all(
    select(literal("stale").label("part"), Meeting.id, Meeting.starts_at, Meeting.ends_at).where(
        Meeting.status == MeetingStatus.REQUESTED, Meeting.expires_at <= bindparam("now")
    ),
    _BOOTH_BUSY,
    select(literal("here").label("part"), Meeting.id, Meeting.starts_at, Meeting.ends_at).where(
        Meeting.buyer_id == bindparam("user_id"),
        Meeting.booth_id == bindparam("booth_id"),
        _active(bindparam("now")),
    ),
    _PERSON_BUSY,
)

# The slots API's statements, built once: SQLAlchemy keeps a statement's cache key on the
# statement, so a prebuilt one is neither built nor hashed again per request.
_OFFERED = {tags: _offered(tags=tags) for tags in (False, True)}
# The booth's busy times are read this much wider than the times asked about: a day's
# meeting limit counts the booth's whole day, in its zone.
BUSY_WIDER = timedelta(days=2)
# The booth's busy times (``BUSY_WIDER``) and, for a signed-in viewer, their own meetings
# anywhere (as buyer or interpreter).
_BUSY = {False: _BOOTH_BUSY, True: union_all(_BOOTH_BUSY, _PERSON_BUSY)}


async def offer(
    session: AsyncSession,
    *,
    booth_id: str,
    viewer: User | None,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    ignore: str | None = None,
    tags: bool = False,
) -> Offer:
    """The free slots of a booth between two instants, less the times the viewer is
    already taken (``ignore``: the meeting being moved). Two statements: the booth with
    its fair, hours and exhibitor's country; then, while its fair books, the meetings in
    the way. ``tags``: load the booth's tags too (a page that shows them)."""
    now = now or clock.now()
    if len(booth_id) > 32:
        raise BoothNotFound()
    found = (await session.execute(_OFFERED[tags], {"booth_id": booth_id})).unique().first()
    if found is None or not can_see(viewer, found[0], found[1]):
        raise BoothNotFound()
    booth, fair, hours, country = found
    hours = published(hours)
    availability = availability_of(hours, fair)
    free: list[slot_maths.Slot] = []
    if phase_of(fair, now) in {Phase.BOOKING, Phase.LIVE}:
        values = {"booth_id": booth.id, "now": now, "wide_start": start - BUSY_WIDER}
        values |= {"wide_end": end + BUSY_WIDER, "start": start, "end": end}
        if viewer is not None:
            values["user_id"] = viewer.id
        rows = (await session.execute(_BUSY[viewer is not None], values)).all()
        busy = [Busy(s, e) for part, _, s, e in rows if part == "booth"]
        # Times the viewer is already in a meeting (anywhere) would only be refused.
        own = [
            Busy(s, e)
            for part, meeting_id, s, e in rows
            if part == "person" and meeting_id != ignore
        ]
        free = slot_maths.free_slots(availability, start=start, end=end, now=now, busy=busy)
        if own:
            free = [s for s in free if not any(s.start < b.end and b.start < s.end for b in own)]
    return Offer(booth, fair, hours, availability, free, country or "JP")


def fair_window(fair: Fair) -> tuple[datetime, datetime]:
    """From the day before the fair to the day after it, wide enough for any booth's zone."""
    zone = ZoneInfo(fair.timezone)
    first = datetime.combine(fair.starts_on, time.min, tzinfo=zone) - timedelta(days=1)
    last = datetime.combine(fair.ends_on, time.min, tzinfo=zone) + timedelta(days=2)
    return first.astimezone(UTC), last.astimezone(UTC)


@cache
def _next_free_statements() -> tuple[Select[Any], Select[Any]]:
    """The hours (as rows: only read) and the active meetings of the booths ``:booths`` at
    ``:now`` that end after ``:since``; built once (see booths.directory on statements
    built per request)."""
    booths, now = bindparam("booths", expanding=True), bindparam("now")
    hours = select(*BoothHours.__table__.c).where(BoothHours.booth_id.in_(booths))
    taken = select(Meeting.booth_id, Meeting.starts_at, Meeting.ends_at).where(
        Meeting.booth_id.in_(booths), _active(now), Meeting.ends_at > bindparam("since")
    )
    return hours, taken


async def next_free_slots(
    session: AsyncSession, fair: Fair, booth_ids: list[str], now: datetime | None = None
) -> dict[str, slot_maths.Slot]:
    """The first bookable slot of each booth (for the directory's cards), in two queries
    (one when no booth has hours). Read afresh for every page, so a booking, a cancel or
    new hours show on the next one; what makes it cheap is the slot maths (each day's grid
    is kept, see ``slots._day_grid``)."""
    now = now or clock.now()
    if not booth_ids or phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        return {}
    start, end = fair_window(fair)
    start = max(start, now)
    if start >= end:
        return {}
    hours_of, taken_at = _next_free_statements()
    # The meetings from two days back, as the slots API reads them: a day's meeting limit
    # counts the booth's whole day in its zone, those of the day already over too.
    values: dict[str, Any] = {"booths": list(booth_ids), "now": now, "since": start - BUSY_WIDER}
    hours = [row for row in await session.execute(hours_of, values) if row.weekly or row.exceptions]
    if not hours:
        return {}
    values["booths"] = [row.booth_id for row in hours]
    busy: dict[str, list[Busy]] = {}
    for booth_id, starts_at, ends_at in (await session.execute(taken_at, values)).all():
        busy.setdefault(booth_id, []).append(Busy(starts_at, ends_at))
    found = {}
    for row in hours:
        first = slot_maths.first_free_slot(
            availability_of(row, fair),
            start=start,
            end=end,
            now=now,
            busy=busy.get(row.booth_id, []),
        )
        if first is not None:
            found[row.booth_id] = first
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
    """Write the meeting's holds in one statement; a cell already held means someone was
    faster. ON CONFLICT DO NOTHING skips a held cell (on PostgreSQL after waiting for the
    transaction that holds it to end) instead of failing the transaction, so no savepoint
    is needed: fewer rows than cells written is the refusal, and the caller rolls back."""
    cells = [
        {"resource": hold.resource, "cell": hold.cell, "meeting_id": hold.meeting_id}
        for hold in holds_for(meeting, buffer_minutes)
    ]
    written = await insert_rows(
        session, MeetingHold.__table__, cells, skip_taken=("resource", "cell")
    )
    if written < len(cells):
        raise SlotTaken()


_DROP_HOLDS = delete(MeetingHold).where(MeetingHold.meeting_id == bindparam("meeting_id"))


async def drop_holds(session: AsyncSession, meeting: Meeting) -> None:
    """The meeting holds no cell any more (cancelled, declined, or about to hold others)."""
    await session.execute(_DROP_HOLDS, {"meeting_id": meeting.id})


async def rehold(session: AsyncSession, meeting: Meeting, buffer_minutes: int) -> None:
    """After a meeting's time or people change: drop its holds, count a new invite
    version, hold again (a cell someone else holds raises SlotTaken)."""
    await drop_holds(session, meeting)
    meeting.sequence += 1
    await session.flush()
    await _hold(session, meeting, buffer_minutes)


async def announce(
    session: AsyncSession, meeting: Meeting, booth: Booth, event: str, now: datetime
) -> None:
    """Mail everyone about the change; a confirmed meeting gets reminders for its time."""
    await queue_announcement(session, meeting, booth, event, now)


async def expire(session: AsyncSession, stale: list[str], now: datetime) -> None:
    """Requests nobody answered in time (``Taken.stale``) lose their hold."""
    if stale:
        await session.execute(delete(MeetingHold).where(MeetingHold.meeting_id.in_(stale)))
        await session.execute(
            update(Meeting)
            .where(Meeting.id.in_(stale))
            .values(status=MeetingStatus.EXPIRED, updated_at=now)
        )


def refuse(reason: Refusal, hours: BoothHours) -> None:
    error, message = REFUSALS[reason]
    if reason == Refusal.NOTICE:
        raise error(message, field="start", hours=round(hours.min_notice_minutes / 60, 1))
    raise error(message, field="start")


@dataclass(frozen=True)
class Taken:
    """What a booking's checks need of the meetings, read in one statement (``taken``)."""

    stale: list[str]  # requests nobody answered in time, anywhere: their holds must go
    at_booth: list[Busy]  # the booth's active meetings within two days of the slot
    buyer_here: int  # the buyer's active meetings at this booth
    buyer_clash: bool  # the buyer has an active meeting (or interprets one) in the slot


async def taken(
    session: AsyncSession,
    *,
    booth_id: str,
    buyer_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore: str | None = None,
) -> Taken:
    """The meetings in the way of booking ``booth_id`` from ``start`` to ``end`` for
    ``buyer_id`` (``ignore``: the meeting being moved), with the requests nobody answered
    in time, anywhere, to ``expire`` first: the four reads a booking's checks need (those
    requests, the booth's busy times, the buyer's meetings at the booth, the buyer's
    clashes) as one UNION ALL, each part planned on its own."""
    values = {
        "now": now,
        "booth_id": booth_id,
        "user_id": buyer_id,
        "wide_start": start - BUSY_WIDER,
        "wide_end": start + BUSY_WIDER,
        "start": start,
        "end": end,
    }
    rows: dict[str, list[Busy]] = {"stale": [], "booth": [], "here": [], "person": []}
    stale = []
    for name, meeting_id, starts_at, ends_at in (await session.execute(_TAKEN, values)).all():
        if name == "stale":
            stale.append(meeting_id)
        elif meeting_id != ignore:
            rows[name].append(Busy(starts_at, ends_at))
    return Taken(stale, rows["booth"], len(rows["here"]), bool(rows["person"]))


def check_buyer(taken: Taken, hours: BoothHours) -> None:
    """The buyer's own limits: the booth's meetings per buyer, and no two meetings at once."""
    if taken.buyer_here >= hours.max_per_buyer:
        raise NotBookable(
            lazy("You already have %(count)s meetings with this exhibitor."),
            count=hours.max_per_buyer,
        )
    if taken.buyer_clash:
        raise NotBookable(lazy("You already have another meeting at this time."), field="start")


# Built once too (0.2 ms per booking built and hashed).
_BOOTH_FAIR_HOURS = (
    select(Booth, Fair, BoothHours)
    .join(Fair, Fair.id == Booth.fair_id)
    .outerjoin(BoothHours, BoothHours.booth_id == Booth.id)
    .where(Booth.id == bindparam("booth_id"))
    .options(raiseload(Booth.tags))
)


async def _booth_fair_hours(
    session: AsyncSession, booth_id: str, viewer: User
) -> tuple[Booth, Fair, BoothHours | None]:
    """``load_booth``'s booth (not found unless the viewer may see it), with its fair and
    its hours, in one statement. The booth's tags, which booking never reads, are not
    loaded (and would raise if read)."""
    if len(booth_id) > 32:
        raise BoothNotFound()
    row = (await session.execute(_BOOTH_FAIR_HOURS, {"booth_id": booth_id})).first()
    if row is None or not can_see(viewer, row[0], row[1]):
        raise BoothNotFound()
    booth, fair, hours = row
    return booth, fair, hours


async def _bookable(
    session: AsyncSession, actor: User | None, booth_id: str, now: datetime
) -> tuple[Booth, User, Fair, BoothHours | None]:
    """The booth, the buyer, the fair and the booth's hours of a booking the actor may
    make now."""
    user = require_user(actor)
    booth, fair, hours = await _booth_fair_hours(session, booth_id, user)
    if can_manage(user, booth):
        raise Forbidden(lazy("You cannot book a meeting at your own booth."))
    buyer = require_verified(require_role(user, Role.BUYER))
    if phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        raise NotBookable(lazy("Booking for this fair is not open."))
    await check_admitted(session, fair, buyer)
    return booth, buyer, fair, hours


async def _slot(
    session: AsyncSession,
    buyer: User,
    booth: Booth,
    fair: Fair,
    hours: BoothHours | None,
    start: datetime,
    timezone: str | None,
    now: datetime,
) -> tuple[BoothHours, datetime, datetime]:
    """The booth's hours and the UTC start and end of a slot the buyer may book, or the
    refusal with its reason."""
    hours = published(hours)
    availability = availability_of(hours, fair)
    starts_at = resolve_start(start, timezone)
    ends_at = starts_at + availability.slot
    found = await taken(
        session, booth_id=booth.id, buyer_id=buyer.id, start=starts_at, end=ends_at, now=now
    )
    await expire(session, found.stale, now)  # everywhere: stale holds of this buyer too
    reason = slot_maths.refusal(availability, slot_start=starts_at, now=now, busy=found.at_booth)
    if reason is not None:
        refuse(reason, hours)
    check_buyer(found, hours)
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
    booth, buyer, fair, hours = await _bookable(session, actor, booth_id, now)
    _, starts_at, _ = await _slot(session, buyer, booth, fair, hours, start, timezone, now)
    return starts_at


@dataclass(frozen=True)
class Booked:
    meeting: Meeting
    hours: BoothHours  # the API's answer gives the meeting's time in the booth's zone too


async def book(session: AsyncSession, **options: Any) -> Meeting:
    """The meeting ``booked`` makes (with its arguments)."""
    return (await booked(session, **options)).meeting


async def booked(
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
) -> Booked:
    """Book (or request) a slot: the meeting, and the booth's hours it was booked by. With
    ``limits`` (the app's settings; the pages and the API always give them), bookings per
    buyer account and per client ``address`` are rate-limited, against throw-away accounts
    taking a booth's calendar. ``source`` says how the meeting came about; ``confirmed``:
    the exhibitor agreed already (a proposal both sides accepted), so a booth that takes
    requests does not ask again.

    On PostgreSQL a booking sends nine statements (``tests/meetings/
    test_booking_statements.py`` lists them): the signed-in account (the middleware), the
    booth with its fair and hours, the rate limits' marks, the meetings in the way, the
    new marks, the meeting, its holds, its jobs, the webhooks' endpoints."""
    now = now or clock.now()
    booth, buyer, fair, hours = await _bookable(session, actor, booth_id, now)
    if limits is not None:
        acts = [
            ("book-account", buyer.id, limits.bookings_per_account),
            ("book-address", address, limits.bookings_per_address),
        ]
        window = timedelta(minutes=limits.abuse_window_minutes)
        await count_acts(session, acts, window=window, now=now)
    hours, starts_at, ends_at = await _slot(
        session, buyer, booth, fair, hours, start, timezone, now
    )
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
    return Booked(meeting, hours)
