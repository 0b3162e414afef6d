"""The meeting's video room: who may join and when, the visits the signaling service reports,
the chat kept with the meeting, and the attendance they decide (held or a no-show), with a
dispute by either side and an organizer's settlement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booths.models import Booth
from fair import clock, ratelimit
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.config import Settings
from fair.errors import BadRequest, Forbidden, TooManyRequests
from fair.i18n import lazy
from meetings import attendance as rules
from meetings import events
from meetings.access import host_of, load_meeting
from meetings.errors import WrongState
from meetings.models import (
    Attendance,
    ChatMessage,
    Meeting,
    MeetingStatus,
    RoomVisit,
    Side,
)
from meetings.outcomes import queue_outcome_requests
from signaling.tokens import Grant

MAX_CHAT_CHARS = 2000
# Lines one account may post a minute, over all its rooms: far above typing, far below a
# script flooding the other side (and the table).
CHAT_LINES_PER_MINUTE = 30
CHAT_WINDOW = timedelta(minutes=1)


class OutsideJoinWindow(Forbidden):
    code = "outside_join_window"
    message = lazy("The video room is not open now.")


class ChatRateLimited(TooManyRequests):
    code = "chat_rate_limited"
    message = lazy("You are sending messages too fast. Please wait a moment.")


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


def join_window(meeting: Meeting, settings: Settings) -> Window:
    return Window(
        meeting.starts_at - timedelta(minutes=settings.join_early_minutes),
        meeting.ends_at + timedelta(minutes=settings.join_grace_minutes),
    )


def side_of(user: User, meeting: Meeting, booth: Booth) -> Side | None:
    if user.id == host_of(meeting, booth):  # the company's member who meets the buyer
        return Side.EXHIBITOR
    if user.id == meeting.buyer_id:
        return Side.BUYER
    if meeting.interpreter_id and user.id == meeting.interpreter_id:
        return Side.INTERPRETER
    return None


async def participant(
    session: AsyncSession, meeting_id: str, actor: User | None
) -> tuple[Meeting, Booth, User, Side]:
    """The meeting and the actor's side in it; organizers may look but are not in the room."""
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    user = require_user(actor)
    side = side_of(user, meeting, booth)
    if side is None:
        raise Forbidden(lazy("Only the meeting's participants can enter its room."))
    return meeting, booth, user, side


async def admit(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    settings: Settings,
    now: datetime | None = None,
) -> tuple[Meeting, User, Side, Window]:
    """A participant of a confirmed meeting, inside its join window."""
    now = now or clock.now()
    meeting, _booth, user, side = await participant(session, meeting_id, actor)
    if meeting.status != MeetingStatus.CONFIRMED:
        raise WrongState(lazy("Only a confirmed meeting has a video room."))
    window = join_window(meeting, settings)
    if now < window.opens_at:
        raise OutsideJoinWindow(
            lazy("The video room opens %(minutes)s minutes before the start."),
            minutes=settings.join_early_minutes,
        )
    if now > window.closes_at:
        raise OutsideJoinWindow(lazy("This meeting is over; its video room is closed."))
    return meeting, user, side, window


# Visits and attendance ----------------------------------------------------------------------


async def _visits(session: AsyncSession, meeting_id: str) -> list[rules.Visit]:
    rows = await session.execute(
        select(RoomVisit.side, RoomVisit.joined_at, RoomVisit.left_at).where(
            RoomVisit.meeting_id == meeting_id
        )
    )
    return [rules.Visit(side, joined, left) for side, joined, left in rows.all()]


async def _judge(
    session: AsyncSession, meeting: Meeting, settings: Settings, now: datetime, final: bool
) -> Attendance | None:
    """Record what the visits say, unless an organizer has already settled it."""
    if meeting.attendance_settled_by is not None:
        return None
    visits = await _visits(session, meeting.id)
    meeting.together_seconds = int(rules.together(visits, now).total_seconds())
    found = rules.verdict(
        visits, now=now, held_after=timedelta(minutes=settings.held_minutes), final=final
    )
    if found is not None and meeting.attendance != Attendance.HELD:
        changed = meeting.attendance != found
        meeting.attendance = found
        meeting.attendance_decided_at = now
        if found == Attendance.HELD:
            await queue_outcome_requests(session, meeting)
        if changed:
            await session.flush()
            await events.publish_attendance(session, meeting)
    await session.flush()
    return found


async def record_join(
    session: AsyncSession,
    *,
    meeting_id: str,
    user_id: str,
    side: str,
    peer_id: str,
    at: datetime,
) -> None:
    session.add(
        RoomVisit(meeting_id=meeting_id, user_id=user_id, side=side, peer_id=peer_id, joined_at=at)
    )
    await session.flush()


async def record_leave(
    session: AsyncSession, *, meeting_id: str, peer_id: str, at: datetime, settings: Settings
) -> None:
    """A visit ends; the meeting counts as held as soon as the sides were together enough."""
    await session.execute(
        update(RoomVisit)
        .where(RoomVisit.peer_id == peer_id, RoomVisit.left_at.is_(None))
        .values(left_at=at)
    )
    meeting = await session.get(Meeting, meeting_id)
    if meeting is not None and meeting.status == MeetingStatus.CONFIRMED:
        await _judge(session, meeting, settings, at, final=False)


