"""Sourcing needs: what a buyer is looking for, for one fair or standing (every fair)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair import clock
from fair.db import Base, new_id


class NeedTagKind(enum.StrEnum):
    HS = "hs"  # every 2-, 4- and 6-digit prefix of each HS code asked for
    CATEGORY = "category"
    MARKET = "market"


class Need(Base):
    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_buyer_id_fair_id", "buyer_id", "fair_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None: a standing need, asked of every fair.
    fair_id: Mapped[str | None] = mapped_column(
        ForeignKey("fairs.id", ondelete="CASCADE"), default=None, index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(default=list)
    hs_codes: Mapped[list[str]] = mapped_column(default=list)
    quantity_amount: Mapped[int | None] = mapped_column(default=None)
    quantity_unit: Mapped[str | None] = mapped_column(String(16), default=None)
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    price_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    certifications: Mapped[list[str]] = mapped_column(default=list)
    markets: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    visible_to_exhibitors: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    tags: Mapped[list[NeedTag]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )


class NeedTag(Base):
    """A need's HS prefixes, categories and markets, one row per code: the leads of a booth
    find the needs that share one of its codes through an index instead of reading every
    need's lists."""

    __tablename__ = "need_tags"
    __table_args__ = (Index("ix_need_tags_kind_code", "kind", "code", "need_id"),)

    need_id: Mapped[str] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
