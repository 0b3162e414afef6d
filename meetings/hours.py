"""A booth's meeting hours: set by its exhibitor, read as an ``Availability`` for the
slot maths."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import load_managed_booth
from fair.accounts.models import User
from fair.errors import BadRequest
from fair.fairs.models import Fair
from fair.i18n import lazy
from meetings import slots as slot_maths
from meetings.errors import NoHours
from meetings.models import (
    BoothHours,
)
from meetings.schemas import HoursUpdate
from meetings.slots import Availability, DayChange, Hours


def availability_of(hours: BoothHours | Row[Any], fair: Fair) -> Availability:
    """The slot maths' view of a booth's hours (the row or a row of its columns)."""
    return Availability(
        timezone=hours.timezone,
        weekly=tuple(
            Hours(w["weekday"], time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
            for w in hours.weekly
        ),
        changes=tuple(
            DayChange(
                date.fromisoformat(c["date"]),
                closed=c.get("closed", False),
                start=time.fromisoformat(c["start"]) if c.get("start") else None,
                end=time.fromisoformat(c["end"]) if c.get("end") else None,
            )
            for c in hours.exceptions
        ),
        slot_minutes=hours.slot_minutes or fair.slot_minutes,
        buffer_minutes=hours.buffer_minutes,
        min_notice_minutes=hours.min_notice_minutes,
        max_per_day=hours.max_per_day,
        first_day=fair.starts_on,
        last_day=fair.ends_on,
    )


# The booth hours' numeric settings: the same name on the form, in HoursUpdate and on the row.
NUMBER_SETTINGS: tuple[str, ...] = (
    "slot_minutes",
    "buffer_minutes",
    "min_notice_minutes",
    "max_per_day",
    "max_per_buyer",
    "request_hours",
)


async def set_hours(
    session: AsyncSession, *, actor: User | None, booth_id: str, data: HoursUpdate
) -> BoothHours:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    overlaps = slot_maths.overlapping_hours([Hours(w.weekday, w.start, w.end) for w in data.weekly])
    if overlaps:
        first, second = overlaps[0]
        raise BadRequest(
            lazy("Opening hours overlap on the same weekday: %(first)s and %(second)s."),
            field="weekly",
            first=f"{first.start:%H:%M}–{first.end:%H:%M}",
            second=f"{second.start:%H:%M}–{second.end:%H:%M}",
        )
    hours = await session.get(BoothHours, booth.id) or BoothHours(booth_id=booth.id)
    hours.timezone = data.timezone
    hours.weekly = [
        {"weekday": w.weekday, "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"}
        for w in sorted(data.weekly, key=lambda w: (w.weekday, w.start))
    ]
    hours.exceptions = [
        {"date": e.date.isoformat(), "closed": True}
        if e.closed
        else {"date": e.date.isoformat(), "start": f"{e.start:%H:%M}", "end": f"{e.end:%H:%M}"}
        for e in sorted(data.exceptions, key=lambda e: e.date)
    ]
    for name in (*NUMBER_SETTINGS, "mode"):
        setattr(hours, name, getattr(data, name))
    session.add(hours)
    await session.flush()
    return hours


async def get_hours(session: AsyncSession, booth: Booth) -> BoothHours:
    return published(await session.get(BoothHours, booth.id))


def published(hours: BoothHours | None) -> BoothHours:
    """A booth's hours, unless it has none to book by yet (NoHours)."""
    if hours is None or (not hours.weekly and not hours.exceptions):
        raise NoHours()
    return hours
