"""Booths, their products and media, and the visits that feed the funnel."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fair import clock
from fair.db import Base, new_id


class BoothStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TagKind(enum.StrEnum):
    CATEGORY = "category"
    MARKET = "market"
    LANGUAGE = "language"
    # Where the exhibitor wants buyers who sell ("buyers we want"), not where it sells.
    WANTED_MARKET = "wanted_market"


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    PDF = "pdf"


class TaggedFacts:
    """What a booth's tags and minimum order say, as the API shows them: for the mapped
    ``Booth`` and for the directory's lighter card (``booths.directory.Card``), which reads
    the same columns as rows. Needs ``tags`` (each with ``kind`` and ``code``, in position
    order), ``minimum_order_amount`` and ``minimum_order_unit``."""

    tags: Any
    minimum_order_amount: Any
    minimum_order_unit: Any

    def codes(self, kind: TagKind) -> list[str]:
        return [tag.code for tag in self.tags if tag.kind == kind]

    @property
    def categories(self) -> list[str]:
        return self.codes(TagKind.CATEGORY)

    @property
    def markets(self) -> list[str]:
        return self.codes(TagKind.MARKET)

    @property
    def languages(self) -> list[str]:
        return self.codes(TagKind.LANGUAGE)

    @property
    def wanted_markets(self) -> list[str]:
        return self.codes(TagKind.WANTED_MARKET)

    @property
    def minimum_order(self) -> dict[str, Any] | None:
        """``{"amount", "unit"}`` as the API reads and writes it, or None."""
        if self.minimum_order_amount is None or not self.minimum_order_unit:
            return None
        return {"amount": self.minimum_order_amount, "unit": self.minimum_order_unit}


class Booth(TaggedFacts, Base):
    __tablename__ = "booths"
    __table_args__ = (
        # The key of the old one-booth-per-name rule: since 0024 each booth's own id, so
        # this constraint (which SQLite cannot drop in place) never blocks anyone.
        UniqueConstraint("fair_id", "company_key"),
        # One booth per company per fair; a rejected one frees the place (issue 16.5).
        Index(
            "uq_booths_fair_id_company_id_live",
            "fair_id",
            "company_id",
            unique=True,
            postgresql_where=text("status <> 'rejected'"),
            sqlite_where=text("status <> 'rejected'"),
        ),
        Index("ix_booths_fair_id_status", "fair_id", "status"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    fair_id: Mapped[str] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_key: Mapped[str] = mapped_column(String(200), default=new_id)
    # The company whose booth it is: every member manages it (booths.service.can_manage).
    # Nullable, and with no ON DELETE, only because SQLite adds a referencing column in
    # place only so (and reflects no action of it); always set, and companies are kept.
    company_id: Mapped[str | None] = mapped_column(
        ForeignKey("companies.id"), default=None, index=True
    )
    company: Mapped[dict[str, Any]]
    tagline: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    certifications: Mapped[list[str]] = mapped_column(default=list)
    website: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    # "Buyers we want": the smallest order the company takes, for products that give none.
    minimum_order_amount: Mapped[int | None] = mapped_column(default=None)
    minimum_order_unit: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default=BoothStatus.PENDING)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    copied_from_id: Mapped[str | None] = mapped_column(
        ForeignKey("booths.id", ondelete="SET NULL"), default=None
    )
    # Folded text for search (see booths.text): names and taglines, and everything.
    search_name: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    # Moved by the database's triggers on every write to the booth, its products, its tags
    # or its company's name (migration 0030): the match engine's cache of a fair's booths
    # reads again only the booths whose number moved (matchmaking.boothcache). Never set
    # by the app; the value an object holds may be behind the row's.
    facts_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    tags: Mapped[list[BoothTag]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="BoothTag.position",
        passive_deletes=True,
    )

    @property
    def is_public(self) -> bool:
        return self.status == BoothStatus.APPROVED


class BoothTag(Base):
    """A booth's categories, target markets, wanted markets and meeting languages, one row
    per code, so the
    directory filters and the reports group by an indexed column."""

    __tablename__ = "booth_tags"
    __table_args__ = (Index("ix_booth_tags_kind_code", "kind", "code", "booth_id"),)

    booth_id: Mapped[str] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(
            "price_min IS NULL OR price_max IS NULL OR price_min <= price_max",
            name="price_range_in_order",
        ),
        Index("ix_products_booth_id_position", "booth_id", "position"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    name: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hs_code: Mapped[str] = mapped_column(String(6), default="")
    moq: Mapped[int | None] = mapped_column(default=None)
    moq_unit: Mapped[str] = mapped_column(String(16), default="piece")
    price_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    price_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    lead_time_days: Mapped[int | None] = mapped_column(default=None)
    position: Mapped[int] = mapped_column(default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Added to an approved booth and not yet seen by an organizer: shown to nobody but its
    # exhibitor and the programme's insiders until the booth's changes are approved.
    awaiting_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Media(Base):
    """An uploaded file of a booth (or of one of its products). The blob is stored once per
    content hash; the row says whose it is and how it is shown."""

    __tablename__ = "media"
    __table_args__ = (
        UniqueConstraint("booth_id", "sha256"),
        Index("ix_media_booth_id_position", "booth_id", "position"),
        CheckConstraint("kind IN ('image', 'video', 'pdf')", name="kind_known"),
        CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200), default=None)
    filename: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="processing")
    position: Mapped[int] = mapped_column(default=0)
    # As Product.awaiting_review: uploaded to an approved booth, not served publicly yet.
    awaiting_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class RevisionStatus(enum.StrEnum):
    PENDING = "pending"
    REJECTED = "rejected"


class BoothRevision(Base):
    """What the exhibitor of an approved booth wrote since its approval and an organizer has
    not yet approved: the booth row, its products and media keep the public version, this
    holds the proposed texts (only the fields that differ), by item. Products and files
    added meanwhile are rows marked ``awaiting_review``. One per booth; gone once approved."""

    __tablename__ = "booth_revisions"
    __table_args__ = (
        Index("ix_booth_revisions_status_submitted_at", "status", "submitted_at"),
        CheckConstraint("status IN ('pending', 'rejected')", name="status_known"),
    )

    booth_id: Mapped[str] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"), primary_key=True
    )
    booth_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {product id: {field: proposed value}}, {media id: {field: proposed value}}
    product_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    media_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RevisionStatus.PENDING)
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    reviewed_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)


class VisitKind(enum.StrEnum):
    BOOTH = "booth"
    PRODUCT = "product"
    BROCHURE = "brochure"


class Visit(Base):
    """One visitor looking at a booth, a product or a brochure on one day (counted once)."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "visitor_key", "day"),
        Index("ix_visits_booth_id_day", "booth_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"))
    subject_id: Mapped[str] = mapped_column(String(32))
    visitor_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    day: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=clock.now)


class VisitDay(Base):
    """How many looked at a booth (kind ``booth``) on one day. ``visits``: signed-in buyers,
    the funnel's first step; ``anonymous_views``: visitors not signed in, each address and
    browser once (one person may count several times, so they stay out of the funnel).
    Other signed-in roles count in neither. Kept beside ``visits`` as each first visit of a
    day is recorded, so that the report adds up a few rows per booth instead of counting
    every visit."""

    __tablename__ = "booth_visit_days"

    booth_id: Mapped[str] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    visits: Mapped[int] = mapped_column(default=0)
    anonymous_views: Mapped[int] = mapped_column(default=0, server_default="0")


class UploadAttempt(Base):
    """An upload an account started (kept whether or not the file was accepted): the
    per-account upload rate limit counts these, as the sign-in limit counts its attempts."""

    __tablename__ = "upload_attempts"
    __table_args__ = (Index("ix_upload_attempts_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=clock.now)
