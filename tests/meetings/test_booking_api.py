"""Booking over the API: hours, slots in the buyer's zone, no double booking under
concurrency, refusals with their reason, cancel, reschedule, requests."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta

from helpers import login, make_client, make_user, read_scalar
from meeting_helpers import WEEKDAYS_9_TO_17, at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import func, select

from meetings import booking
from meetings.models import Meeting, MeetingHold


async def count_meetings(session, **where) -> int:
    query = select(func.count()).select_from(Meeting)
    for name, value in where.items():
        query = query.where(getattr(Meeting, name) == value)
    return await read_scalar(session, query)


async def test_slots_are_shown_in_the_buyers_zone_and_a_booked_one_disappears(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    listed = await client.get(
        f"/api/booths/{booth['id']}/slots",
        params={
            "tz": "Asia/Ho_Chi_Minh",
            "from": day.isoformat(),
            "to": (day + timedelta(days=1)).isoformat(),
            "order": "time",
        },
    )
    assert listed.status_code == 200, listed.text
    slots = listed.json()["slots"]
    # Tokyo 09:00-17:00 is 07:00-15:00 in Ho Chi Minh City; the day ends at Hanoi midnight.
    assert slots[0]["start"] == f"{day.isoformat()}T07:00+07:00"
    assert slots[0]["booth_local_start"] == f"{day.isoformat()}T09:00+09:00"
    assert len(slots) == 16
    good = [s["start"][11:16] for s in slots if s["good_for_both"]]
    assert good[0] == "09:00" and "07:00" not in good  # inside both business days

    booked = await book(client, booth["id"], slots[4]["start"])
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert (body["status"], body["start"], body["sequence"]) == ("confirmed", slots[4]["start"], 0)
    assert body["join_url"].endswith(f"/meetings/{body['id']}/room")
    again = await client.get(
        f"/api/booths/{booth['id']}/slots",
        params={
            "tz": "Asia/Ho_Chi_Minh",
            "from": day.isoformat(),
            "to": (day + timedelta(days=1)).isoformat(),
        },
    )
    assert slots[4]["start"] not in {s["start"] for s in again.json()["slots"]}


async def test_good_slots_come_first_by_default(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    params = {
        "tz": "Asia/Ho_Chi_Minh",
        "from": day.isoformat(),
        "to": (day + timedelta(days=1)).isoformat(),
    }
    slots = (await client.get(f"/api/booths/{booth['id']}/slots", params=params)).json()["slots"]
    marks = [s["good_for_both"] for s in slots]
    assert marks == sorted(marks, reverse=True) and marks[0] and not marks[-1]


async def test_a_taken_slot_is_409_for_the_next_buyer_and_free_again_after_cancel(
    client, session, app
):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    first = await book(client, booth["id"], at_tokyo(day, 10))
    assert first.status_code == 201
    async with make_client(app) as other:
        await make_user(session, "buyer", "wang@hengtai.example", timezone="Asia/Shanghai")
        await login(other, "wang@hengtai.example")
        taken = await book(other, booth["id"], at_tokyo(day, 10))
        assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_taken")
        cancelled = await client.post(
            f"/api/meetings/{first.json()['id']}/cancel", json={"reason": "Plans changed"}
        )
        assert (cancelled.json()["status"], cancelled.json()["sequence"]) == ("cancelled", 1)
        rebooked = await book(other, booth["id"], at_tokyo(day, 10))
        assert rebooked.status_code == 201


async def test_twenty_parallel_bookings_of_one_slot_give_exactly_one_meeting(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    clients = []
    for n in range(20):
        await make_user(session, "buyer", f"buyer{n}@example.com")
        c = make_client(app)
        await login(c, f"buyer{n}@example.com")
        clients.append(c)
    try:
        responses = await asyncio.gather(
            *(book(c, booth["id"], at_tokyo(day, 10)) for c in clients)
        )
    finally:
        for c in clients:
            await c.aclose()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    assert await count_meetings(session) == 1


async def test_the_holds_refuse_what_the_availability_check_let_through(
    client, session, monkeypatch
):
    """Two buyers whose availability checks both saw the time free, as two transactions that
    read before either commits do: the holds' primary key lets one meeting in, and keeps the
    exhibitor's break after it. SQLite runs one writer at a time, so the race test proves
    the guard only on PostgreSQL; this proves it on both."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)

    seen = booking.taken

    async def nothing_taken(*args: object, **kwargs: object) -> booking.Taken:
        return dataclasses.replace(await seen(*args, **kwargs), at_booth=[])

    monkeypatch.setattr(booking, "taken", nothing_taken)
    await buyer(client, session, "lan@saigon.example")
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    await buyer(client, session, "wang@hengtai.example")
    for minute in (0, 30):  # the same time, and the next one inside the first's break
        taken = await book(client, booth["id"], at_tokyo(day, 10, minute))
        assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_taken")
    assert await count_meetings(session) == 1
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 201


