"""The meetings' part of a person's data (``fair.accounts.personal``): the meetings they
took part in, as they could see them, and the chat lines they wrote. On deletion the
meetings stay, counted in the conversion report as before, but their future ones are
cancelled the usual way (the other side is mailed) and what they wrote is erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock
from fair.accounts.models import User
from fair.accounts.personal import DataPart, PersonalData, columns
from meetings import changes
from meetings.hosting import colleagues, hand_over
from meetings.models import (
    ACTIVE,
    BookingReminder,
    BoothHours,
    BuyerFeedback,
    CalendarFeed,
    ChatMessage,
    Meeting,
    Outcome,
)

# What each side sees of a meeting (as the meeting pages show it).
_SHARED = (
    "id",
    "booth_id",
    "starts_at",
    "ends_at",
    "status",
    "source",
    "buyer_timezone",
    "interpreter_language",
    "note",
    "cancel_reason",
    "attendance",
    "created_at",
)


def _side(user: User, meeting: Meeting, booth: Booth) -> str:
    if meeting.buyer_id == user.id:
        return "buyer"
    return "exhibitor" if booth.owner_id == user.id else "interpreter"


async def export(session: AsyncSession, user: User) -> DataPart:
    rows = (
        await session.execute(
            select(Meeting, Booth)
            .join(Booth, Booth.id == Meeting.booth_id)
            .where(
                or_(
                    Meeting.buyer_id == user.id,
                    Meeting.interpreter_id == user.id,
                    Booth.owner_id == user.id,
                )
            )
            .order_by(Meeting.starts_at)
        )
    ).all()
    ids = [meeting.id for meeting, _ in rows]
    feedback = {
        row.meeting_id: row
        for row in await session.scalars(
            select(BuyerFeedback).where(BuyerFeedback.meeting_id.in_(ids))
        )
    }
    outcomes: dict[str, list[Outcome]] = {}
    for outcome in await session.scalars(
        select(Outcome).where(Outcome.meeting_id.in_(ids)).order_by(Outcome.recorded_at)
    ):
        outcomes.setdefault(outcome.meeting_id, []).append(outcome)
    meetings: list[dict[str, Any]] = []
    for meeting, booth in rows:
        side = _side(user, meeting, booth)
        shown: dict[str, Any] = {
            **{name: getattr(meeting, name) for name in _SHARED},
            "your_side": side,
            "company": booth.company,
        }
        if side == "buyer" and meeting.id in feedback:
            shown["your_feedback"] = columns(feedback[meeting.id], leave=("meeting_id",))
        if side == "exhibitor":
            # The negotiation's history is the exhibitor's own record.
            shown["stage"] = meeting.stage
            shown["outcomes"] = [
                columns(o, leave=("meeting_id", "recorded_by"))
                for o in outcomes.get(meeting.id, [])
            ]
        meetings.append(shown)
    chat = await session.scalars(
        select(ChatMessage).where(ChatMessage.user_id == user.id).order_by(ChatMessage.sent_at)
    )
    return DataPart(
        sections={
            "meetings": meetings,
            "chat_lines": [
                {"meeting_id": c.meeting_id, "sent_at": c.sent_at, "text": c.body} for c in chat
            ],
        }
    )


async def erase(session: AsyncSession, user: User) -> None:
    """Future meetings cancelled (``changes.cancel``: holds freed, both sides mailed — the
    person's own mail goes nowhere once the account is closed), except those they hosted for
    a company with other people, which a colleague takes over (``hosting.hand_over``); an
    interpreter leaves the meetings to come; the meeting hours of their booths with nobody
    else in the company go (nobody is left to meet there); the
    text of their chat lines, their notes, reasons and feedback, their calendar feed and
    booking reminders go. The meetings themselves, their attendance and
    outcomes stay: the report counts them."""
    now = clock.now()
    future = await session.execute(
        select(Meeting.id, Meeting.buyer_id, Booth)
        .join(Booth, Booth.id == Meeting.booth_id)
        .where(
            or_(
                Meeting.buyer_id == user.id,
                func.coalesce(Meeting.host_id, Booth.owner_id) == user.id,
            ),
            Meeting.status.in_(ACTIVE),
            Meeting.ends_at > now,
        )
        .order_by(Meeting.starts_at)
    )
    for meeting_id, buyer_id, booth in future.all():
        # A meeting the person hosted for a company with other people goes to a colleague
        # (mailed as any handover); with no one left to meet the buyer, it is cancelled.
        stand_ins = [c for c in await colleagues(session, booth) if c.id != user.id]
        if buyer_id != user.id and stand_ins:
            await hand_over(
                session, actor=user, meeting_id=meeting_id, user_id=stand_ins[0].id, now=now
            )
        else:
            await changes.cancel(session, actor=user, meeting_id=meeting_id, reason="", now=now)
    await session.execute(
        update(Meeting)
        .where(
            Meeting.interpreter_id == user.id,
            Meeting.status.in_(ACTIVE),
            Meeting.ends_at > now,
        )
        .values(interpreter_id=None)
    )
    await session.execute(update(ChatMessage).where(ChatMessage.user_id == user.id).values(body=""))
    await session.execute(update(Meeting).where(Meeting.buyer_id == user.id).values(note=""))
    await session.execute(
        update(Meeting).where(Meeting.cancelled_by == user.id).values(cancel_reason="")
    )
    await session.execute(
        update(Meeting)
        .where(Meeting.attendance_claimed_by == user.id)
        .values(attendance_claim_reason="")
    )
    await session.execute(
        delete(BuyerFeedback).where(
            BuyerFeedback.meeting_id.in_(select(Meeting.id).where(Meeting.buyer_id == user.id))
        )
    )
    # Booths of a company with nobody else stay as the fair's history, but nobody is there
    # to meet: no new bookings. A company with other people keeps its booths' hours.
    alone = [
        booth.id
        for booth in await session.scalars(select(Booth).where(Booth.owner_id == user.id))
        if not [c for c in await colleagues(session, booth) if c.id != user.id]
    ]
    if alone:
        await session.execute(delete(BoothHours).where(BoothHours.booth_id.in_(alone)))
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    await session.execute(delete(BookingReminder).where(BookingReminder.user_id == user.id))


PART = PersonalData(export=export, erase=erase)
