"""Invites parsed back with icalendar, field by field, through booking, two reschedules and
a cancel: one UID, SEQUENCE 0-1-2-3, METHOD:CANCEL with STATUS:CANCELLED at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import login, make_client, make_user
from icalendar import Calendar
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday


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
