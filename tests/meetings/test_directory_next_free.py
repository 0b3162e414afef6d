"""The directory's "next free time" on a booth's card moves the moment what it depends on
does: a booking, a cancel, new hours, a closed day, a request nobody answered in time, and
the clock itself (issue 19: the search behind the page is kept, the times never are)."""

from __future__ import annotations

import re
from datetime import timedelta

from helpers import login, make_client
from meeting_helpers import WEEKDAYS_9_TO_17, at_tokyo, book, booth_with_hours, buyer, next_weekday

from fair import clock

# Anonymous, in English, times in Tokyo: the card names the exhibitor's own hours.
DIRECTORY = "/fairs/2027-06/booths?lang=en&tz=Asia/Tokyo"


def card_of(html: str) -> str:
    card = re.search(r'<p class="next-free">(.*?)</p>', html, re.S)
    return card.group(1) if card else ""


def next_free(html: str) -> str:
    """The card's next free time, e.g. "9:30 AM", or "" when the card shows none."""
    found = re.search(r"(\d{1,2}:\d\d\s[AP]M)", card_of(html))
    return found.group(1).replace("\u202f", " ") if found else ""


async def shown(app) -> str:
    """The next free time a visitor who is not signed in sees."""
    async with make_client(app) as visitor:
        page = await visitor.get(DIRECTORY)
    assert page.status_code == 200, page.text
    return next_free(page.text)


async def test_a_booking_a_cancel_and_new_hours_show_on_the_next_page(app, client, session):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    assert await shown(app) == "9:00 AM"
    assert await shown(app) == "9:00 AM"  # asked again: the same

    await buyer(client, session)
    booked = await book(client, booth["id"], at_tokyo(day, 9))
    assert booked.status_code == 201, booked.text
    assert await shown(app) == "9:30 AM"

    cancelled = await client.post(
        f"/api/meetings/{booked.json()['id']}/cancel", json={"reason": "Plans changed"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await shown(app) == "9:00 AM"

    await login(client, "kenji@tsubame.example")
    later = [{**rule, "start": "10:30"} for rule in WEEKDAYS_9_TO_17]
    hours = {"timezone": "Asia/Tokyo", "weekly": later, "min_notice_minutes": 0}
    changed = await client.put(f"/api/booths/{booth['id']}/availability", json=hours)
    assert changed.status_code == 200, changed.text
    assert await shown(app) == "10:30 AM"

    # The day closed: the next weekday's first slot (the fair runs a week).
    closed = {**hours, "exceptions": [{"date": day.isoformat(), "closed": True}]}
    changed = await client.put(f"/api/booths/{booth['id']}/availability", json=closed)
    assert changed.status_code == 200, changed.text
    async with make_client(app) as visitor:
        page = await visitor.get(DIRECTORY)
    assert next_free(page.text) == "10:30 AM"
    following = next_weekday(after_days=(day - clock.now().date()).days + 1)
    assert following.strftime("%B %-d,") in card_of(page.text)
    assert day.strftime("%B %-d,") not in card_of(page.text)


async def test_time_passing_moves_the_next_free_time(app, client, session, stopped_clock):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, mode="request", request_hours=24)
    await buyer(client, session)
    asked = await book(client, booth["id"], at_tokyo(day, 9))
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "requested"
    assert await shown(app) == "9:30 AM"  # a request holds its time...
    stopped_clock.advance(timedelta(hours=25))
    assert await shown(app) == "9:00 AM"  # ...until nobody has answered it in time

    # On the day itself, a slot that has begun is no longer offered.
    stopped_clock.at(clock.parse_instant(at_tokyo(day, 9, 5)))
    assert await shown(app) == "9:30 AM"


async def test_a_full_day_counts_its_meetings_already_over(app, client, session, stopped_clock):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, max_per_day=2)
    await buyer(client, session)
    for hour in (9, 11):
        booked = await book(client, booth["id"], at_tokyo(day, hour))
        assert booked.status_code == 201, booked.text
    # Ten o'clock on the day: its first meeting is over, the second to come; the day is
    # full all the same, on the card as for booking.
    stopped_clock.at(clock.parse_instant(at_tokyo(day, 10)))
    following = next_weekday(after_days=1)
    async with make_client(app) as visitor:
        page = await visitor.get(DIRECTORY)
        asked = await visitor.get(f"/api/booths/{booth['id']}/slots?tz=Asia/Tokyo&order=time")
    assert next_free(page.text) == "9:00 AM"
    assert following.strftime("%B %-d,") in card_of(page.text)
    assert day.strftime("%B %-d,") not in card_of(page.text)
    assert asked.json()["slots"][0]["start"] == f"{following.isoformat()}T09:00+09:00"
