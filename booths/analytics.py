"""Booth analytics: visits counted once per visitor, subject and day; what the exhibitor
sees of them. The top of the funnel that the conversion report starts from.

Visits by the booth's own exhibitor and by programme staff are not counted: they would
inflate the numbers the exhibitor and the report rely on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.errors import BoothNotFound
from booths.models import Booth, Media, Product, Visit, VisitDay, VisitKind
from booths.service import INSIDERS, can_manage, load_managed_booth
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_user
from fair.db import insert_for
from fair.fairs.models import Fair
from fair.fairs.phase import local_today


def visitor_key(user: User | None, address: str, agent: str) -> str:
    """Who is visiting: the account, else a hash of address and browser (no tracking
    cookie; the address is never stored in the clear)."""
    if user is not None:
        return f"u:{user.id}"
    digest = hashlib.sha256(f"{address}\n{agent}".encode()).hexdigest()
    return f"h:{digest[:40]}"


def counts_for(viewer: User | None, booth: Booth) -> bool:
    return not can_manage(viewer, booth) and not (viewer is not None and viewer.has_role(*INSIDERS))


async def record_visit(
    session: AsyncSession,
    *,
    kind: VisitKind,
    booth: Booth,
    subject_id: str,
    viewer: User | None,
    key: str,
    now: datetime | None = None,
) -> None:
    """Count a view (a second one the same day by the same visitor adds nothing)."""
    if not counts_for(viewer, booth):
        return
    now = now or clock.now()
    fair = await session.get(Fair, booth.fair_id)
    day = local_today(now, fair.timezone if fair else "Asia/Tokyo")
    statement = (
        insert_for(session)(Visit)
        .values(
            kind=kind,
            booth_id=booth.id,
            subject_id=subject_id,
            visitor_key=key,
            user_id=viewer.id if viewer else None,
            day=day,
            at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "subject_id", "visitor_key", "day"])
        .returning(Visit.id)
    )
    first_today = (await session.execute(statement)).scalar() is not None
    if first_today and kind == VisitKind.BOOTH:
        await tally_booth_visits(session, {(booth.id, day): 1})


async def tally_booth_visits(session: AsyncSession, counts: dict[tuple[str, date], int]) -> None:
    """Add new booth visits to the daily counts (``booth_visit_days``), upserting a row per
    (booth, day): the caller has just inserted that many new ``visits`` rows of kind booth."""
    if not counts:
        return
    statement = insert_for(session)(VisitDay)
    upsert = statement.on_conflict_do_update(
        index_elements=["booth_id", "day"],
        set_={"visits": VisitDay.visits + statement.excluded.visits},
    )
    rows = [{"booth_id": b, "day": day, "visits": n} for (b, day), n in counts.items()]
    await session.execute(upsert, rows)


def _every_day(counts: dict[date, int]) -> list[tuple[date, int]]:
    """Counts for each day from the first visit to the last, quiet days as zero."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
        for n in range((last - first).days + 1)
    ]


@dataclass
class Visitor:
    name: str
    company: str
    country: str
    role: str
    days: int
    last_visit: datetime


@dataclass
class Report:
    booth_views: int
    unique_visitors: int
    signed_in_visitors: int
    product_views: list[tuple[Product, int]]
    brochure_downloads: list[tuple[Media, int]]
    daily: list[tuple[date, int]]
    visitors: list[Visitor]


async def booth_report(session: AsyncSession, *, actor: User | None, booth_id: str) -> Report:
    """The booth's own figures, for its exhibitor (or the programme's organizers and staff)."""
    user = require_user(actor)
    if user.has_role(*INSIDERS):
        booth = await session.get(Booth, booth_id) if len(booth_id) <= 32 else None
        if booth is None:
            raise BoothNotFound()
    else:
        booth = await load_managed_booth(session, booth_id, actor=user)
    booth_visits = select(Visit).where(Visit.booth_id == booth.id)
    only_booth = booth_visits.where(Visit.kind == VisitKind.BOOTH).subquery()
    views = await session.scalar(select(func.count()).select_from(only_booth)) or 0
    unique = await session.scalar(select(func.count(distinct(only_booth.c.visitor_key)))) or 0
    signed_in = await session.scalar(select(func.count(distinct(only_booth.c.user_id)))) or 0
    daily = (
        await session.execute(
            select(only_booth.c.day, func.count())
            .group_by(only_booth.c.day)
            .order_by(only_booth.c.day)
        )
    ).all()
    product_rows = (
        await session.execute(
            select(Product, func.count(Visit.id))
            .join(Visit, (Visit.subject_id == Product.id) & (Visit.kind == VisitKind.PRODUCT))
            .where(Product.booth_id == booth.id)
            .group_by(Product.id)
            .order_by(func.count(Visit.id).desc())
        )
    ).all()
    brochure_rows = (
        await session.execute(
            select(Media, func.count(Visit.id))
            .join(Visit, (Visit.subject_id == Media.id) & (Visit.kind == VisitKind.BROCHURE))
            .where(Media.booth_id == booth.id)
            .group_by(Media.id)
            .order_by(func.count(Visit.id).desc())
        )
    ).all()
    visitor_rows = (
        await session.execute(
            select(
                User.name,
                User.company,
                User.country,
                User.role,
                func.count(distinct(Visit.day)),
                func.max(Visit.at),
            )
            .join(Visit, Visit.user_id == User.id)
            # Buyers only: they are told on the booth page that the exhibitor sees them;
            # other exhibitors (rivals), interpreters and staff are never listed.
            .where(Visit.booth_id == booth.id, User.role == Role.BUYER)
            .group_by(User.id, User.name, User.company, User.country, User.role)
            .order_by(func.max(Visit.at).desc())
            .limit(500)
        )
    ).all()
    return Report(
        booth_views=views,
        unique_visitors=unique,
        signed_in_visitors=signed_in,
        product_views=[(product, count) for product, count in product_rows],
        brochure_downloads=[(media, count) for media, count in brochure_rows],
        daily=_every_day(dict(daily)),
        visitors=[
            Visitor(name, company, country, role, days, last)
            for name, company, country, role, days, last in visitor_rows
        ],
    )
