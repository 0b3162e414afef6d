"""Conversations in ``fair demo``: threads of the open day between buyers and booths, in
the languages their people write (``demo/data/matchmaking.toml``), each message at its own
hour before the load, so the threads, the unread counts and the digest have something to
show. Through the service production uses (its checks and rate limits included)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import service
from conversations.models import Conversation
from conversations.schemas import ConversationStart
from demo.data import MATCHMAKING
from demo.matchmaking import pair_at_fair
from fair.fairs.models import Fair


async def load_conversations(session: AsyncSession, *, fair: Fair, now: datetime) -> int:
    """The open day's threads, when it has none yet; returns how many messages were sent."""
    if await session.scalar(select(Conversation.id).where(Conversation.fair_id == fair.id)):
        return 0
    sent = 0
    for item in MATCHMAKING.conversations:
        found = await pair_at_fair(session, fair, item.buyer, item.exhibitor)
        if found is None:
            continue
        buyer, owner, booth = found
        first = now - timedelta(hours=item.messages[0].hours_ago)
        conversation, _ = await service.start(
            session, actor=buyer, data=ConversationStart(booth_id=booth.id), now=first
        )
        for message in item.messages:
            await service.post_message(
                session,
                actor=buyer if message.by == "buyer" else owner,
                conversation_id=conversation.id,
                body=message.text,
                now=now - timedelta(hours=message.hours_ago),
            )
            sent += 1
    await session.flush()
    return sent
