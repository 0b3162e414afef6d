"""Conversations: one thread per (buyer, booth), its messages, who has read how far, who
blocked whom, and the messages reported to the organizers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base, new_id


class Conversation(Base):
    """A buyer and a booth's company talking, before or after they meet; optionally about a
    sourcing need or a meeting."""

    __tablename__ = "conversations"
    __table_args__ = (
        # One thread per pair, whatever the concurrency: the second start gets the first.
        UniqueConstraint("booth_id", "buyer_id"),
        Index("ix_conversations_buyer_id_last_message_at", "buyer_id", "last_message_at"),
        Index("ix_conversations_started_by_created_at", "started_by", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    fair_id: Mapped[str | None] = mapped_column(
        ForeignKey("fairs.id", ondelete="SET NULL"), default=None
    )
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    need_id: Mapped[str | None] = mapped_column(
        ForeignKey("needs.id", ondelete="SET NULL"), default=None
    )
    meeting_id: Mapped[str | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), default=None
    )
    # Who opened it: new threads are counted per person a day (the rate limit).
    started_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index(
            "ix_conversation_messages_conversation_id_created_at", "conversation_id", "created_at"
        ),
        # The author's messages in a window: the rate limits count them.
        Index("ix_conversation_messages_author_id_created_at", "author_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Set when an organizer acts on a report of it: the thread shows that it was removed.
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class ConversationAttachment(Base):
    """A file sent with a message: checked as booth media are (``booths.media``), kept in the
    storage under a key of its own (never shared, so erasing it touches nobody else's)."""

    __tablename__ = "conversation_attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)  # the order it was sent in
    filename: Mapped[str] = mapped_column(String(200))  # ``clean_filename``'s: display only
    media_type: Mapped[str] = mapped_column(String(100))  # sniffed from the content
    size: Mapped[int]  # of the stored file
    sha256: Mapped[str] = mapped_column(String(64))  # of the file as sent
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ConversationRead(Base):
    """How far a person has read a thread, and how far the mail digest has told them."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_at: Mapped[datetime | None] = mapped_column(default=None)
    # The newest message a digest mailed this person about.
    notified_until: Mapped[datetime | None] = mapped_column(default=None)


class UserBlock(Base):
    """``blocker_id`` no longer hears from ``blocked_id``: the blocked person cannot write in
    the threads they share."""

    __tablename__ = "user_blocks"

    blocker_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"  # the message is removed from the thread


class ConversationReport(Base):
    """A message reported to the organizers: the only way they read a private thread."""

    __tablename__ = "conversation_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'dismissed', 'actioned')", name="status_known"),
        Index("ix_conversation_reports_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_messages.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    reason: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.OPEN)
    handled_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    handled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
