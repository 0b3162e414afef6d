"""Slot maths: which meeting slots a booth offers, in any viewer's zone. Pure; no I/O.

Rules that keep it right on every daylight-saving day:
- The grid is anchored in the booth's zone: each opening interval (a weekly rule or an
  exception's extra hours on a date) is turned into UTC once, at its edges, and slots step
  through it in UTC. A local ``datetime + timedelta`` is wall-clock arithmetic and is wrong
  across a DST change, so it never happens here.
- Slots are keyed by their UTC instant; a viewer's zone is applied only to label them, so
  a label never names a local time that does not exist and a repeated hour gives two
  distinct labels (with their offsets), never a duplicate.
- A local time written without an offset is accepted only when it names exactly one
  instant in its zone (``resolve_local``).
- The list of free slots and the check of one booking are the same function, so a listed
  slot can be booked and an unlisted one cannot.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

SLOT_LENGTHS = (15, 30, 45, 60)


@lru_cache(maxsize=1024)
def zone_of(name: str) -> ZoneInfo:
    """The zone of a name, looked up once per process (the slot maths asks for a handful of
    zones hundreds of times a request). A name that is no zone raises, and is not kept."""
    return ZoneInfo(name)


class LocalTimeError(ValueError):
    """A wall-clock time that names no instant (a DST gap) or two (a repeated hour)."""


@dataclass(frozen=True)
class Hours:
    """Opening hours on one ISO weekday (1 = Monday), in the booth's zone."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class DayChange:
    """A date closed altogether, or extra opening hours on a date."""

    day: date
    closed: bool = False
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class Availability:
    timezone: str
    weekly: tuple[Hours, ...]
    changes: tuple[DayChange, ...] = ()
    slot_minutes: int = 30
    buffer_minutes: int = 0
    min_notice_minutes: int = 12 * 60
    max_per_day: int | None = None
    first_day: date | None = None  # the fair's dates: nothing is offered outside them
    last_day: date | None = None
    horizon_days: int | None = None  # how far ahead, counted in the booth's days

    # Worked out once per availability (the grid and the rules ask for them per slot); a
    # frozen dataclass's cached_property writes past its __setattr__, and equality and
    # hashing go by the fields alone.
    @cached_property
    def zone(self) -> ZoneInfo:
        return zone_of(self.timezone)

    @cached_property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @cached_property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


@dataclass(frozen=True)
class Busy:
    """Time already taken at the booth (a confirmed meeting or an unexpired request)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, order=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    tags: frozenset[str] = field(default=frozenset(), compare=False)


def overlapping_hours(weekly: Sequence[Hours]) -> list[tuple[Hours, Hours]]:
    """Pairs of weekly rules on one weekday that overlap (an input error)."""
    pairs = []
    by_day = sorted(weekly, key=lambda h: (h.weekday, h.start))
    for first, second in pairwise(by_day):
        # An end of 00:00 is midnight, after every start of the day.
        if first.weekday == second.weekday and (first.end == time(0) or second.start < first.end):
            pairs.append((first, second))
    return pairs


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def to_utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The instant a booth's wall clock shows ``moment`` on ``day``: for a repeated time the
    first of the two, for a time inside a DST gap the moment the clock jumps past it."""
    naive = datetime.combine(day, moment)
    while not _exists(naive, zone):  # only inside a gap, at most its length in minutes
        naive += timedelta(minutes=1)  # walking the wall clock, not measuring time
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def resolve_local(naive: datetime, timezone: str) -> datetime:
    """The one UTC instant a wall-clock time names in ``timezone``; LocalTimeError when it
    names none (a DST gap) or two (the repeated hour)."""
    zone = zone_of(timezone)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise LocalTimeError("nonexistent")
        raise LocalTimeError("ambiguous")
    return first.astimezone(UTC)


