"""Invites parsed back with icalendar, field by field, through booking, two reschedules and
a cancel: one UID, SEQUENCE 0-1-2-3, METHOD:CANCEL with STATUS:CANCELLED at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import login, make_client, make_user
from icalendar import Calendar
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday

from meetings import invites
from meetings.invites import InviteEvent, Person


def parse(response):
    assert response.status_code == 200, response.text
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    return calendar, events[0]


async def test_invite_lifecycle_keeps_uid_and_counts_sequence(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    url = f"/api/meetings/{meeting['id']}/invite.ics"

    response = await client.get(url)
    assert response.headers["content-type"].startswith("text/calendar")
    assert "method=REQUEST" in response.headers["content-type"]
    calendar, event = parse(response)
    uid = str(event["UID"])
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (
        datetime(day.year, day.month, day.day, 10, 0),
        "Asia/Tokyo",
    )
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert start.astimezone(UTC) == datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    assert str(event["URL"]) == meeting["join_url"] == str(event["LOCATION"])
    assert meeting["join_url"] in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:kenji@tsubame.example"
    assert str(event["ATTENDEE"]) == "mailto:lan@saigon.example"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert len(event.walk("VALARM")) == 1

    for sequence, (when, hour, minute) in enumerate(
        ((day, 14, 30), (day + timedelta(days=1 if day.isoweekday() < 5 else 3), 9, 0)),
        start=1,
    ):
        moved = await client.post(
            f"/api/meetings/{meeting['id']}/reschedule",
            json={"start": at_tokyo(when, hour, minute)},
        )
        assert moved.status_code == 200, moved.text
        calendar, event = parse(await client.get(url))
        assert (str(event["UID"]), event["SEQUENCE"], str(calendar["METHOD"])) == (
            uid,
            sequence,
            "REQUEST",
        )
        local = event.decoded("DTSTART")
        assert (local.hour, local.minute) == (hour, minute)

    cancelled = await client.post(f"/api/meetings/{meeting['id']}/cancel", json={"reason": "Sick"})
    assert cancelled.status_code == 200
    response = await client.get(url)
    assert "method=CANCEL" in response.headers["content-type"]
    calendar, event = parse(response)
    assert (
        str(event["UID"]),
        event["SEQUENCE"],
        str(calendar["METHOD"]),
        str(event["STATUS"]),
    ) == (
        uid,
        3,
        "CANCEL",
        "CANCELLED",
    )
    assert event.walk("VALARM") == []


async def test_invite_is_only_for_participants(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    await login(client, "kenji@tsubame.example")
    assert (await client.get(f"/api/meetings/{meeting['id']}/invite.ics")).status_code == 200
    async with make_client(app) as stranger:
        await make_user(session, "buyer", "x@example.com")
        await login(stranger, "x@example.com")
        assert (await stranger.get(f"/api/meetings/{meeting['id']}/invite.ics")).status_code == 404
    client.cookies.clear()
    assert (await client.get(f"/api/meetings/{meeting['id']}/invite.ics")).status_code == 401


async def test_calendar_feed_lists_my_meetings_until_revoked(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    url = (await client.post("/api/me/calendar-feed")).json()["url"]
    path = url.removeprefix("http://127.0.0.1:8000")
    client.cookies.clear()  # a calendar app has no session: the URL is the key
    response = await client.get(path)
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["UID"]).split("@")[0] for e in events] == [meeting["id"]]
    assert "METHOD" not in Calendar.from_ical(response.content)
    await login(client, "lan@saigon.example")
    newer = (await client.post("/api/me/calendar-feed")).json()["url"]
    assert (await client.get(path)).status_code == 404  # the old URL is dead
    assert (await client.delete("/api/me/calendar-feed")).status_code == 204
    assert (await client.get(newer.removeprefix("http://127.0.0.1:8000"))).status_code == 404
    assert (await client.get("/calendar/not-a-token.ics")).status_code == 404


# The zones' VTIMEZONE, built once per zone (meetings.invites._vtimezone) -------------------

ZONES = ("Asia/Tokyo", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Bangkok")


def an_invite(zone: str, when: datetime, *, cancelled: bool = False) -> InviteEvent:
    organizer = Person("Kenji", "kenji@tsubame.example")
    return InviteEvent(
        uid=f"meeting-{zone}@kakehashi.example",
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
        start=when,
        end=when + timedelta(minutes=30),
        timezone=zone,
        summary="Tumblers",
        description="",
        join_url="https://fair.example/join/1",
        organizer=organizer,
        attendees=(Person("Lan", "lan@saigon.example"),),
        stamp=when - timedelta(days=3),
    )


def as_icalendar_adds_them(item: InviteEvent) -> bytes:
    """The invite as icalendar's own ``add_missing_timezones`` makes it, every time anew."""
    calendar = invites._calendar(invites.method_of(item))
    calendar.add_component(invites._event(item))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def test_each_zone_is_described_as_icalendar_describes_it():
    when = datetime(2027, 7, 14, 1, 0, tzinfo=UTC)
    for zone in ZONES:
        for cancelled in (False, True):
            item = an_invite(zone, when, cancelled=cancelled)
            assert invites.invite(item) == as_icalendar_adds_them(item)
            # Asked again, the kept component gives the same bytes.
            assert invites.invite(item) == as_icalendar_adds_them(item)


def test_a_summer_meeting_in_new_york_reads_back_at_its_instant():
    when = datetime(2027, 7, 14, 14, 0, tzinfo=UTC)  # 10:00 EDT
    calendar = Calendar.from_ical(invites.invite(an_invite("America/New_York", when)))
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert (start.hour, start.astimezone(UTC)) == (10, when)


def test_a_feed_describes_every_zone_once_before_its_events():
    when = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)
    items = [an_invite(zone, when + timedelta(days=i)) for i, zone in enumerate(ZONES * 2)]
    calendar = Calendar.from_ical(invites.feed(items, "My meetings"))
    kinds = [component.name for component in calendar.subcomponents]
    assert kinds == ["VTIMEZONE"] * len(ZONES) + ["VEVENT"] * len(items)
    assert sorted(str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")) == sorted(ZONES)
