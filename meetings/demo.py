"""Demo meeting hours and bookings for ``fair demo``: next month's booths publish hours, and
the demo buyers have booked some of them (so My meetings, invites and mails have content)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, BoothStatus
from fair import demo_data
from fair.accounts.models import User
from fair.errors import DomainError
from fair.fairs.models import Fair
from meetings import service
from meetings.models import BoothHours, Meeting

WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)]
LUNCH_BREAK = [
    rule
    for d in range(1, 6)
    for rule in (
        {"weekday": d, "start": "09:00", "end": "12:00"},
        {"weekday": d, "start": "13:00", "end": "17:00"},
    )
]
# (buyer index in demo_data.BUYERS, exhibitor index, fair day, Tokyo hour, interpreter)
BOOKINGS = [
    (0, 0, 0, 10, None),
    (1, 4, 0, 11, "zh_Hant"),
    (2, 3, 0, 14, None),
    (4, 6, 1, 10, "vi"),
    (5, 1, 1, 15, None),
    (6, 10, 1, 11, None),
    (8, 4, 2, 9, None),
    (10, 8, 2, 16, None),
]


async def load_meetings(session: AsyncSession, *, fair: Fair, now: datetime) -> int:
    """Hours for the fair's approved booths, then the demo bookings. Returns how many
    meetings were booked (none when the fair already has meetings)."""
    booths = list(
        (
            await session.scalars(
                select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.created_at)
            )
        ).all()
    )
    for number, booth in enumerate(booths):
        if await session.get(BoothHours, booth.id) is None:
            session.add(
                BoothHours(
                    booth_id=booth.id,
                    timezone="Asia/Tokyo",
                    weekly=LUNCH_BREAK if number % 3 == 1 else WEEKDAYS,
                    exceptions=[],
                    buffer_minutes=10 if number % 2 else 0,
                    min_notice_minutes=12 * 60,
                    max_per_buyer=2,
                    mode="request" if number % 5 == 4 else "instant",
                    request_hours=48,
                )
            )
    await session.flush()
    existing = await session.scalar(
        select(func.count())
        .select_from(Meeting)
        .join(Booth, Booth.id == Meeting.booth_id)
        .where(Booth.fair_id == fair.id)
    )
    if existing:
        return 0
    by_owner = {booth.owner_id: booth for booth in booths if booth.status == BoothStatus.APPROVED}
    booked = 0
    for buyer_index, exhibitor_index, day, hour, interpreter in BOOKINGS:
        buyer = await session.scalar(
            select(User).where(User.email == demo_data.BUYERS[buyer_index]["email"])
        )
        owner = await session.scalar(
            select(User).where(User.email == demo_data.EXHIBITORS[exhibitor_index]["email"])
        )
        booth = by_owner.get(owner.id) if owner else None
        if buyer is None or booth is None:
            continue
        start = datetime.combine(
            fair.starts_on + timedelta(days=day), time(hour), tzinfo=ZoneInfo("Asia/Tokyo")
        )
        try:
            async with session.begin_nested():
                await service.book(
                    session,
                    actor=buyer,
                    booth_id=booth.id,
                    start=start,
                    interpreter_language=interpreter,
                    now=now,
                )
        except DomainError:
            continue  # e.g. the fair is not open for booking at this date: no demo meeting
        booked += 1
    return booked
