"""Who may see a meeting and take part in it: loading a meeting for an actor. Below the
booking, changes, the room and the outcomes, which all start here (and none of which this
module knows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from booths.models import Booth
from booths.service import can_manage
from fair.accounts.models import Role, User
from fair.accounts.service import require_user
from meetings.errors import MeetingNotFound
from meetings.models import Meeting

INSIDERS = (Role.ORGANIZER, Role.STAFF)
_WITHOUT_TAGS = [raiseload(Booth.tags)]


def host_of(meeting: Meeting, booth: Booth) -> str:
    """Who meets the buyer for the booth's company: the meeting's host, else the booth's
    owner (who hosted every meeting before companies had members)."""
    return meeting.host_id or booth.owner_id


def is_participant(user: User, meeting: Meeting, booth: Booth) -> bool:
    """Its buyer, its interpreter, and the booth's company: any member may host it."""
    return user.id in {meeting.buyer_id, meeting.interpreter_id} or can_manage(user, booth)


async def load_meeting(
    session: AsyncSession, meeting_id: str, *, actor: User | None
) -> tuple[Meeting, Booth]:
    """A meeting its participants (and the programme's organizers) may see; for anyone
    else it does not exist."""
    user = require_user(actor)
    meeting = await session.get(Meeting, meeting_id) if len(meeting_id) <= 32 else None
    # The booth's tags (its categories, markets, languages) are no meeting's business: not
    # read (a statement less in every meeting flow), and a use of them fails loudly.
    booth = await session.get(Booth, meeting.booth_id, options=_WITHOUT_TAGS) if meeting else None
    if meeting is None or booth is None:
        raise MeetingNotFound()
    if not (is_participant(user, meeting, booth) or user.has_role(*INSIDERS)):
        raise MeetingNotFound()
    return meeting, booth
