"""Meetings' events for the organizers' webhooks (``fair.webhooks``): what a CRM needs to
follow a meeting (ids, the fair, its times, status, attendance and stage), never a
participant's contact details or what they wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock
from fair.fairs.models import Fair
from fair.webhooks import service as webhooks
from meetings.models import Attendance, Meeting

NO_SHOWS = (Attendance.NO_SHOW_BUYER, Attendance.NO_SHOW_EXHIBITOR, Attendance.NO_SHOW_BOTH)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def publish(
    session: AsyncSession,
    event: str,
    meeting: Meeting,
    booth: Booth | None = None,
    **extra: Any,
) -> None:
    """Queue ``event`` about ``meeting`` for the endpoints subscribed to it, in the caller's
    transaction."""
    booth = booth or await session.get(Booth, meeting.booth_id)
    fair = await session.get(Fair, booth.fair_id) if booth else None
    data: dict[str, Any] = {
        "meeting_id": meeting.id,
        "booth_id": meeting.booth_id,
        "fair": fair.slug if fair else None,
        "exhibitor_id": booth.owner_id if booth else None,
        "buyer_id": meeting.buyer_id,
        "interpreter_id": meeting.interpreter_id,
        "starts_at": _iso(meeting.starts_at),
        "ends_at": _iso(meeting.ends_at),
        "status": meeting.status,
        "attendance": meeting.attendance,
        "stage": meeting.stage,
        "at": clock.now().isoformat(),
    }
    data.update(extra)
    await webhooks.publish(session, event, data)


def attendance_event(attendance: Attendance | str) -> str | None:
    """``meeting.held``; ``meeting.no_show`` whoever did not come (``attendance`` says who);
    None for a meeting too short to count, which is neither."""
    if attendance == Attendance.HELD:
        return "meeting.held"
    if attendance in NO_SHOWS:
        return "meeting.no_show"
    return None


async def publish_attendance(session: AsyncSession, meeting: Meeting) -> None:
    """The event of the meeting's attendance as just recorded, if it is one."""
    event = attendance_event(meeting.attendance or "")
    if event is not None:
        await publish(session, event, meeting)
