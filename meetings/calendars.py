"""From a meeting in the database to an invite: who organizes, who attends, what it says."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair.accounts.models import User
from fair.i18n import gettext, pick_text
from meetings.access import host_of
from meetings.invites import InviteEvent, Person
from meetings.models import ACTIVE, BoothHours, Meeting


def uid_of(meeting: Meeting, base_url: str) -> str:
    return f"{meeting.id}@{urlsplit(base_url).hostname or 'kakehashi'}"


def join_url(meeting: Meeting, base_url: str) -> str:
    return f"{base_url}/meetings/{meeting.id}/room"


async def invite_event(session: AsyncSession, meeting: Meeting, base_url: str) -> InviteEvent:
    """The meeting as an invite, its texts in the current request's (or mail's) language."""
    booth = await session.get(Booth, meeting.booth_id)
    assert booth is not None
    owner = await session.get(User, host_of(meeting, booth))  # the meeting's organizer
    buyer = await session.get(User, meeting.buyer_id)
    assert owner is not None and buyer is not None
    attendees = [Person(buyer.name, buyer.email)]
    if meeting.interpreter_id:
        interpreter = await session.get(User, meeting.interpreter_id)
        if interpreter is not None:
            attendees.append(Person(interpreter.name, interpreter.email))
    hours = await session.get(BoothHours, booth.id)
    exhibitor = pick_text(booth.company)[0]
    summary = gettext("Kakehashi meeting: %(exhibitor)s and %(buyer)s") % {
        "exhibitor": exhibitor,
        "buyer": buyer.company or buyer.name,
    }
    description = gettext("Video meeting in the browser. Join here a few minutes before:")
    return InviteEvent(
        uid=uid_of(meeting, base_url),
        sequence=meeting.sequence,
        cancelled=meeting.status not in ACTIVE,
        start=meeting.starts_at,
        end=meeting.ends_at,
        timezone=hours.timezone if hours else "Asia/Tokyo",
        summary=summary,
        description=description,
        join_url=join_url(meeting, base_url),
        organizer=Person(f"{owner.name} ({exhibitor})", owner.email),
        attendees=tuple(attendees),
        stamp=meeting.updated_at,
    )
