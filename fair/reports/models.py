"""Exchange rates that staff maintain: contract values are reported in JPY at the rate of
the meeting's date, from this table only (no network look-ups)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from fair.db import Base, utcnow


class ExchangeRate(Base):
    """``jpy_per_unit`` yen for one unit of ``currency`` from ``valid_from`` until the next
    row of the same currency."""

    __tablename__ = "exchange_rates"
    __table_args__ = (CheckConstraint("jpy_per_unit > 0", name="rate_positive"),)

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    valid_from: Mapped[date] = mapped_column(primary_key=True)
    jpy_per_unit: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    set_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