def _intervals_on(day: date, availability: Availability) -> list[tuple[time, time]]:
    changes = [c for c in availability.changes if c.day == day]
    if any(c.closed for c in changes):
        return []
    hours = [(h.start, h.end) for h in availability.weekly if h.weekday == day.isoweekday()]
    hours += [(c.start, c.end) for c in changes if c.start is not None and c.end is not None]
    return sorted(hours)


def grid(availability: Availability, first: date, last: date) -> list[Slot]:
    """Every slot the opening hours make on the booth's days ``first`` to ``last``,
    before anything is taken away."""
    if availability.first_day:
        first = max(first, availability.first_day)
    if availability.last_day:
        last = min(last, availability.last_day)
    slots: list[Slot] = []
    day = first
    while day <= last:
        slots.extend(_day_grid(availability, day))
        day += timedelta(days=1)
    # Days follow each other in order but for a late opening that a clock change pushes
    # past midnight: only then is there anything to sort.
    if all(a.start < b.start for a, b in pairwise(slots)):
        return slots
    return sorted(set(slots))


@lru_cache(maxsize=4096)
def _day_grid(availability: Availability, day: date) -> tuple[Slot, ...]:
    """The slots the hours make on one of the booth's days, in order. Kept: the same days of
    the same hours are asked for by every directory page (the next free times), slot list
    and booking, and making them was most of the slot maths (issue 19). The key is the
    hours themselves (with the fair's dates), so new hours are a new key and booths with
    the same hours share their days. A day of eight open hours in 30-minute slots takes
    about 2.3 kB: 4,096 days hold every day of a 300-booth fair, under 10 MB."""
    zone, step = availability.zone, availability.slot
    slots: list[Slot] = []
    for start, end in _intervals_on(day, availability):
        begin, finish = to_utc(day, start, zone), to_utc(day, end, zone)
        if end == time(0):  # "until midnight"
            finish = to_utc(day + timedelta(days=1), end, zone)
        moment, after = begin, begin + step
        while after <= finish:
            slots.append(Slot(moment, after))  # a slot's end is the next one's start object
            moment, after = after, after + step
    return tuple(sorted(set(slots)))


def _start(slot: Slot) -> datetime:
    return slot.start


def booth_day(instant: datetime, availability: Availability) -> date:
    return instant.astimezone(availability.zone).date()


def _clashes(slot: Slot, busy: Iterable[Busy], buffer: timedelta) -> bool:
    return any(slot.start < b.end + buffer and b.start < slot.end + buffer for b in busy)


class Refusal(enum.StrEnum):
    """Why a slot cannot be booked; the list leaves out exactly the slots that have one."""

    OFF_GRID = "off_grid"  # not a slot of the booth's hours (or outside the fair)
    PAST = "past"
    NOTICE = "notice"
    HORIZON = "horizon"
    DAY_FULL = "day_full"
    TAKEN = "taken"


@dataclass(frozen=True)
class _Rules:
    availability: Availability
    now: datetime
    busy: Sequence[Busy]
    earliest: datetime
    latest_day: date | None
    full_days: frozenset[date]

    @classmethod
    def make(cls, availability: Availability, now: datetime, busy: Sequence[Busy]) -> _Rules:
        latest_day = None
        if availability.horizon_days is not None:
            latest_day = booth_day(now, availability) + timedelta(days=availability.horizon_days)
        per_day: dict[date, int] = {}
        for taken in busy:
            day = booth_day(taken.start, availability)
            per_day[day] = per_day.get(day, 0) + 1
        limit = availability.max_per_day
        full = frozenset(d for d, n in per_day.items() if limit and n >= limit)
        earliest = now + timedelta(minutes=availability.min_notice_minutes)
        return cls(availability, now, busy, earliest, latest_day, full)

    def refusal(self, slot: Slot) -> Refusal | None:
        if slot.start <= self.now:
            return Refusal.PAST
        if slot.start < self.earliest:
            return Refusal.NOTICE
        day = booth_day(slot.start, self.availability)
        if self.latest_day is not None and day > self.latest_day:
            return Refusal.HORIZON
        if day in self.full_days:
            return Refusal.DAY_FULL
        if _clashes(slot, self.busy, self.availability.buffer):
            return Refusal.TAKEN
        return None


