"""The people of a conversation and those around it, for the conversations' tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from booth_helpers import create_booth, exhibitor
from helpers import make_user
from meeting_helpers import booth_with_hours, meeting_at
from meeting_helpers import lan as make_lan

from meetings.models import Meeting

EXHIBITOR = "kenji@tsubame.example"
BUYER = "lan@saigon.example"
ORGANIZER = "organizer@example.com"


async def world(client: Any, session: Any) -> dict[str, str]:
    """Kenji's approved booth; Lan, a Vietnamese buyer who reads Vietnamese; a rival
    exhibitor with a booth of its own, another buyer, staff, and two interpreters: Mai of a
    meeting between Lan and Kenji's booth, Hoa of a meeting between the other buyer and it."""
    booth = await booth_with_hours(client, session)
    lan = await make_lan(session)
    other = await make_user(session, "buyer", "wei@shanghai.example", name="Wei", country="CN")
    await exhibitor(client, session, "rival@hasami.example", "Hasami Rival")
    rival = await create_booth(client, company={"ja": "波佐見", "en": "Hasami Rival"})
    await make_user(session, "staff", "staff@example.com")
    mai = await make_user(session, "interpreter", "mai@interpreters.example", name="Mai")
    hoa = await make_user(session, "interpreter", "hoa@interpreters.example", name="Hoa")
    ours = await meeting_at(session, booth["id"], lan.id, timedelta(days=3))
    theirs = await meeting_at(session, booth["id"], other.id, timedelta(days=4))
    ours = await session.get(Meeting, ours.id)
    ours.interpreter_id, ours.interpreter_language = mai.id, "vi"
    theirs = await session.get(Meeting, theirs.id)
    theirs.interpreter_id, theirs.interpreter_language = hoa.id, "zh"
    await session.commit()
    return {"booth": booth["id"], "rival": rival["id"], "lan": lan.id, "meeting": ours.id}
