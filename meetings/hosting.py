"""Who hosts a meeting for the booth's company, and handing it to a colleague: any member of
the company may hand a meeting still to come to another member, who is then the one mailed,
invited, reminded and let into the room as the exhibitor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import can_manage
from fair import clock
from fair.accounts import companies
from fair.accounts.models import CompanyMember, User
from fair.errors import Forbidden, ValidationFailed
from fair.i18n import lazy
from meetings.access import host_of, load_meeting
from meetings.errors import WrongState
from meetings.jobs import queue_announcement
from meetings.models import ACTIVE, Meeting


async def colleagues(session: AsyncSession, booth: Booth) -> list[User]:
    """The members of the booth's company, who may host its meetings."""
    if booth.company_id is None:
        return []
    rows = await session.scalars(
        select(User)
        .join(CompanyMember, CompanyMember.user_id == User.id)
        .where(CompanyMember.company_id == booth.company_id, User.is_active.is_(True))
        .order_by(User.name)
    )
    return list(rows.all())


async def hand_over(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    user_id: str,
    now: datetime | None = None,
) -> Meeting:
    """Make ``user_id`` the meeting's host. Only a member of the booth's company (403), of a
    meeting not yet over (409), to another member (422). The new host, the buyer and the
    interpreter are mailed, with the invite updated (its organizer is the host); reminders
    and the attendance decision follow the new sequence."""
    now = now or clock.now()
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    if not can_manage(actor, booth):
        raise Forbidden(lazy("Only a member of the booth's company may hand its meetings over."))
    if meeting.status not in ACTIVE or meeting.ends_at <= now:
        raise WrongState()
    colleague = await session.get(User, user_id) if len(user_id) <= 32 else None
    if (
        colleague is None
        or not colleague.is_active
        or not companies.is_member(colleague, booth.company_id)
    ):
        raise ValidationFailed({"user_id": lazy("Choose a member of the booth's company.")})
    if host_of(meeting, booth) == colleague.id:
        return meeting  # a repeated click mails nobody twice
    meeting.host_id = colleague.id
    meeting.sequence += 1  # the invite changes: its organizer is the new host
    meeting.updated_at = now
    await session.flush()
    await queue_announcement(session, meeting, booth, "host", now)
    return meeting
