"""Conversations' part of a person's data (``fair.accounts.personal``): the threads they are a
side of, the messages they wrote, whom they block and what they reported. Deleting the
account erases the text of their messages and reports (the threads stay for the other side,
as a chat's lines do) and their blocks and read markers."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from conversations.models import (
    Conversation,
    ConversationMessage,
    ConversationRead,
    ConversationReport,
    UserBlock,
)
from fair.accounts.models import User
from fair.accounts.personal import DataPart, PersonalData, columns


async def export(session: AsyncSession, user: User) -> DataPart:
    threads = await session.scalars(
        select(Conversation)
        .where(
            or_(
                Conversation.buyer_id == user.id,
                Conversation.booth_id.in_(select(Booth.id).where(Booth.owner_id == user.id)),
            )
        )
        .order_by(Conversation.created_at)
    )
    written = await session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.author_id == user.id)
        .order_by(ConversationMessage.created_at)
    )
    blocks = await session.scalars(select(UserBlock).where(UserBlock.blocker_id == user.id))
    reports = await session.scalars(
        select(ConversationReport)
        .where(ConversationReport.reporter_id == user.id)
        .order_by(ConversationReport.created_at)
    )
    return DataPart(
        sections={
            "conversations": [columns(row, leave=("started_by",)) for row in threads],
            "conversation_messages": [columns(row) for row in written],
            "blocked_people": [columns(row) for row in blocks],
            "reported_messages": [columns(row, leave=("handled_by",)) for row in reports],
        }
    )


async def erase(session: AsyncSession, user: User) -> None:
    await session.execute(
        update(ConversationMessage).where(ConversationMessage.author_id == user.id).values(body="")
    )
    await session.execute(
        update(ConversationReport)
        .where(ConversationReport.reporter_id == user.id)
        .values(reason="")
    )
    await session.execute(
        delete(UserBlock).where(
            or_(UserBlock.blocker_id == user.id, UserBlock.blocked_id == user.id)
        )
    )
    await session.execute(delete(ConversationRead).where(ConversationRead.user_id == user.id))
    await session.flush()


PART = PersonalData(export=export, erase=erase)
