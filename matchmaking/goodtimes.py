"""Good-for-both times of (buyer, booth) pairs in a fair: the booth's free slots in the fair
that fall inside its business day and the buyer's working day (``meetings.goodhours``: the
booking page's marks). Worked out for the best pairs a request returns, not for every
candidate: three statements for all the pairs, then slot maths per booth, and per buyer only
for the buyers' distinct working days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair.accounts.models import User
from fair.fairs.models import Fair
from meetings.booking import fair_window
from meetings.goodhours import Party, works
from meetings.hours import availability_of
from meetings.models import BoothHours, Meeting, MeetingStatus
from meetings.slots import Availability, Busy, Slot, free_slots

# The exhibitor's country when its account names none (as the booking page reads it).
DEFAULT_COUNTRY = "JP"


def buyer_party(buyer: User) -> Party:
    """The buyer's working day from their profile, in their own zone."""
    return Party(buyer.timezone, buyer.country, buyer.day_start, buyer.day_end)


async def _busy(
    session: AsyncSession, booth_ids: list[str], start: datetime, end: datetime, now: datetime
) -> dict[str, list[Busy]]:
    """The booths' active meetings around the window, as the booking path counts them."""
    busy: dict[str, list[Busy]] = {booth_id: [] for booth_id in booth_ids}
    rows = await session.execute(
        select(Meeting.booth_id, Meeting.starts_at, Meeting.ends_at).where(
            Meeting.booth_id.in_(booth_ids),
            or_(
                Meeting.status == MeetingStatus.CONFIRMED,
                (Meeting.status == MeetingStatus.REQUESTED) & (Meeting.expires_at > now),
            ),
            Meeting.starts_at < end,
            Meeting.ends_at > start,
        )
    )
    for booth_id, starts_at, ends_at in rows.all():
        busy[booth_id].append(Busy(starts_at, ends_at))
    return busy


class _Marks:
    """What one request has worked out already: most booths of a fair share its grid and
    their zone, and a buyer meets every booth, so the same slots are checked again and
    again otherwise."""

    def __init__(self) -> None:
        self.free: dict[Availability, list[Slot]] = {}
        self.works: dict[tuple[Slot, Party], bool] = {}

    def free_slots(
        self,
        availability: Availability,
        start: datetime,
        end: datetime,
        now: datetime,
        busy: list[Busy],
    ) -> list[Slot]:
        if busy:  # a booth's own meetings: its own list
            return free_slots(availability, start=start, end=end, now=now, busy=busy)
        if availability not in self.free:
            self.free[availability] = free_slots(availability, start=start, end=end, now=now)
        return self.free[availability]

    def good(self, slots: Iterable[Slot], party: Party) -> list[Slot]:
        found = []
        for slot in slots:
            key = (slot, party)
            mark = self.works.get(key)
            if mark is None:
                mark = self.works[key] = works(slot, party)
            if mark:
                found.append(slot)
        return found


async def booth_good_slots(
    session: AsyncSession,
    fair: Fair,
    booth_ids: Iterable[str],
    now: datetime,
    marks: _Marks | None = None,
) -> dict[str, list[Slot]]:
    """Each booth's free slots in the fair from now on that fall in its own business day
    (weekdays, not a holiday in its country). Booths without hours are left out: nothing is
    known of their times."""
    ids = sorted(set(booth_ids))
    if not ids:
        return {}
    start, end = fair_window(fair)
    start = max(start, now)
    if start >= end:
        return {booth_id: [] for booth_id in ids}
    hours = {
        row.booth_id: row
        for row in await session.scalars(select(BoothHours).where(BoothHours.booth_id.in_(ids)))
        if row.weekly or row.exceptions
    }
    countries = dict(
        (
            await session.execute(
                select(Booth.id, User.country)
                .join(User, User.id == Booth.owner_id)
                .where(Booth.id.in_(list(hours)))
            )
        ).all()
    )
    busy = await _busy(session, list(hours), start, end, now)
    marks = marks or _Marks()
    found: dict[str, list[Slot]] = {}
    for booth_id, row in hours.items():
        free = marks.free_slots(availability_of(row, fair), start, end, now, busy[booth_id])
        party = Party(row.timezone, countries.get(booth_id) or DEFAULT_COUNTRY)
        found[booth_id] = marks.good(free, party)
    return found


async def good_times(
    session: AsyncSession, fair: Fair, pairs: Iterable[tuple[User, str]], now: datetime
) -> dict[tuple[str, str], int]:
    """How many good-for-both times each (buyer, booth id) pair has in the fair, by
    (buyer id, booth id); pairs whose booth has no hours are left out."""
    pairs = list(pairs)
    marks = _Marks()
    booth_ids = (booth_id for _, booth_id in pairs)
    slots = await booth_good_slots(session, fair, booth_ids, now, marks)
    counted: dict[tuple[str, Party], int] = {}
    found: dict[tuple[str, str], int] = {}
    for buyer, booth_id in pairs:
        if booth_id not in slots:
            continue
        party = buyer_party(buyer)
        key = (booth_id, party)
        if key not in counted:
            counted[key] = len(marks.good(slots[booth_id], party))
        found[(buyer.id, booth_id)] = counted[key]
    return found
