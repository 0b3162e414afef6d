"""``fair demo``: a programme in its second year, from the data in ``fair.demo_data``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.storage import Storage
from fair import demo_data
from fair.accounts.models import Role, User
from fair.accounts.service import create_user
from fair.db import utcnow
from fair.fairs.models import Fair
from fair.fairs.service import plan_year

DEMO_PASSWORD = "kakehashi-demo-2026"  # noqa: S105 (documented in the README for the demo)
ORGANIZER_EMAIL = "organizer@kakehashi.example"
STAFF_EMAIL = "staff@kakehashi.example"


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(User))


async def load(
    session: AsyncSession, *, storage: Storage | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Create the demo people, last, this and next year's monthly fairs and, given a media
    storage, the booths of this month's and next month's fair.

    Idempotent: people and booths that exist are left alone, fairs are planned only where
    missing.
    """
    now = now or utcnow()
    counts = {"users": 0, "fairs": 0, "booths": 0, "meetings": 0}

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
    if storage is not None:
        counts["booths"] = await _booths(session, storage, now)
        counts["meetings"] = await _meetings(session, now)
    return counts


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