def free_slots(
    availability: Availability,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Sequence[Busy] = (),
) -> list[Slot]:
    """Slots starting in ``[start, end)`` (UTC) that a buyer may book at ``now``: inside the
    hours and the fair, past the minimum notice, inside the horizon, clear of taken time
    and its buffer, on a day not yet at its meeting limit."""
    zone = availability.zone
    rules = _Rules.make(availability, now, busy)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    return [
        slot
        for slot in grid(availability, first, last)
        if start <= slot.start < end and rules.refusal(slot) is None
    ]


def first_free_slot(
    availability: Availability,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Sequence[Busy] = (),
) -> Slot | None:
    """The first of ``free_slots`` (the directory's "next free time"), without making the
    whole fair's grid: the booth's days in order, stopping after the first day that has a
    free slot. The next day is looked at too: where a zone's clock change moves a late
    opening past midnight, a day's slot may start after the next day's first one."""
    zone = availability.zone
    rules = _Rules.make(availability, now, busy)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if availability.first_day:
        day = max(day, availability.first_day)
    if availability.last_day:
        last = min(last, availability.last_day)
    if rules.latest_day is not None:
        last = min(last, rules.latest_day + timedelta(days=1))
    # Slots before this are refused anyway (past, or short of the notice) or before
    # ``start``: each day's walk begins after them.
    floor = max(start, rules.earliest)
    found: Slot | None = None
    while day <= last:
        slots = _day_grid(availability, day)  # in order
        for slot in slots[bisect_left(slots, floor, key=_start) :]:
            if start <= slot.start < end and rules.refusal(slot) is None:
                if found is None or slot.start < found.start:
                    found = slot
                break
        if found is not None:
            last = min(last, day + timedelta(days=1))
        day += timedelta(days=1)
    return found


def refusal(
    availability: Availability,
    *,
    slot_start: datetime,
    now: datetime,
    busy: Sequence[Busy] = (),
) -> Refusal | None:
    """Why a booking at ``slot_start`` would be refused, or None: the list's own test."""
    day = booth_day(slot_start, availability)
    first, last = availability.first_day, availability.last_day
    if (first and day < first - timedelta(days=1)) or (last and day > last + timedelta(days=1)):
        return Refusal.OFF_GRID  # far outside the fair (and clear of date arithmetic's edges)
    if not date.min + timedelta(days=1) < day < date.max - timedelta(days=1):
        return Refusal.OFF_GRID
    offered = grid(availability, day - timedelta(days=1), day + timedelta(days=1))
    slot = next((s for s in offered if s.start == slot_start), None)
    if slot is None:
        return Refusal.OFF_GRID
    return _Rules.make(availability, now, busy).refusal(slot)


def bookable(
    availability: Availability,
    *,
    slot_start: datetime,
    now: datetime,
    busy: Sequence[Busy] = (),
) -> bool:
    return refusal(availability, slot_start=slot_start, now=now, busy=busy) is None


def local_iso(instant: datetime, timezone: str) -> str:
    """An instant as ISO 8601 with the zone's offset, to the minute."""
    if instant.tzinfo is UTC:  # the slots' own instants: the same labels asked again and again
        return _local_iso_of_utc(instant, timezone)
    return instant.astimezone(zone_of(timezone)).isoformat(timespec="minutes")


# Keyed by UTC instants only: two aware datetimes of one zone compare by their wall clock,
# so a repeated hour's two instants would share a key.
@lru_cache(maxsize=16384)
def _local_iso_of_utc(instant: datetime, timezone: str) -> str:
    return instant.astimezone(zone_of(timezone)).isoformat(timespec="minutes")
