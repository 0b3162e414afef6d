"""Fairs: the programme's monthly editions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base, new_id


class Fair(Base):
    __tablename__ = "fairs"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("slot_minutes IN (15, 30, 45, 60)", name="slot_minutes_allowed"),
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        CheckConstraint("buyer_admission IN ('open', 'vetted')", name="buyer_admission_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    booking_opens_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    status: Mapped[str] = mapped_column(String(16), default="published")
    # "open": any buyer may book; "vetted": only buyers an organizer admitted (FairBuyer).
    buyer_admission: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    # Counted by the database (triggers of migration 0030) on every change to a booth of the
    # fair or to its products, pictures or tags: the directory's answers are kept per
    # version (booths/directory_cache.py). Never written by the app.
    directory_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class FairBuyer(Base):
    """A buyer's request to meet the exhibitors of a vetted fair, and the organizer's answer."""

    __tablename__ = "fair_buyers"
    __table_args__ = (
        UniqueConstraint("fair_id", "user_id"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    fair_id: Mapped[str] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # What the buyer tells the organizers about their company and sourcing.
    message: Mapped[str] = mapped_column(String(1000), default="")
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
