"""A fair's phase, from its dates and status alone (pure; no I/O)."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fair.i18n import lazy


class Phase(enum.StrEnum):
    DRAFT = "draft"
    REGISTRATION = "registration"
    BOOKING = "booking"
    LIVE = "live"
    CLOSED = "closed"


def phase_on(
    *, status: str, starts_on: date, ends_on: date, booking_opens_on: date, today: date
) -> Phase:
    """Draft until published; then registration, booking (until the fair starts), live
    (booking stays open: bookings close at the fair's end), closed."""
    if status == "draft":
        return Phase.DRAFT
    if today > ends_on:
        return Phase.CLOSED
    if today >= starts_on:
        return Phase.LIVE
    if today >= booking_opens_on:
        return Phase.BOOKING
    return Phase.REGISTRATION


def local_today(now: datetime, timezone: str) -> date:
    """The calendar day in the fair's own zone: a Tokyo fair starts at Tokyo midnight."""
    return now.astimezone(ZoneInfo(timezone)).date()


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) ISO weekday (1 = Monday) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.isoweekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def monthly_dates(year: int, month: int) -> tuple[date, date, date]:
    """The programme's calendar: a fair runs Tuesday to Thursday of the month's third week;
    booking opens four weeks before it starts."""
    starts_on = nth_weekday(year, month, 2, 3)
    return starts_on, starts_on + timedelta(days=2), starts_on - timedelta(days=28)


# msgids, translated where shown (extracted by babel through ``lazy``).
PHASE_LABELS = {
    Phase.DRAFT: lazy("Draft"),
    Phase.REGISTRATION: lazy("Exhibitor registration"),
    Phase.BOOKING: lazy("Booking open"),
    Phase.LIVE: lazy("Live now"),
    Phase.CLOSED: lazy("Closed"),
}
