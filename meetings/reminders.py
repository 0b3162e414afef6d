""" "Tell me when booking opens": a buyer on the booking page of a fair that does not take
bookings yet asks for a mail at the moment it opens; the mail leads back to that booth."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.service import load_booth
from fair import clock, outbox
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.errors import Conflict
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.i18n import lazy
from meetings.models import BookingReminder

JOB = "send_booking_open_reminder"


class BookingAlreadyOpen(Conflict):
    code = "booking_open"
    message = lazy("Booking for this fair is open already: choose a time.")


class FairOver(Conflict):
    code = "fair_over"
    message = lazy("This fair is over.")


def booking_opens_at(fair: Fair) -> datetime:
    """The instant booking opens: midnight of its first day, in the fair's zone."""
    return datetime.combine(fair.booking_opens_on, time(0), tzinfo=ZoneInfo(fair.timezone))


def job_key(fair_id: str, user_id: str) -> str:
    """One mail per buyer and fair, ever: asking again after withdrawing finds the job of
    the first request still queued, which sends if a reminder exists when booking opens."""
    return f"booking-open:{fair_id}:{user_id}"


async def find_reminder(
    session: AsyncSession, user: User | None, fair: Fair
) -> BookingReminder | None:
    if user is None:
        return None
    return await session.scalar(
        select(BookingReminder).where(
            BookingReminder.user_id == user.id, BookingReminder.fair_id == fair.id
        )
    )


async def ask(
    session: AsyncSession, *, actor: User | None, booth_id: str, now: datetime | None = None
) -> tuple[BookingReminder, Fair, bool]:
    """A buyer asks to be mailed when booking opens for the booth's fair. Returns the
    reminder, its fair and whether it is new (asking twice keeps the first). Raises
    BookingAlreadyOpen, FairOver, Forbidden (not a buyer), BoothNotFound."""
    now = now or clock.now()
    buyer = require_verified(require_role(require_user(actor), Role.BUYER))  # it is a mail
    booth = await load_booth(session, booth_id, viewer=buyer)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    phase = phase_of(fair, now)
    if phase == Phase.CLOSED:
        raise FairOver()
    if phase != Phase.REGISTRATION:
        raise BookingAlreadyOpen()
    existing = await find_reminder(session, buyer, fair)
    if existing is not None:
        return existing, fair, False
    reminder = BookingReminder(user_id=buyer.id, fair_id=fair.id, booth_id=booth.id)
    session.add(reminder)
    await session.flush()
    await outbox.enqueue(
        session,
        JOB,
        key=job_key(fair.id, buyer.id),
        run_at=booking_opens_at(fair),
        fair_id=fair.id,
        user_id=buyer.id,
    )
    return reminder, fair, True


async def withdraw(session: AsyncSession, *, actor: User | None, booth_id: str) -> None:
    """The buyer no longer wants the mail (its queued job then finds nothing to send)."""
    user = require_user(actor)
    booth = await load_booth(session, booth_id, viewer=user)
    await session.execute(
        delete(BookingReminder).where(
            BookingReminder.user_id == user.id, BookingReminder.fair_id == booth.fair_id
        )
    )
