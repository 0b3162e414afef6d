"""The exchange-rate table that staff maintain; the report converts contract values with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.errors import NotFound
from fair.i18n import lazy
from fair.money import ExchangeRate

KEEPERS = (Role.STAFF, Role.ORGANIZER)


async def list_rates(session: AsyncSession, *, actor: User | None) -> list[ExchangeRate]:
    require_role(actor, *KEEPERS)
    rows = await session.scalars(
        select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())
    )
    return list(rows.all())


async def set_rate(
    session: AsyncSession,
    *,
    actor: User | None,
    currency: str,
    valid_from: date,
    jpy_per_unit: Decimal,
) -> ExchangeRate:
    """Add a rate, or correct the one of that currency and day."""
    user = require_role(actor, *KEEPERS)
    rate = await session.get(ExchangeRate, (currency, valid_from))
    if rate is None:
        rate = ExchangeRate(currency=currency, valid_from=valid_from, jpy_per_unit=jpy_per_unit)
        session.add(rate)
    rate.jpy_per_unit = jpy_per_unit
    rate.set_by = user.id
    await session.flush()
    return rate


async def remove_rate(
    session: AsyncSession, *, actor: User | None, currency: str, valid_from: date
) -> None:
    require_role(actor, *KEEPERS)
    gone = await session.execute(
        delete(ExchangeRate).where(
            ExchangeRate.currency == currency, ExchangeRate.valid_from == valid_from
        )
    )
    if not gone.rowcount:
        raise NotFound(lazy("There is no such exchange rate."))
