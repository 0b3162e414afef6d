"""``fair demo``: a programme in its second year, from the data in ``fair.demo_data``."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.storage import Storage
from fair import demo_data
from fair.accounts.models import Role, User
from fair.accounts.service import create_user
from fair.db import utcnow
from fair.fairs.models import Fair
from fair.fairs.service import plan_year
from fair.reports.models import ExchangeRate

DEMO_PASSWORD = "kakehashi-demo-2026"  # noqa: S105 (documented in the README for the demo)
ORGANIZER_EMAIL = "organizer@kakehashi.example"
STAFF_EMAIL = "staff@kakehashi.example"
# Yen per unit around which the demo's monthly rates move (a few per cent either way).
RATES = {
    "USD": Decimal("150"),
    "CNY": Decimal("20.8"),
    "TWD": Decimal("4.7"),
    "VND": Decimal("0.0060"),
    "THB": Decimal("4.25"),
    "EUR": Decimal("163"),
}


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(User))


async def load(
    session: AsyncSession, *, storage: Storage | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Create the demo people, last, this and next year's monthly fairs, the exchange rates
    staff keep, and, given a media storage, the booths of this month's and next month's fair,
    next month's bookings and the past year's fairs as they happened (booths, meetings,
    attendance, outcomes, booth visits: ``meetings.demo.load_history``).

    Idempotent: people, booths and rates that exist are left alone, fairs are planned only
    where missing, and a fair that has meetings (or visits) gets none added.
    """
    now = now or utcnow()
    counts = {
        "users": 0,
        "fairs": 0,
        "booths": 0,
        "meetings": 0,
        "held": 0,
        "contracts": 0,
        "visits": 0,
        "rates": 0,
    }

    async def person(email: str, name: str, role: Role, **extra: object) -> None:
        if await session.scalar(select(User.id).where(User.email == email)):
            return
        await create_user(
            session, email=email, password=DEMO_PASSWORD, name=name, role=role, **extra
        )  # type: ignore[arg-type]
        counts["users"] += 1

    await person(
        ORGANIZER_EMAIL,
        "Aiko Tanaka",
        Role.ORGANIZER,
        company="City Export Office",
        country="JP",
        locale="ja",
    )
    await person(
        STAFF_EMAIL,
        "Kenji Mori",
        Role.STAFF,
        company="City Export Office",
        country="JP",
        locale="ja",
    )
    for exhibitor in demo_data.EXHIBITORS:
        await person(
            exhibitor["email"],
            exhibitor["name"],
            Role.EXHIBITOR,
            company=exhibitor["company"]["en"],
            country="JP",
            timezone="Asia/Tokyo",
            locale="ja",
            languages=exhibitor["languages"],
        )
    for buyer in demo_data.BUYERS:
        await person(
            buyer["email"],
            buyer["name"],
            Role.BUYER,
            company=buyer["company"],
            country=buyer["country"],
            timezone=buyer["timezone"],
            locale=buyer["locale"],
        )
    for interpreter in demo_data.INTERPRETERS:
        await person(
            interpreter["email"],
            interpreter["name"],
            Role.INTERPRETER,
            company="Kakehashi interpreters",
            country="JP",
            languages=interpreter["languages"],
        )
    for year in (now.year - 1, now.year, now.year + 1):
        counts["fairs"] += len(await plan_year(session, year=year, titles=demo_data.FAIR_THEMES))
    counts["rates"] = await _rates(session, now)
    if storage is not None:
        counts["booths"] = await _booths(session, storage, now)
        counts["meetings"] = await _meetings(session, now)
        for name, added in (await _history(session, now)).items():
            counts[name] += added
    return counts


async def _history(session: AsyncSession, now: datetime) -> dict[str, int]:
    from meetings.demo import load_history

    organizer = await session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    if organizer is None:
        return {}
    this_month = await session.scalar(select(Fair).where(Fair.slug == f"{now:%Y-%m}"))
    return await load_history(session, organizer=organizer, this_month=this_month, now=now)


def demo_rate(currency: str, month: date) -> Decimal:
    """The demo's rate of ``currency`` from the first of ``month``: a slow swing of a few
    per cent around ``RATES``, different for each currency, the same on every run."""
    base = RATES[currency]
    phase = sum(map(ord, currency)) % 7
    swing = 0.028 * math.sin((month.year * 12 + month.month) / 2.5 + phase)
    swing += 0.004 * math.sin((month.year * 12 + month.month) * 1.7 + phase)
    return (base * Decimal(str(round(1 + swing, 5)))).quantize(Decimal("0.000001"))


async def _rates(session: AsyncSession, now: datetime) -> int:
    """Monthly rates from January of last year to this month, set by the demo staff member,
    where missing."""
    staff = await session.scalar(select(User).where(User.email == STAFF_EMAIL))
    existing = set(
        (await session.execute(select(ExchangeRate.currency, ExchangeRate.valid_from)))
        .tuples()
        .all()
    )
    added = 0
    month = date(now.year - 1, 1, 1)
    while month <= now.date():
        for currency in RATES:
            if (currency, month) not in existing:
                session.add(
                    ExchangeRate(
                        currency=currency,
                        valid_from=month,
                        jpy_per_unit=demo_rate(currency, month),
                        set_by=staff.id if staff else None,
                        updated_at=datetime.combine(month, datetime.min.time(), UTC)
                        - timedelta(days=2),
                    )
                )
                added += 1
        month = (month + timedelta(days=32)).replace(day=1)
    await session.flush()
    return added


async def _meetings(session: AsyncSession, now: datetime) -> int:
    from meetings.demo import load_meetings

    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    fair = await session.scalar(select(Fair).where(Fair.slug == f"{following:%Y-%m}"))
    return 0 if fair is None else await load_meetings(session, fair=fair, now=now)


async def _booths(session: AsyncSession, storage: Storage, now: datetime) -> int:
    from booths.demo import load_booths

    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    this_month = await session.scalar(select(Fair).where(Fair.slug == f"{now:%Y-%m}"))
    next_month = await session.scalar(select(Fair).where(Fair.slug == f"{following:%Y-%m}"))
    organizer = await session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    if this_month is None or next_month is None or organizer is None:
        return 0
    return await load_booths(
        session,
        storage=storage,
        organizer=organizer,
        this_month=this_month,
        next_month=next_month,
        now=now,
    )
