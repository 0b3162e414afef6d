"""Money across currencies: the exchange rates that staff maintain (yen per unit of each
currency, from a day on) and the conversion with them. In the core because both the
reports (contract values in JPY) and the match engine (a buyer's target price against a
product's price range) convert with the same table; no network look-ups, ever."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base

# The currency every rate is quoted in: a yen is one yen on any day.
BASE_CURRENCY = "JPY"


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
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


def convert(
    amount: Decimal, currency: str, to: str, rates: Mapping[str, Decimal]
) -> Decimal | None:
    """``amount`` of ``currency`` in ``to``, through yen with ``rates`` (yen per unit, by
    currency; the yen itself needs none). None when a rate is missing: an unknown value,
    not an error."""
    if currency == to:
        return amount
    from_rate = Decimal(1) if currency == BASE_CURRENCY else rates.get(currency)
    to_rate = Decimal(1) if to == BASE_CURRENCY else rates.get(to)
    if not from_rate or not to_rate:
        return None
    return amount * from_rate / to_rate


async def current_rates(session: AsyncSession, on: date | None = None) -> dict[str, Decimal]:
    """Each currency's rate on ``on`` (today by default): its latest row from that day or
    before. One statement, a row per currency."""
    day = on or clock.now().date()
    latest = (
        select(ExchangeRate.currency, func.max(ExchangeRate.valid_from).label("valid_from"))
        .where(ExchangeRate.valid_from <= day)
        .group_by(ExchangeRate.currency)
        .subquery()
    )
    rows = await session.execute(
        select(ExchangeRate.currency, ExchangeRate.jpy_per_unit).join(
            latest,
            (latest.c.currency == ExchangeRate.currency)
            & (latest.c.valid_from == ExchangeRate.valid_from),
        )
    )
    return {currency: Decimal(rate) for currency, rate in rows.all()}
