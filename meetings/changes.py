"""A booked meeting's changes: cancel, reschedule, an interpreter, the exhibitor's answer to
a request, the buyer's reconfirmation and the exhibitor's release. Each re-holds its time
or frees it through the booking module's holds and announces the change to everyone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import can_manage
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user
from fair.errors import BadRequest, Forbidden
from fair.fairs.models import Fair
from fair.i18n import lazy
from meetings import events
from meetings import slots as slot_maths
from meetings.access import is_participant, load_meeting
from meetings.booking import (
    announce,
    check_buyer,
    drop_holds,
    expire,
    refuse,
    rehold,
    resolve_start,
    taken,
)
from meetings.errors import NotBookable, SlotTaken, WrongState
from meetings.hours import availability_of, get_hours
from meetings.jobs import (
    RECONFIRM_HOURS,
    queue_mails,
)
from meetings.models import (
    ACTIVE,
    Meeting,
    MeetingStatus,
)

RECONFIRM_WINDOW = timedelta(hours=RECONFIRM_HOURS)


async def _movable(
    session: AsyncSession, actor: User | None, meeting_id: str, now: datetime
) -> tuple[Meeting, Booth, User]:
    """The meeting, its booth and the participant who cancels or moves it: either side may,
    the interpreter may not, and only while the meeting is active and not over."""
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    user = require_user(actor)
    if not is_participant(user, meeting, booth) or user.id == meeting.interpreter_id:
        raise Forbidden()
    if meeting.status not in ACTIVE or meeting.ends_at <= now:
        raise WrongState()
    return meeting, booth, user


async def cancel(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    reason: str,
    now: datetime | None = None,
) -> Meeting:
    """Either side cancels; the holds go, so the slot can be booked again."""
    now = now or clock.now()
    meeting, booth, user = await _movable(session, actor, meeting_id, now)
    await drop_holds(session, meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.cancelled_by = user.id
    meeting.sequence += 1
    await session.flush()
    await queue_mails(session, meeting, booth, "cancelled")
    if meeting.confirmed_at is not None:
        # A request never confirmed was never announced as booked.
        await events.publish(session, "meeting.cancelled", meeting, booth)
    return meeting


async def reschedule(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    start: datetime,
    timezone: str | None,
    now: datetime | None = None,
) -> Meeting:
    """Move a meeting to another free slot of the same booth; the invite keeps its UID and
    its SEQUENCE goes up."""
    now = now or clock.now()
    meeting, booth, _user = await _movable(session, actor, meeting_id, now)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    hours = await get_hours(session, booth)
    availability = availability_of(hours, fair)
    starts_at = resolve_start(start, timezone)
    ends_at = starts_at + availability.slot
    found = await taken(
        session,
        booth_id=booth.id,
        buyer_id=meeting.buyer_id,
        start=starts_at,
        end=ends_at,
        now=now,
        ignore=meeting.id,
    )
    await expire(session, found.stale, now)  # everywhere: stale holds of this buyer too
    reason = slot_maths.refusal(availability, slot_start=starts_at, now=now, busy=found.at_booth)
    if reason is not None:
        refuse(reason, hours)
    check_buyer(found, hours)
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    # A "yes, I'm coming" was for the old time; the new time's reminder asks again.
    meeting.attendance_asked_at = meeting.attendance_confirmed_at = None
    await rehold(session, meeting, hours.buffer_minutes)
    await announce(session, meeting, booth, "rescheduled", now)
    if meeting.status == MeetingStatus.CONFIRMED:
        await events.publish(session, "meeting.rescheduled", meeting, booth)
    return meeting


async def assign_interpreter(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    interpreter_id: str | None,
    now: datetime | None = None,
) -> Meeting:
    """An organizer puts an interpreter on a meeting (or takes them off). The interpreter's
    own holds keep them from two meetings at once; the invite goes out again to everyone."""
    now = now or clock.now()
    require_role(actor, Role.ORGANIZER)
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    if meeting.status not in ACTIVE or meeting.ends_at <= now:
        raise WrongState()
    if interpreter_id:
        interpreter = await session.get(User, interpreter_id) if len(interpreter_id) <= 32 else None
        if interpreter is None or interpreter.role != Role.INTERPRETER:
            raise BadRequest(lazy("Choose one of the programme's interpreters."), field="user_id")
        wanted = meeting.interpreter_language
        if wanted and wanted not in (interpreter.languages or []):
            raise BadRequest(
                lazy("This interpreter does not work in the language the meeting needs."),
                field="user_id",
            )
    hours = await get_hours(session, booth)
    meeting.interpreter_id = interpreter_id or None
    try:
        await rehold(session, meeting, hours.buffer_minutes)
    except SlotTaken:
        raise NotBookable(
            lazy("This interpreter already has a meeting at this time."), field="user_id"
        ) from None
    await announce(session, meeting, booth, "rescheduled", now)
    return meeting


async def answer_request(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    accept: bool,
    now: datetime | None = None,
) -> Meeting:
    """The exhibitor confirms or declines a requested meeting before it expires."""
    now = now or clock.now()
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    if not can_manage(actor, booth):
        raise Forbidden()
    expired = meeting.expires_at is not None and meeting.expires_at <= now
    if meeting.status != MeetingStatus.REQUESTED or expired:
        raise WrongState()
    if accept:
        meeting.status = MeetingStatus.CONFIRMED
        meeting.confirmed_at = now
        meeting.expires_at = None
        await session.flush()
        await announce(session, meeting, booth, "confirmed", now)
        await events.publish(session, "meeting.booked", meeting, booth)
    else:
        await drop_holds(session, meeting)
        meeting.status = MeetingStatus.DECLINED
        meeting.sequence += 1
        await session.flush()
        await queue_mails(session, meeting, booth, "declined")
    return meeting


# Reconfirmation -----------------------------------------------------------------------------


def releasable(meeting: Meeting, now: datetime) -> bool:
    """A confirmed request whose buyer was asked to reconfirm and has not, with the answer
    time over: the exhibitor may give the time back to other buyers."""
    return (
        meeting.status == MeetingStatus.CONFIRMED
        and meeting.by_request
        and meeting.attendance_confirmed_at is None
        and meeting.attendance_asked_at is not None
        and now >= meeting.attendance_asked_at + RECONFIRM_WINDOW
        and now < meeting.starts_at
    )


async def confirm_attendance(
    session: AsyncSession, *, actor: User | None, meeting_id: str, now: datetime | None = None
) -> Meeting:
    """The buyer says they are coming; saying it twice changes nothing."""
    now = now or clock.now()
    meeting, _booth = await load_meeting(session, meeting_id, actor=actor)
    if require_user(actor).id != meeting.buyer_id:
        raise Forbidden(lazy("Only the buyer confirms that they are coming."))
    if meeting.status != MeetingStatus.CONFIRMED or meeting.ends_at <= now:
        raise WrongState()
    if meeting.attendance_confirmed_at is None:
        meeting.attendance_confirmed_at = now
        await session.flush()
    return meeting


async def release(
    session: AsyncSession, *, actor: User | None, meeting_id: str, now: datetime | None = None
) -> Meeting:
    """The exhibitor releases a request the buyer did not reconfirm; the slot is free again."""
    now = now or clock.now()
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    if not can_manage(actor, booth):
        raise Forbidden()
    if not releasable(meeting, now):
        raise WrongState(
            lazy(
                "Only a requested meeting whose buyer has not confirmed within "
                "%(hours)s hours of being asked can be released."
            ),
            hours=int(RECONFIRM_WINDOW.total_seconds() // 3600),
        )
    await drop_holds(session, meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.released_at = now
    meeting.cancelled_by = require_user(actor).id
    meeting.sequence += 1
    await session.flush()
    await queue_mails(session, meeting, booth, "released")
    await events.publish(session, "meeting.cancelled", meeting, booth)
    return meeting
