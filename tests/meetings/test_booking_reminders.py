"""Before a fair takes bookings, its booking page says when it will (in the viewer's zone and
language) and a buyer can ask for a mail at that moment; the mail goes out once, in the
buyer's language, when the clock reaches the opening (both databases, a real SMTP sink)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booth_helpers import approve, create_booth, exhibitor
from helpers import login, make_user, read_scalar
from meeting_helpers import WEEKDAYS_9_TO_17, run_jobs
from sqlalchemy import func, select

from fair import clock
from fair.fairs.models import Fair
from fair.outbox import OutboxJob
from meetings.models import BookingReminder

HTML = {"accept": "text/html"}


@dataclass(frozen=True)
class Ahead:
    slug: str
    booking_opens_on: date
    ends_on: date


async def fair_ahead(session: Any, slug: str = "2027-09", opens_in: int = 10) -> Ahead:
    """A fair whose booking opens ``opens_in`` days from now (Tokyo), a month on."""
    today = clock.now().astimezone(ZoneInfo("Asia/Tokyo")).date()
    fair = Fair(
        slug=slug,
        title={"en": "Autumn Fair", "vi": "Hội chợ mùa thu"},
        starts_on=today + timedelta(days=opens_in + 28),
        ends_on=today + timedelta(days=opens_in + 30),
        booking_opens_on=today + timedelta(days=opens_in),
        timezone="Asia/Tokyo",
        status="published",
    )
    session.add(fair)
    await session.commit()
    return Ahead(slug, fair.booking_opens_on, fair.ends_on)


async def booth_in(client: Any, session: Any, fair: Ahead) -> dict[str, Any]:
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client, slug=fair.slug)
    hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
    assert (await client.put(f"/api/booths/{booth['id']}/availability", json=hours)).is_success
    await approve(client, session, booth["id"])
    return booth


def opening(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo("Asia/Tokyo"))


async def test_the_page_says_when_booking_opens_and_a_buyer_is_mailed_then_once(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    fair = await fair_ahead(session)
    booth = await booth_in(client, session, fair)
    await run_jobs(app, mail_context)  # the booth's approval notice
    inbox.messages.clear()

    # A visitor is told the day in their zone, and how to be reminded.
    client.cookies.clear()
    page = await client.get(f"/booths/{booth['id']}/book?tz=America/New_York", headers=HTML)
    opens_new_york = opening(fair.booking_opens_on).astimezone(ZoneInfo("America/New_York"))
    assert "Booking for this fair opens on" in page.text
    assert f"{opens_new_york:%B} {opens_new_york.day}, {opens_new_york.year}" in page.text
    assert f"{opens_new_york:%-I}:00" in page.text
    assert "Sign in as a buyer to be reminded by e-mail." in page.text
    assert "No free times are left" not in page.text

    await make_user(
        session, "buyer", "lan@saigon.example", locale="vi", timezone="Asia/Ho_Chi_Minh"
    )
    await login(client, "lan@saigon.example")
    asked = await client.post(f"/api/booths/{booth['id']}/booking-reminder")
    assert asked.status_code == 201, asked.text
    assert asked.json()["opens_at"] == opening(fair.booking_opens_on).isoformat()
    again = await client.post(f"/api/booths/{booth['id']}/booking-reminder")
    assert again.status_code == 200
    count = func.count()
    assert await read_scalar(session, select(count).select_from(BookingReminder)) == 1
    queued = await read_scalar(
        session, select(OutboxJob.available_at).where(OutboxJob.job == "send_booking_open_reminder")
    )
    assert queued == opening(fair.booking_opens_on)

    # Nothing before the opening; at the opening one mail, in Vietnamese, to the booth.
    assert await run_jobs(app, mail_context) == 0
    with clock.moved_to(opening(fair.booking_opens_on) + timedelta(minutes=1)):
        assert await run_jobs(app, mail_context) == 1
        assert await run_jobs(app, mail_context) == 0
    assert [m["To"] for m in inbox.messages] == ["lan@saigon.example"]
    mail = inbox.messages[0]
    assert "Hội chợ mùa thu" in str(mail["Subject"])
    text = mail.get_body(("plain",)).get_content()
    assert f"/booths/{booth['id']}/book" in text
    assert "Tsubame" in text


async def test_a_withdrawn_reminder_mails_nothing_and_asking_again_is_kept(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    fair = await fair_ahead(session)
    booth = await booth_in(client, session, fair)
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
    assert "Remind me by e-mail when booking opens" in page.text
    assert (await client.post(f"/api/booths/{booth['id']}/booking-reminder")).status_code == 201
    page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
    assert "We will e-mail you when booking opens." in page.text
    withdrawn = await client.delete(f"/api/booths/{booth['id']}/booking-reminder")
    assert withdrawn.status_code == 204
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    with clock.moved_to(opening(fair.booking_opens_on) + timedelta(minutes=1)):
        await run_jobs(app, mail_context)
    assert inbox.messages == []

    # Asked again before the opening: the first request's queued job sends it.
    fair2 = await fair_ahead(session, slug="2027-10")
    await login(client, "kenji@tsubame.example")
    booth2 = await create_booth(client, slug=fair2.slug)
    await approve(client, session, booth2["id"])
    await login(client, "lan@saigon.example")
    url = f"/api/booths/{booth2['id']}/booking-reminder"
    assert (await client.post(url)).status_code == 201
    assert (await client.delete(url)).status_code == 204
    assert (await client.post(url)).status_code == 201
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    with clock.moved_to(opening(fair2.booking_opens_on) + timedelta(minutes=1)):
        await run_jobs(app, mail_context)
    assert [m["To"] for m in inbox.messages] == ["lan@saigon.example"]


async def test_who_may_ask_and_when(client, session):
    fair = await fair_ahead(session)
    booth = await booth_in(client, session, fair)
    url = f"/api/booths/{booth['id']}/booking-reminder"
    client.cookies.clear()
    assert (await client.post(url)).status_code == 401
    await login(client, "kenji@tsubame.example")
    assert (await client.post(url)).status_code == 403  # an exhibitor books nothing
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    assert (await client.post("/api/booths/" + "x" * 40 + "/booking-reminder")).status_code == 404
    with clock.moved_to(opening(fair.booking_opens_on) + timedelta(hours=1)):
        opened = await client.post(url)
        assert (opened.status_code, opened.json()["error"]["code"]) == (409, "booking_open")
        page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
        assert "Booking for this fair opens on" not in page.text
    with clock.moved_to(opening(fair.ends_on) + timedelta(days=2)):
        await login(client, "lan@saigon.example")  # weeks later: the session has ended
        over = await client.post(url)
        assert (over.status_code, over.json()["error"]["code"]) == (409, "fair_over")
        page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
        assert "This fair is over." in page.text
    assert await read_scalar(session, select(func.count()).select_from(BookingReminder)) == 0
