"""Builders the meeting tests share: a fair with a booth that has meeting hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booth_helpers import approve, create_booth, exhibitor
from helpers import login, make_user

from fair import clock, outbox
from fair.fairs.models import Fair
from fair.resources import of_app
from kakehashi import jobs
from meetings.models import Meeting, MeetingStatus

WEEKDAYS_9_TO_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)]


async def fair_between(session: Any, slug: str, first: date, last: date) -> Fair:
    fair = Fair(
        slug=slug,
        title={"en": f"Fair {slug}"},
        starts_on=first,
        ends_on=last,
        booking_opens_on=min(clock.now().date(), first),
        timezone="Asia/Tokyo",
        slot_minutes=30,
        status="published",
    )
    session.add(fair)
    await session.commit()
    return fair


def next_weekday(after_days: int = 20) -> date:
    day = clock.now().date() + timedelta(days=after_days)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


async def booth_with_hours(
    client: Any,
    session: Any,
    *,
    slug: str = "2027-06",
    first: date | None = None,
    last: date | None = None,
    **hours: Any,
) -> dict[str, Any]:
    """An approved booth of exhibitor kenji@tsubame.example with Tokyo weekday hours."""
    first = first or next_weekday()
    await fair_between(session, slug, first, last or first + timedelta(days=7))
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client, slug=slug)
    body = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
    response = await client.put(f"/api/booths/{booth['id']}/availability", json={**body, **hours})
    assert response.status_code == 200, response.text
    await approve(client, session, booth["id"])
    return booth


async def buyer(client: Any, session: Any, email: str = "lan@saigon.example", **extra: Any) -> Any:
    extra.setdefault("timezone", "Asia/Ho_Chi_Minh")
    extra.setdefault("country", "VN")
    user = await make_user(session, "buyer", email, **extra)
    await login(client, email)
    return user


async def lan(session: Any, **extra: Any) -> Any:
    """Lan, a Vietnamese buyer of Saigon Trading who reads Vietnamese (not signed in)."""
    for key, value in LAN.items():
        extra.setdefault(key, value)
    return await make_user(session, "buyer", "lan@saigon.example", **extra)


LAN = {"name": "Nguyễn Thị Lan", "company": "Saigon Trading", "country": "VN", "locale": "vi"}


def at_tokyo(day: date, hour: int, minute: int = 0) -> str:
    """An ISO start with Tokyo's offset, as a client sends it."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo"))
    return moment.isoformat()


async def book(client: Any, booth_id: str, start: str, **extra: Any) -> Any:
    return await client.post("/api/meetings", json={"booth_id": booth_id, "start": start, **extra})


async def meeting_at(session: Any, booth_id: str, buyer_id: str, starts_in: timedelta) -> Meeting:
    """A confirmed 30-minute meeting starting ``starts_in`` from now (booking's own rules,
    notice and hours, are tested elsewhere; here only the clock matters)."""
    start = (clock.now() + starts_in).replace(microsecond=0)
    meeting = Meeting(
        booth_id=booth_id,
        buyer_id=buyer_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=MeetingStatus.CONFIRMED,
        confirmed_at=start - timedelta(days=7),
        buyer_timezone="Asia/Ho_Chi_Minh",
    )
    session.add(meeting)
    await session.commit()
    return meeting


async def run_jobs(app: Any, ctx: dict[str, Any]) -> int:
    """Run the jobs that are due now through the in-process relay; returns how many ran."""
    return await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, ctx)
