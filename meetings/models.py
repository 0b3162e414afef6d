"""Meeting hours of a booth, meetings, and the holds that make double bookings impossible."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base, new_id

# Holds are cells of this many minutes: every slot length, buffer and zone offset in use is
# a multiple of it.
CELL_MINUTES = 5


class BookingMode(enum.StrEnum):
    INSTANT = "instant"
    REQUEST = "request"


class MeetingStatus(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


ACTIVE = (MeetingStatus.REQUESTED, MeetingStatus.CONFIRMED)


class MeetingSource(enum.StrEnum):
    """How a meeting came about: the conversion report groups by it."""

    SELF = "self"  # the buyer found the booth and booked
    RECOMMENDED = "recommended"  # booked from a recommendation to the buyer
    INVITED = "invited"  # the exhibitor invited the buyer (a proposal)
    PROPOSED = "proposed"  # an organizer proposed it to both sides


class Attendance(enum.StrEnum):
    """What happened in the video room, decided from who was there (or by an organizer)."""

    HELD = "held"  # both sides together for at least FAIR_HELD_MINUTES
    NO_SHOW_BUYER = "no_show_buyer"
    NO_SHOW_EXHIBITOR = "no_show_exhibitor"
    NO_SHOW_BOTH = "no_show_both"
    TOO_SHORT = "too_short"  # both came, but not together long enough


class Stage(enum.StrEnum):
    """Where a negotiation stands after a held meeting; it may go back (a contract falls
    through)."""

    NO_DEAL = "no_deal"
    FOLLOW_UP = "follow_up"
    SAMPLE_SENT = "sample_sent"
    QUOTE = "quote"
    CONTRACT = "contract"


# A negotiation at one of these stages is over: no more follow-up reminders.
CLOSED_STAGES = (Stage.NO_DEAL, Stage.CONTRACT)


class BuyerView(enum.StrEnum):
    USEFUL = "useful"
    NOT_USEFUL = "not_useful"
    WANTS_FOLLOW_UP = "wants_follow_up"


class Side(enum.StrEnum):
    EXHIBITOR = "exhibitor"
    BUYER = "buyer"
    INTERPRETER = "interpreter"


class BoothHours(Base):
    """A booth's meeting hours and booking rules, in the booth's own zone."""

    __tablename__ = "booth_hours"
    __table_args__ = (
        CheckConstraint("mode IN ('instant', 'request')", name="mode_known"),
        CheckConstraint(
            "slot_minutes IS NULL OR slot_minutes IN (15, 30, 45, 60)", name="slot_allowed"
        ),
    )

    booth_id: Mapped[str] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    weekly: Mapped[list[Any]] = mapped_column(default=list)
    exceptions: Mapped[list[Any]] = mapped_column(default=list)
    slot_minutes: Mapped[int | None] = mapped_column(default=None)  # None: the fair's
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=12 * 60)
    max_per_day: Mapped[int | None] = mapped_column(default=None)
    max_per_buyer: Mapped[int] = mapped_column(default=2)
    mode: Mapped[str] = mapped_column(String(8), default=BookingMode.INSTANT)
    request_hours: Mapped[int] = mapped_column(default=48)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'confirmed', 'declined', 'expired', 'cancelled')",
            name="status_known",
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "attendance IS NULL OR attendance IN "
            "('held', 'no_show_buyer', 'no_show_exhibitor', 'no_show_both', 'too_short')",
            name="attendance_known",
        ),
        CheckConstraint(
            "source IN ('self', 'recommended', 'invited', 'proposed')", name="source_known"
        ),
        Index("ix_meetings_booth_id_starts_at", "booth_id", "starts_at"),
        Index("ix_meetings_buyer_id_starts_at", "buyer_id", "starts_at"),
        # The conversion report's median days to contract reads only contracts (its counts
        # come from report_cells): an index-only scan on PostgreSQL.
        Index(
            "ix_meetings_contracts",
            "booth_id",
            "starts_at",
            postgresql_include=["stage_on", "buyer_id", "interpreter_language"],
            postgresql_where=text("attendance = 'held' AND stage = 'contract'"),
            sqlite_where=text("attendance = 'held' AND stage = 'contract'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    buyer_timezone: Mapped[str] = mapped_column(String(64))
    interpreter_language: Mapped[str | None] = mapped_column(String(8), default=None)
    interpreter_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    # The member of the booth's company who meets the buyer: mailed, invited, reminded.
    # None means the booth's owner (meetings.access.host_of). No ON DELETE: SQLite adds a
    # referencing column in place only so; a deleted account stays as a tombstone anyway.
    host_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(
        String(12), default=MeetingSource.SELF, server_default=MeetingSource.SELF.value
    )
    # RFC 5545 SEQUENCE of the invite: 0 when booked, +1 at every reschedule and the cancel.
    sequence: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Booked as a request: if the buyer does not reconfirm, the exhibitor may release it.
    by_request: Mapped[bool] = mapped_column(default=False)
    # The 24-hour reminder asked the buyer to confirm they are coming, and their answer.
    attendance_asked_at: Mapped[datetime | None] = mapped_column(default=None)
    attendance_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Cancelled by the exhibitor because the buyer never reconfirmed.
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    # Attendance, decided from the room's visits; either side may dispute, an organizer settles.
    attendance: Mapped[str | None] = mapped_column(String(20), default=None, index=True)
    attendance_decided_at: Mapped[datetime | None] = mapped_column(default=None)
    together_seconds: Mapped[int] = mapped_column(default=0)
    attendance_claim: Mapped[str | None] = mapped_column(String(20), default=None)
    attendance_claim_reason: Mapped[str] = mapped_column(Text, default="")
    attendance_claimed_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    attendance_settled_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # First confirmation (instant booking or the exhibitor's accept): "booked" in the report.
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The latest entry of the append-only outcome history (kept by the service on each
    # append; no foreign key, the outcome rows point here). The report joins on it.
    current_outcome_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    # A copy of that entry's stage, value, currency and date, written with it (see
    # ``meetings.outcomes.make_current``): the report reads them from here, which spares it
    # a join of every meeting to the outcome history (measured: one fair 216 -> 96 ms on a
    # million meetings).
    stage: Mapped[str | None] = mapped_column(String(12), default=None)
    stage_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    stage_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    stage_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Outcome(Base):
    """One entry of a negotiation's history after a held meeting, recorded by the exhibitor.
    Never updated or deleted: the latest entry is the current stage."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('no_deal', 'follow_up', 'sample_sent', 'quote', 'contract')",
            name="stage_known",
        ),
        CheckConstraint("value IS NULL OR value >= 0", name="value_not_negative"),
        CheckConstraint("(value IS NULL) = (currency IS NULL)", name="value_has_currency"),
        Index("ix_meeting_outcomes_meeting_id_recorded_at", "meeting_id", "recorded_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(12))
    # Expected value (or the signed one, for a contract) in ``currency`` (ISO 4217).
    value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    product_ids: Mapped[list[Any]] = mapped_column(default=list)
    next_step: Mapped[str] = mapped_column(Text, default="")
    next_step_on: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    # The day the stage was reached (a contract: the day it was signed).
    occurred_on: Mapped[date]
    recorded_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)