async def test_refusals_carry_their_reason(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    await buyer(client, session)
    off_grid = await book(client, booth["id"], at_tokyo(day, 10, 10))
    assert (off_grid.status_code, off_grid.json()["error"]["code"]) == (400, "bad_time")
    evening = await book(client, booth["id"], at_tokyo(day, 18))
    assert evening.status_code == 400
    saturday = day + timedelta(days=(6 - day.isoweekday()) % 7)
    weekend = await book(client, booth["id"], at_tokyo(saturday, 10))
    assert weekend.status_code == 400
    naive = await book(client, booth["id"], f"{day.isoformat()}T10:00")
    assert (naive.status_code, naive.json()["error"]["fields"].keys() >= {"start"}) == (400, True)
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    in_buffer = await book(client, booth["id"], at_tokyo(day, 10, 30))
    assert in_buffer.status_code == 409  # 10 minutes' buffer after a meeting, never a 500
    unknown_zone = await book(
        client, booth["id"], f"{day.isoformat()}T11:00", timezone="Mars/Olympus"
    )
    assert unknown_zone.status_code == 422
    bad_tz = await client.get(f"/api/booths/{booth['id']}/slots", params={"tz": "Mars/Olympus"})
    assert bad_tz.status_code == 400
    assert await count_meetings(session) == 1


async def test_short_notice_is_refused_with_the_hours_needed(client, session):
    day = next_weekday(after_days=3)
    booth = await booth_with_hours(client, session, first=day, min_notice_minutes=14 * 24 * 60)
    await buyer(client, session)
    response = await book(client, booth["id"], at_tokyo(day, 10))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_bookable")
    assert "336" in response.json()["error"]["message"]


async def test_naive_local_times_in_dst_gap_or_repeated_hour_are_400(client, session):
    # A fair across the US switch to daylight time (Sunday 2027-03-14) and its end in November.
    booth = await booth_with_hours(
        client,
        session,
        first=date(2027, 3, 8),
        last=date(2027, 3, 19),
        exceptions=[{"date": "2027-03-14", "start": "09:00", "end": "17:00"}],
    )
    await buyer(client, session, timezone="America/New_York", country="US")
    gap = await book(client, booth["id"], "2027-03-14T02:30", timezone="America/New_York")
    assert (gap.status_code, gap.json()["error"]["code"]) == (400, "bad_time")
    # 01:30 New York that Sunday is 15:30 Tokyo: a slot, and bookable written without offset.
    ok = await book(client, booth["id"], "2027-03-14T01:30", timezone="America/New_York")
    assert ok.status_code == 201, ok.text
    assert ok.json()["booth_local_start"] == "2027-03-14T15:30+09:00"
    assert ok.json()["start"] == "2027-03-14T01:30-05:00"


async def test_exhibitor_cannot_book_own_booth_and_others_meetings_are_404(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await login(client, "kenji@tsubame.example")
    own = await book(client, booth["id"], at_tokyo(day, 10))
    assert own.status_code == 403
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    async with make_client(app) as stranger:
        await make_user(session, "buyer", "other@example.com")
        await login(stranger, "other@example.com")
        for method, url in (
            ("GET", f"/api/meetings/{meeting['id']}"),
            ("POST", f"/api/meetings/{meeting['id']}/cancel"),
        ):
            response = await stranger.request(method, url, json={"reason": "x"})
            assert response.status_code == 404, url
        assert (await stranger.get("/api/meetings")).json()["meetings"] == []
    await login(client, "kenji@tsubame.example")
    seen = (await client.get("/api/meetings")).json()["meetings"]
    assert [m["id"] for m in seen] == [meeting["id"]]


async def test_hours_input_errors(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await login(client, "kenji@tsubame.example")
    url = f"/api/booths/{booth['id']}/availability"
    overlapping = [*WEEKDAYS_9_TO_17, {"weekday": 1, "start": "16:00", "end": "18:00"}]
    response = await client.put(url, json={"timezone": "Asia/Tokyo", "weekly": overlapping})
    assert (response.status_code, response.json()["error"]["fields"].keys() >= {"weekly"}) == (
        400,
        True,
    )
    for bad in (
        {"timezone": "Tokyo", "weekly": WEEKDAYS_9_TO_17},
        {"timezone": "Asia/Tokyo", "weekly": [{"weekday": 8, "start": "09:00", "end": "10:00"}]},
        {"timezone": "Asia/Tokyo", "weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
        {"timezone": "Asia/Tokyo", "weekly": [{"weekday": 1, "start": "00:00", "end": "00:00"}]},
        {"timezone": "Asia/Tokyo", "weekly": [{"weekday": 1, "start": "09:07", "end": "10:00"}]},
        {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "slot_minutes": 20},
        {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "buffer_minutes": 7},
        {
            "timezone": "Asia/Tokyo",
            "weekly": [],
            "exceptions": [{"date": "2027-01-01", "closed": True, "start": "09:00"}],
        },
    ):
        assert (await client.put(url, json=bad)).status_code == 422, bad
    # "Until midnight" is an end of 00:00, weekly and on a date.
    late = {
        "timezone": "Asia/Tokyo",
        "weekly": [{"weekday": 1, "start": "20:00", "end": "00:00"}],
        "exceptions": [{"date": "2027-01-05", "start": "21:30", "end": "00:00"}],
    }
    saved = await client.put(url, json=late)
    assert saved.status_code == 200, saved.text
    assert saved.json()["weekly"] == [{"weekday": 1, "start": "20:00", "end": "00:00"}]
    await buyer(client, session)
    assert (
        await client.put(url, json={"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17})
    ).status_code == 403


async def test_buyer_cap_and_own_overlap(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, max_per_buyer=2)
    await buyer(client, session)
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 201
    third = await book(client, booth["id"], at_tokyo(day, 12))
    assert (third.status_code, third.json()["error"]["code"]) == (409, "not_bookable")


async def test_reschedule_moves_the_meeting_and_frees_the_old_slot(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    moved = await client.post(
        f"/api/meetings/{meeting['id']}/reschedule", json={"start": at_tokyo(day, 14, 30)}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["booth_local_start"], moved.json()["sequence"]) == (
        f"{day.isoformat()}T14:30+09:00",
        1,
    )
    again = await client.post(
        f"/api/meetings/{meeting['id']}/reschedule",
        json={"start": at_tokyo(day + timedelta(days=1 if day.isoweekday() < 5 else 3), 9)},
    )
    assert again.json()["sequence"] == 2
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201  # freed
    holds = await read_scalar(
        session,
        select(func.count())
        .select_from(MeetingHold)
        .where(MeetingHold.meeting_id == meeting["id"]),
    )
    assert holds == 6 + 6  # booth and buyer, six 5-minute cells each


async def test_request_mode_holds_the_slot_until_answered(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, mode="request", request_hours=24)
    await buyer(client, session)
    requested = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    assert requested["status"] == "requested" and requested["expires_at"]
    async with make_client(app) as other:
        await make_user(session, "buyer", "wang@hengtai.example")
        await login(other, "wang@hengtai.example")
        assert (await book(other, booth["id"], at_tokyo(day, 10))).status_code == 409
        await login(client, "kenji@tsubame.example")
        declined = await client.post(f"/api/meetings/{requested['id']}/decline")
        assert declined.json()["status"] == "declined"
        assert (await client.post(f"/api/meetings/{requested['id']}/accept")).status_code == 409
        taken = await book(other, booth["id"], at_tokyo(day, 10))
        assert (taken.status_code, taken.json()["status"]) == (201, "requested")
        accepted = await client.post(f"/api/meetings/{taken.json()['id']}/accept")
        assert accepted.json()["status"] == "confirmed"


async def test_slots_leave_out_times_the_buyer_is_already_taken(client, session, app):
    from booth_helpers import approve, create_booth, exhibitor

    day = next_weekday()
    first = await booth_with_hours(client, session, first=day)
    async with make_client(app) as seki:
        await exhibitor(seki, session, "sales@seki.example", "Seki Kaji")
        second = await create_booth(seki, company={"ja": "関鍛冶", "en": "Seki Kaji"})
        hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
        await seki.put(f"/api/booths/{second['id']}/availability", json=hours)
        await approve(seki, session, second["id"])
    await buyer(client, session)
    assert (await book(client, first["id"], at_tokyo(day, 10))).status_code == 201
    params = {
        "tz": "Asia/Tokyo",
        "from": day.isoformat(),
        "to": (day + timedelta(days=1)).isoformat(),
    }
    offered = (await client.get(f"/api/booths/{second['id']}/slots", params=params)).json()["slots"]
    starts = {s["start"] for s in offered}
    assert f"{day.isoformat()}T10:00+09:00" not in starts  # the buyer is busy then
    assert f"{day.isoformat()}T10:30+09:00" in starts


async def test_dates_at_the_ends_of_the_calendar_are_refused_not_500(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    for start in ("9999-12-31T23:30+00:00", "0001-01-01T00:00+00:00", "9999-12-31T23:30"):
        response = await book(client, booth["id"], start, timezone="Asia/Tokyo")
        assert response.status_code == 400, (start, response.text)
    for params in ({"from": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}):
        slots = await client.get(f"/api/booths/{booth['id']}/slots", params=params)
        assert slots.status_code == 400, params


async def test_an_expired_request_elsewhere_does_not_block_the_buyer(client, session, app):
    from booth_helpers import approve, create_booth, exhibitor
    from sqlalchemy import update

    from fair import clock

    day = next_weekday()
    first = await booth_with_hours(client, session, first=day, mode="request", request_hours=1)
    async with make_client(app) as seki:
        await exhibitor(seki, session, "sales@seki.example", "Seki Kaji")
        second = await create_booth(seki, company={"ja": "関鍛冶", "en": "Seki Kaji"})
        hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
        await seki.put(f"/api/booths/{second['id']}/availability", json=hours)
        await approve(seki, session, second["id"])
    await buyer(client, session)
    requested = (await book(client, first["id"], at_tokyo(day, 10))).json()
    assert requested["status"] == "requested"
    # Nobody answered in time.
    await session.execute(
        update(Meeting)
        .where(Meeting.id == requested["id"])
        .values(expires_at=clock.now() - timedelta(minutes=1))
    )
    await session.commit()
    elsewhere = await book(client, second["id"], at_tokyo(day, 10))
    assert elsewhere.status_code == 201, elsewhere.text
    status = await read_scalar(session, select(Meeting.status).where(Meeting.id == requested["id"]))
    assert status == "expired"


async def test_only_the_buyer_reconfirms_and_a_reconfirmed_or_instant_meeting_is_not_released(
    client, session, app
):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)  # instant confirmation
    await buyer(client, session)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    url = f"/api/meetings/{meeting['id']}"
    first = await client.post(f"{url}/reconfirm")
    assert first.status_code == 200 and first.json()["attendance_confirmed_at"]
    again = await client.post(f"{url}/reconfirm")
    assert again.json()["attendance_confirmed_at"] == first.json()["attendance_confirmed_at"]
    async with make_client(app) as other:
        await make_user(session, "buyer", "wang@hengtai.example")
        await login(other, "wang@hengtai.example")
        assert (await other.post(f"{url}/reconfirm")).status_code == 404
        assert (await other.post("/api/meetings/nope/reconfirm")).status_code == 404
        await login(other, "kenji@tsubame.example")
        assert (await other.post(f"{url}/reconfirm")).status_code == 403
        refused = await other.post(f"{url}/release")
        assert refused.status_code == 409 and "released" in refused.json()["error"]["message"]
    # Moving the meeting asks again: the "yes" was for the old time.
    moved = await client.post(f"{url}/reschedule", json={"start": at_tokyo(day, 11)})
    assert moved.json()["attendance_confirmed_at"] is None
    await client.post(f"{url}/cancel", json={"reason": "plans changed"})
    assert (await client.post(f"{url}/reconfirm")).status_code == 409
