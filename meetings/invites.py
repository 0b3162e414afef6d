"""Calendar invites (RFC 5545) with icalendar. Pure: data in, bytes out.

One UID per meeting for its whole life, so calendars update the event they already hold:
SEQUENCE 0 when booked, +1 at every reschedule, and the cancel goes out as METHOD:CANCEL
with STATUS:CANCELLED and the next SEQUENCE. Times carry the booth's TZID with its
VTIMEZONE, so a calendar shows them right in any zone, on any daylight-saving day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

PRODID = "-//Kakehashi//Virtual trade fair//EN"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class InviteEvent:
    uid: str
    sequence: int
    cancelled: bool
    start: datetime  # aware
    end: datetime
    timezone: str  # the booth's zone, shown as TZID
    summary: str
    description: str
    join_url: str
    organizer: Person
    attendees: tuple[Person, ...]
    stamp: datetime  # when this version of the meeting was made


def _address(person: Person, *, attendee: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.name)
    if attendee:
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("FALSE")
    return address


def _event(item: InviteEvent) -> Event:
    zone = ZoneInfo(item.timezone)
    event = Event()
    event.add("uid", item.uid)
    event.add("sequence", item.sequence)
    event.add("dtstamp", item.stamp)
    event.add("dtstart", item.start.astimezone(zone))
    event.add("dtend", item.end.astimezone(zone))
    event.add("summary", item.summary)
    event.add("description", f"{item.description}\n\n{item.join_url}".strip())
    event.add("location", item.join_url)
    event.add("url", item.join_url)
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
    event.add("organizer", _address(item.organizer, attendee=False))
    for person in item.attendees:
        event.add("attendee", _address(person, attendee=True))
    if not item.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    return event


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> Timezone | None:
    """A zone's VTIMEZONE over icalendar's default span (fixed years, so the same whatever
    the day). Building it walks every transition of those years: it was nine tenths of a
    meeting mail's CPU, for a component that only depends on the zone. The one kept is
    only ever serialized, never changed."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know: left out, as it would leave it
        return None


def _add_timezones(calendar: Calendar) -> None:
    """``Calendar.add_missing_timezones`` with each zone's component built once."""
    found = [_vtimezone(tzid) for tzid in sorted(calendar.get_missing_tzids())]
    at = len(calendar.timezones)
    calendar.subcomponents[at:at] = [zone for zone in found if zone is not None]


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def invite(item: InviteEvent) -> bytes:
    """The invite for one meeting: METHOD:REQUEST, or METHOD:CANCEL once it is off."""
    calendar = _calendar("CANCEL" if item.cancelled else "REQUEST")
    calendar.add_component(_event(item))
    _add_timezones(calendar)
    return calendar.to_ical()


def method_of(item: InviteEvent) -> str:
    return "CANCEL" if item.cancelled else "REQUEST"


def feed(items: Sequence[InviteEvent], name: str) -> bytes:
    """A subscription feed of someone's meetings (no METHOD: it publishes, invites no one)."""
    calendar = _calendar(None)
    calendar.add("x-wr-calname", name)
    for item in items:
        calendar.add_component(_event(item))
    _add_timezones(calendar)
    return calendar.to_ical()