class BuyerFeedback(Base):
    """The buyer's own view of a meeting; one per meeting, which they may change."""

    __tablename__ = "meeting_buyer_feedback"
    __table_args__ = (
        CheckConstraint("view IN ('useful', 'not_useful', 'wants_follow_up')", name="view_known"),
    )

    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    view: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class RoomVisit(Base):
    """One connection of one participant to the meeting's video room: attendance's evidence."""

    __tablename__ = "room_visits"
    __table_args__ = (Index("ix_room_visits_meeting_id_joined_at", "meeting_id", "joined_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(12))
    peer_id: Mapped[str] = mapped_column(String(64), unique=True)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None] = mapped_column(default=None)


class ChatMessage(Base):
    """A line of the room's chat, kept with the meeting for both sides."""

    __tablename__ = "meeting_chat"
    __table_args__ = (
        Index("ix_meeting_chat_meeting_id_sent_at", "meeting_id", "sent_at"),
        # The per-account chat rate limit counts an account's latest lines.
        Index("ix_meeting_chat_user_id_sent_at", "user_id", "sent_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)


class MeetingHold(Base):
    """One cell of time held by an active meeting, for the booth (the meeting and the buffer
    after it) or for a person (the buyer, the interpreter). The primary key lets one hold
    a cell in the database, whatever the concurrency: a second is not written, and the
    booking that wanted it is refused (``meetings.booking._hold``)."""

    __tablename__ = "meeting_holds"

    resource: Mapped[str] = mapped_column(String(40), primary_key=True)
    cell: Mapped[datetime] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )


class CalendarFeed(Base):
    """A person's secret calendar subscription; only the token's hash is stored, and
    making a new one (or revoking) ends the old URL."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class BookingReminder(Base):
    """A buyer asked to be told by e-mail when booking opens for a fair, from the booking
    page of one of its booths (where the mail leads back to). One per buyer and fair."""

    __tablename__ = "booking_reminders"
    __table_args__ = (UniqueConstraint("user_id", "fair_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    fair_id: Mapped[str] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