async def decide(
    session: AsyncSession, meeting_id: str, sequence: int, settings: Settings, now: datetime
) -> Attendance | None:
    """When the room has closed: held, or who did not come. A meeting moved since the
    decision was queued (another SEQUENCE) waits for its own."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.sequence != sequence:
        return None
    if meeting.status != MeetingStatus.CONFIRMED:
        return None
    if now < join_window(meeting, settings).closes_at:
        return None
    return await _judge(session, meeting, settings, now, final=True)


async def claim(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    status: Attendance,
    reason: str,
    now: datetime | None = None,
) -> Meeting:
    """A participant disputes the recorded attendance; an organizer settles it instead."""
    now = now or clock.now()
    user = require_user(actor)
    if user.has_role(Role.ORGANIZER):
        meeting, _booth = await load_meeting(session, meeting_id, actor=actor)
        if meeting.status != MeetingStatus.CONFIRMED or meeting.ends_at > now:
            raise WrongState(lazy("Attendance is settled after the meeting's time."))
        if status == Attendance.HELD and meeting.attendance != Attendance.HELD:
            await queue_outcome_requests(session, meeting)
        changed = meeting.attendance != status
        meeting.attendance = status
        meeting.attendance_decided_at = now
        meeting.attendance_settled_by = user.id
        meeting.attendance_claim = None
        await session.flush()
        if changed:
            await events.publish_attendance(session, meeting)
        return meeting
    meeting, _booth, user, side = await participant(session, meeting_id, actor)
    if side == Side.INTERPRETER:
        raise Forbidden(lazy("Only the exhibitor or the buyer can dispute attendance."))
    if meeting.attendance is None or meeting.attendance_settled_by is not None:
        raise WrongState(lazy("There is no recorded attendance to dispute."))
    if status == meeting.attendance:
        raise BadRequest(lazy("This is already the recorded attendance."), field="status")
    if not reason:
        raise BadRequest(lazy("Tell the organizers what happened."), field="reason")
    meeting.attendance_claim = status
    meeting.attendance_claim_reason = reason
    meeting.attendance_claimed_by = user.id
    await session.flush()
    return meeting


# Chat ---------------------------------------------------------------------------------------


async def chat_history(
    session: AsyncSession, *, actor: User | None, meeting_id: str
) -> list[tuple[ChatMessage, str]]:
    # The room's conversation is the participants' own: organizers may see the meeting,
    # not what was said in it.
    meeting, _booth, _user, _side = await participant(session, meeting_id, actor)
    rows = await session.execute(
        select(ChatMessage, User.name)
        .outerjoin(User, User.id == ChatMessage.user_id)
        .where(ChatMessage.meeting_id == meeting.id)
        .order_by(ChatMessage.sent_at, ChatMessage.id)
    )
    return [(message, name or "") for message, name in rows.all()]


async def post_chat(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    body: str,
    settings: Settings,
    now: datetime | None = None,
) -> ChatMessage:
    """A chat line from the room, kept for both sides; only while the room is open, and
    at most ``CHAT_LINES_PER_MINUTE`` a minute from one account (429 with Retry-After)."""
    meeting, user, side, _window = await admit(
        session, actor=actor, meeting_id=meeting_id, settings=settings, now=now
    )
    require_verified(user)
    now = now or clock.now()
    allowed_at = await ratelimit.blocked_until(
        session,
        ChatMessage.sent_at,
        ChatMessage.user_id == user.id,
        limit=CHAT_LINES_PER_MINUTE,
        window=CHAT_WINDOW,
        now=now,
    )
    if allowed_at is not None:
        raise ChatRateLimited(retry_after=ratelimit.seconds_until(allowed_at, now))
    message = ChatMessage(meeting_id=meeting.id, user_id=user.id, side=side, body=body, sent_at=now)
    session.add(message)
    await session.flush()
    # Who wrote and when, not what: the conversation is the participants' own.
    await events.publish(
        session,
        "message.received",
        meeting,
        message_id=message.id,
        sender_id=user.id,
        side=side,
        sent_at=now.isoformat(),
    )
    return message


def attendance_recorder(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Callable[[str, Grant, str, datetime], Awaitable[None]]:
    """The signaling service's ``on_event``: each join and leave becomes a visit row."""

    async def on_event(kind: str, grant: Grant, peer_id: str, at: datetime) -> None:
        async with sessionmaker() as session, session.begin():
            if kind == "join":
                await record_join(
                    session,
                    meeting_id=grant.meeting_id,
                    user_id=grant.user_id,
                    side=grant.role,
                    peer_id=peer_id,
                    at=at,
                )
            else:
                await record_leave(
                    session, meeting_id=grant.meeting_id, peer_id=peer_id, at=at, settings=settings
                )

    return on_event


async def disputes(
    session: AsyncSession, *, actor: User | None
) -> list[tuple[Meeting, Booth, str]]:
    """Meetings whose recorded attendance a participant disputes, with who disputes it,
    oldest first (organizers)."""
    require_role(actor, Role.ORGANIZER)
    rows = await session.execute(
        select(Meeting, Booth, User.name)
        .join(Booth, Booth.id == Meeting.booth_id)
        .outerjoin(User, User.id == Meeting.attendance_claimed_by)
        .where(Meeting.attendance_claim.is_not(None), Meeting.attendance_settled_by.is_(None))
        .order_by(Meeting.starts_at)
    )
    return [(meeting, booth, name or "") for meeting, booth, name in rows.all()]


async def open_disputes(session: AsyncSession, actor: User) -> int:
    """How many disputed attendance records wait for an organizer (the desk)."""
    require_role(actor, Role.ORGANIZER)
    found = await session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.attendance_claim.is_not(None), Meeting.attendance_settled_by.is_(None))
    )
    return int(found or 0)
