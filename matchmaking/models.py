"""Sourcing needs: what a buyer is looking for, for one fair or standing (every fair);
proposals: meetings proposed to a buyer and a booth; and the fits of the match engine's
weights to the programme's outcomes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
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
    # When the buyer buys (either end may be open): a need whose time frame has passed is
    # no longer matched.
    time_from: Mapped[date | None] = mapped_column(default=None)
    time_until: Mapped[date | None] = mapped_column(default=None)
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


class ProposalKind(enum.StrEnum):
    ORGANIZER = "organizer"  # both sides invited
    EXHIBITOR = "exhibitor"  # the booth's company invites the buyer


class ProposalStatus(enum.StrEnum):
    OPEN = "open"
    DECLINED = "declined"
    EXPIRED = "expired"
    BOOKED = "booked"


class Answer(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Proposal(Base):
    """A meeting proposed to a buyer and a booth, by an organizer (both sides answer) or by
    the booth's company (the buyer answers). Booked through the normal booking path once
    every invited side has accepted; the buyer picks the time."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("kind IN ('organizer', 'exhibitor')", name="kind_known"),
        CheckConstraint("status IN ('open', 'declined', 'expired', 'booked')", name="status_known"),
        CheckConstraint(
            "buyer_answer IN ('pending', 'accepted', 'declined')", name="buyer_answer_known"
        ),
        CheckConstraint(
            "booth_answer IS NULL OR booth_answer IN ('pending', 'accepted', 'declined')",
            name="booth_answer_known",
        ),
        # One live proposal per pair, whatever the concurrency.
        Index(
            "ux_proposals_open_pair",
            "buyer_id",
            "booth_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_proposals_booth_id_created_at", "booth_id", "created_at"),
        Index("ix_proposals_buyer_id_created_at", "buyer_id", "created_at"),
        Index("ix_proposals_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    fair_id: Mapped[str] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    need_id: Mapped[str | None] = mapped_column(
        ForeignKey("needs.id", ondelete="SET NULL"), default=None
    )
    proposed_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(12), default=ProposalStatus.OPEN)
    buyer_answer: Mapped[str] = mapped_column(String(12), default=Answer.PENDING)
    buyer_answered_at: Mapped[datetime | None] = mapped_column(default=None)
    # None: the booth's side is not asked (the exhibitor proposed it).
    booth_answer: Mapped[str | None] = mapped_column(String(12), default=None)
    booth_answered_at: Mapped[datetime | None] = mapped_column(default=None)
    decline_reason: Mapped[str] = mapped_column(String(1000), default="")
    # The time the buyer picked when accepting, kept while the booth's side has not answered.
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    buyer_timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    interpreter_language: Mapped[str | None] = mapped_column(String(8), default=None)
    meeting_id: Mapped[str | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class FitStatus(enum.StrEnum):
    USED = "used"  # the engine's weights from then on
    TOO_FEW = "too_few"  # fewer labelled outcomes than FAIR_MATCH_MIN_OUTCOMES
    ONE_CLASS = "one_class"  # every outcome went the same way: nothing to learn from


class MatchWeightFit(Base):
    """One refit of the match engine's weights to the programme's outcomes
    (``matchmaking.learning``). Kept, never updated: the latest ``used`` one is the engine's
    weights, and the history shows organizers what each came from."""

    __tablename__ = "match_weight_fits"
    __table_args__ = (
        CheckConstraint("status IN ('used', 'too_few', 'one_class')", name="status_known"),
        Index("ix_match_weight_fits_status_fitted_at", "status", "fitted_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    fitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(12))
    # Part name -> weight, on the priors' scale; empty when nothing was fitted.
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The parts the outcomes taught (the others kept their prior: no variation seen).
    learned_parts: Mapped[list[str]] = mapped_column(default=list)
    n_samples: Mapped[int] = mapped_column(default=0)
    n_positive: Mapped[int] = mapped_column(default=0)
    # auc_learned / auc_prior on the held-out quarter, log_loss of the fit, test_samples.
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What asked for it: the daily schedule, the command line, an organizer.
    trigger: Mapped[str] = mapped_column(String(12), default="schedule")
