"""Conversations' part of a person's data (``fair.accounts.personal``): the threads they are a
side of, the messages they wrote and the files they sent with them, whom they block and what
they reported. Deleting the account erases the text of their messages and reports (the
threads stay for the other side, as a chat's lines do), the files they sent (rows now, the
stored files by a job once that is committed) and their blocks and read markers."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from conversations.files import remove_conversation_files
from conversations.models import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationRead,
    ConversationReport,
    UserBlock,
)
from fair import outbox
from fair.accounts.models import User
from fair.accounts.personal import DataPart, ExportFile, PersonalData, columns
from fair.db import new_id


def _sent_by(user: User) -> ColumnElement[bool]:
    """The files of the messages ``user`` wrote."""
    return ConversationAttachment.message_id.in_(
        select(ConversationMessage.id).where(ConversationMessage.author_id == user.id)
    )


def _archive_name(attachment: ConversationAttachment) -> str:
    # The id keeps two files of the same name apart; "/" never comes from the person.
    name = attachment.filename.replace("/", "_").replace("\\", "_")
    return f"files/conversations/{attachment.conversation_id}/{attachment.id}-{name}"


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
    sent = (
        await session.scalars(
            select(ConversationAttachment)
            .where(_sent_by(user))
            .order_by(ConversationAttachment.created_at, ConversationAttachment.position)
        )
    ).all()
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
            "conversation_files": [
                {**columns(row, leave=("storage_key",)), "file": _archive_name(row)} for row in sent
            ],
            "blocked_people": [columns(row) for row in blocks],
            "reported_messages": [columns(row, leave=("handled_by",)) for row in reports],
        },
        files=[ExportFile(_archive_name(row), row.storage_key) for row in sent],
    )


async def _erase_files(session: AsyncSession, user: User) -> None:
    """The rows go in this transaction; the stored files by a job queued in it, so they go
    only once the erasure is committed."""
    found = await session.scalars(select(ConversationAttachment.storage_key).where(_sent_by(user)))
    keys = list(found.all())
    if not keys:
        return
    await session.execute(delete(ConversationAttachment).where(_sent_by(user)))
    await outbox.enqueue(
        session,
        remove_conversation_files,
        key=f"conversation-files:{user.id}:{new_id()}",
        keys=keys,
    )


async def erase(session: AsyncSession, user: User) -> None:
    await _erase_files(session, user)
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
