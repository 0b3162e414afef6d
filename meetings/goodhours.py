"""Good hours for both: a slot inside both parties' business hours, on a day that is a
working day in both countries (public holidays from the ``holidays`` package: Golden Week,
Lunar New Year, Tết, Songkran, US federal holidays...). The buyer's hours are their
profile's working day; a booth's are the business day. Pure, apart from the holiday tables
the package computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays

from meetings.slots import Slot, zone_of

if TYPE_CHECKING:
    from fair.accounts.models import User

DEFAULT_START = time(9)
DEFAULT_END = time(18)


@dataclass(frozen=True)
class Party:
    timezone: str
    country: str  # ISO 3166, or "" when unknown (then no holidays are known)
    day_start: time = DEFAULT_START
    day_end: time = DEFAULT_END


def viewer_party_of(viewer: User | None, zone: str) -> Party:
    """The side of whoever looks at the slots: their country's holidays and the working day
    of their profile (9:00 to 18:00 for nobody signed in), in ``zone``, the zone the slots
    are shown in (their own unless they ask for another)."""
    if viewer is None:
        return Party(zone, "")
    return Party(zone, viewer.country, viewer.day_start, viewer.day_end)


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> dict[date, str]:
    try:
        return dict(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        return {}


def holiday(party: Party, day: date) -> str | None:
    """The name of the public holiday on ``day`` in the party's country, if any."""
    if not party.country:
        return None
    return _holidays(party.country.upper(), day.year).get(day)


def _within_hours(start: datetime, end: datetime, party: Party) -> bool:
    """Whether a slot, its start and end on the party's wall clock, is inside their day."""
    if start.date() != end.date() and end.time() != time(0):
        return False  # runs over midnight: not business hours
    finish = end.time() if end.time() != time(0) else time(23, 59, 59)
    return party.day_start <= start.time() and finish <= party.day_end


def works(slot: Slot, party: Party) -> bool:
    """Inside the party's hours on a weekday that is not a holiday where they are."""
    if slot.start.tzinfo is UTC and slot.end.tzinfo is UTC:
        return _works(slot.start, slot.end, party)
    return _works.__wrapped__(slot.start, slot.end, party)


# Kept per process: a booth's grid of slots is the same for every buyer who looks at it,
# and buyers of one country and zone share a party, so the same questions come again on
# every slots request (two zone conversions and a holiday look-up for each slot, a fifth of
# the slots API's own work; issue 19). Keyed only by UTC instants: two instants of a local
# zone's repeated hour compare (and hash) as one.
@lru_cache(maxsize=16384)
def _works(start: datetime, end: datetime, party: Party) -> bool:
    zone = zone_of(party.timezone)
    local = start.astimezone(zone)
    return (
        local.isoweekday() <= 5
        and holiday(party, local.date()) is None
        and _within_hours(local, end.astimezone(zone), party)
    )


def good_for_both(slot: Slot, booth: Party, buyer: Party) -> bool:
    return works(slot, booth) and works(slot, buyer)


def best_first(slots: Sequence[Slot], booth: Party, buyer: Party) -> list[tuple[Slot, bool]]:
    """The slots with their mark, the good ones first, each group in time order."""
    marked = [(slot, good_for_both(slot, booth, buyer)) for slot in slots]
    return sorted(marked, key=lambda pair: (not pair[1], pair[0].start))
