"""Meeting pages as people use them: pick a slot in your own zone, see it in My meetings,
open its page, cancel it; the exhibitor sets hours with a form."""

from __future__ import annotations

import re

from helpers import login, read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import select

from meetings.models import BoothHours, Meeting

XSS = "<script>alert(1)</script>"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def test_buyer_books_from_the_picker_and_cancels_from_the_meeting_page(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    picker = await client.get(f"/booths/{booth['id']}/book?lang=en")
    assert picker.status_code == 200
    html = picker.text
    assert "07:00" in html and "09:00 for the exhibitor" in html  # Ho Chi Minh City vs Tokyo
    assert "Best times for both of you" in html
    start = re.search(r'name="start" value="([^"]+)"', html).group(1)
    booked = await client.post(
        f"/booths/{booth['id']}/book",
        data={
            "csrf_token": csrf_of(html),
            "start": start,
            "note": XSS,
            "interpreter_language": "vi",
        },
    )
    assert booked.status_code == 303
    room = await client.get(booked.headers["location"])
    assert room.status_code == 200
    assert XSS not in room.text and "&lt;script&gt;" in room.text
    meeting_id = booked.headers["location"].split("/")[2]
    mine = (await client.get("/my/meetings")).text
    assert f"/meetings/{meeting_id}/room" in mine

    taken_again = await client.post(
        f"/booths/{booth['id']}/book", data={"csrf_token": csrf_of(html), "start": start}
    )
    assert taken_again.status_code == 409 and "form-errors" in taken_again.text

    no_reason = await client.post(
        f"/meetings/{meeting_id}/cancel", data={"csrf_token": csrf_of(html), "reason": ""}
    )
    assert no_reason.status_code == 422
    cancelled = await client.post(
        f"/meetings/{meeting_id}/cancel", data={"csrf_token": csrf_of(html), "reason": "Sorry"}
    )
    assert cancelled.status_code == 303
    status = await read_scalar(session, select(Meeting.status).where(Meeting.id == meeting_id))
    assert status == "cancelled"


async def test_visitors_see_free_times_and_are_asked_to_sign_in(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    client.cookies.clear()
    page = await client.get(f"/booths/{booth['id']}/book?tz=America/Chicago&lang=en")
    assert page.status_code == 200
    assert "Sign in as a buyer" in page.text
    assert "18:00" in page.text  # Tokyo 09:00 is 18:00 or 19:00 the day before in Chicago


async def test_exhibitor_sets_hours_with_the_form(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await login(client, "kenji@tsubame.example")
    form_page = await client.get(f"/booths/{booth['id']}/manage/hours")
    assert form_page.status_code == 200
    csrf = csrf_of(form_page.text)
    bad = await client.post(
        f"/booths/{booth['id']}/manage/hours",
        data={
            "csrf_token": csrf,
            "timezone": "Asia/Tokyo",
            "open_1": "1",
            "start_1": "10:00",
            "end_1": "09:00",
            "exceptions": "someday closed",
        },
    )
    assert bad.status_code == 422
    good = await client.post(
        f"/booths/{booth['id']}/manage/hours",
        data={
            "csrf_token": csrf,
            "timezone": "Asia/Tokyo",
            "open_2": "1",
            "start_2": "13:00",
            "end_2": "15:00",
            "exceptions": f"{day.isoformat()} closed",
            "buffer_minutes": "10",
            "min_notice_minutes": "60",
            "max_per_buyer": "3",
            "mode": "request",
            "request_hours": "24",
        },
    )
    assert good.status_code == 303, good.text
    hours = await session.scalar(select(BoothHours))
    assert (hours.weekly, hours.exceptions, hours.mode, hours.buffer_minutes) == (
        [{"weekday": 2, "start": "13:00", "end": "15:00"}],
        [{"date": day.isoformat(), "closed": True}],
        "request",
        10,
    )
    await session.rollback()
    await buyer(client, session, email="other@example.com")
    assert (await client.get(f"/booths/{booth['id']}/manage/hours")).status_code == 403


async def test_calendar_address_is_shown_once_and_can_be_stopped(client, session):
    await buyer(client, session)
    page = await client.get("/my/meetings?lang=en")
    made = await client.post("/my/meetings/calendar", data={"csrf_token": csrf_of(page.text)})
    address = re.search(r'class="feed-url" readonly value="([^"]+)"', made.text).group(1)
    path = address.removeprefix("http://127.0.0.1:8000")
    assert (await client.get(path)).status_code == 200
    again = await client.get("/my/meetings")
    assert address not in again.text  # only its hash is kept
    stopped = await client.post(
        "/my/meetings/calendar", data={"csrf_token": csrf_of(page.text), "action": "stop"}
    )
    assert stopped.status_code == 303
    assert (await client.get(path)).status_code == 404


async def test_buyer_says_they_are_coming_and_the_exhibitor_sees_it(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    booked = await book(client, booth["id"], at_tokyo(day, 10))
    room_url = f"/meetings/{booked.json()['id']}/room"
    html = (await client.get(f"{room_url}?lang=en")).text
    assert "Yes, I am coming" in html
    confirmed = await client.post(
        room_url.replace("/room", "/reconfirm"), data={"csrf_token": csrf_of(html)}
    )
    assert confirmed.status_code == 303
    html = (await client.get(room_url)).text
    assert "You confirmed that you are coming." in html and "Yes, I am coming" not in html
    await login(client, "kenji@tsubame.example")
    html = (await client.get(room_url)).text
    assert "The buyer confirmed that they are coming." in html
    assert "Release this time" not in html  # instant booking, and confirmed anyway


def next_free_of(html: str) -> str:
    found = re.search(r'<p class="next-free">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


async def test_directory_cards_show_each_booths_next_free_time_in_the_viewers_zone(client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)  # Ho Chi Minh City, two hours behind Tokyo
    directory = "/fairs/2027-06/booths?lang=en"
    card = next_free_of((await client.get(directory)).text)
    assert "Next free time" in card and "7:00\u202fAM" in card and "(Vietnam Time)" in card
    assert f"/booths/{booth['id']}/book?tz=Asia/Ho_Chi_Minh" in card
    assert (await book(client, booth["id"], at_tokyo(day, 9))).status_code == 201
    card = next_free_of((await client.get(directory)).text)
    assert "7:30\u202fAM" in card
    # Asked for another zone: the same slot in New York, the evening before (EST in December).
    card = next_free_of((await client.get(f"{directory}&tz=America/New_York")).text)
    assert "7:30\u202fPM" in card and "(United States (New York) Time)" in card
