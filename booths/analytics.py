"""Booth analytics: visits counted once per visitor, subject and day; what the exhibitor
sees of them. The top of the funnel that the conversion report starts from.

Visits by the booth's own exhibitor and by programme staff are not counted: they would
inflate the numbers the exhibitor and the report rely on. Nor are obvious bots (see
``booths.bots``; the routes leave them out).

Who is counted where: a signed-in buyer is one visitor however many browsers they use, so
the funnel's booth visits (``VisitDay.visits``) count buyers only. A visitor who is not
signed in is known only by address and browser, which anyone can vary (30 User-Agents
make 30 "visitors"): they are counted apart, as anonymous views, never as people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from cachetools import LRUCache
from sqlalchemy import distinct, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from booths.errors import BoothNotFound
from booths.models import Booth, Media, Product, Visit, VisitDay, VisitKind
from booths.service import INSIDERS, can_manage, load_managed_booth
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_user
from fair.db import insert_for, insert_rows
from fair.fairs.models import Fair
from fair.fairs.phase import local_today

ANONYMOUS_PREFIX = "h:"


def visitor_key(user: User | None, address: str, agent: str) -> str:
    """Who is visiting: the account, else a hash of address and browser (no tracking
    cookie; the address is never stored in the clear)."""
    if user is not None:
        return f"u:{user.id}"
    digest = hashlib.sha256(f"{address}\n{agent}".encode()).hexdigest()
    return f"{ANONYMOUS_PREFIX}{digest[:40]}"


def counts_for(viewer: User | None, booth: Booth) -> bool:
    return not can_manage(viewer, booth) and not (viewer is not None and viewer.has_role(*INSIDERS))


# The views this process has seen recorded, as (kind, subject, visitor key, day): the
# table's unique key. A view whose key is here would insert nothing, so it writes nothing
# (and a page view need not take a writer's transaction). Only keys whose row a committed
# transaction wrote or found are kept, and the table's rows are deleted only with their
# booth, whose id is never given again: a key here is always a row there. The table's
# constraint decides every other view. Bounded: about 8 MB at most, the least recently
# seen out first. After restoring a backup, restart the app processes.
VISITS_KEPT = 20_000
_recorded: LRUCache[tuple[str, str, str, date], bool] = LRUCache(maxsize=VISITS_KEPT)
_PENDING = "booths.analytics.visits"
# The visits table's unique key: one row per visitor, subject and day.
VISIT_KEY = (
    "kind",
    "subject_id",
    "visitor_key",
    "day",
)  # the session's keys, until its transaction ends


def visit_day(now: datetime, fair: Fair | None) -> date:
    """The day a view counts on: the fair's own date."""
    return local_today(now, fair.timezone if fair else "Asia/Tokyo")


def recorded(kind: VisitKind, subject_id: str, key: str, day: date) -> bool:
    """Whether this visitor's view of the subject on that day is in the table already, as
    far as this process knows (False: perhaps not)."""
    return _recorded.get((kind, subject_id, key, day), False)  # a look-up keeps it recent


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release is no commit yet
        for visit in session.info.pop(_PENDING, ()):
            _recorded[visit] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back, or closed without a commit
        session.info.pop(_PENDING, None)


async def record_visit(
    session: AsyncSession,
    *,
    kind: VisitKind,
    booth: Booth,
    subject_id: str,
    viewer: User | None,
    key: str,
    now: datetime | None = None,
    fair: Fair | None = None,
) -> None:
    """Count a view (a second one the same day by the same visitor adds nothing).
    ``fair``: the booth's fair, when the caller holds it (else read)."""
    if not counts_for(viewer, booth):
        return
    now = now or clock.now()
    if fair is None:
        fair = await session.get(Fair, booth.fair_id)
    day = visit_day(now, fair)
    if recorded(kind, subject_id, key, day):
        return
    visit = {
        "kind": kind,
        "booth_id": booth.id,
        "subject_id": subject_id,
        "visitor_key": key,
        "user_id": viewer.id if viewer else None,
        "day": day,
        "at": now,
    }
    first_today = await insert_rows(session, Visit.__table__, [visit], skip_taken=VISIT_KEY) == 1
    # Inserted or found: the row is there once this transaction commits.
    session.info.setdefault(_PENDING, []).append((kind, subject_id, key, day))
    if not first_today or kind != VisitKind.BOOTH:
        return
    if viewer is None:
        await tally_booth_visits(session, {}, anonymous={(booth.id, day): 1})
    elif viewer.role == Role.BUYER:
        await tally_booth_visits(session, {(booth.id, day): 1})


DayCounts = Mapping[tuple[str, date], int]


async def tally_booth_visits(
    session: AsyncSession, buyers: DayCounts, *, anonymous: DayCounts | None = None
) -> None:
    """Add new booth visits to the daily counts (``booth_visit_days``), upserting a row per
    (booth, day): the caller has just inserted that many new ``visits`` rows of kind booth,
    by signed-in buyers (``buyers``) and by visitors not signed in (``anonymous``)."""
    anonymous = anonymous or {}
    keys = sorted({*buyers, *anonymous})
    if not keys:
        return
    rows = [
        {
            "booth_id": booth_id,
            "day": day,
            "visits": buyers.get((booth_id, day), 0),
            "anonymous_views": anonymous.get((booth_id, day), 0),
        }
        for booth_id, day in keys
    ]
    await session.execute(_day_tally(insert_for(session)), rows)


# A first view's two writes are Core statements on the tables, built once (the visit's by
# ``fair.db.insert_rows``, the tally here, per dialect) and compiled once, then taken from
# SQLAlchemy's cache (fair.db explains why an upsert can be). Built and compiled for every
# visit, with the ORM's bulk path on top, they were most of what recording a visit added to
# a view's CPU (bench/request_cpu.py's "first view" rows, issue 19).
@lru_cache(maxsize=4)
def _day_tally(make: Any) -> Any:
    table = VisitDay.__table__
    statement = make(table)
    return statement.on_conflict_do_update(
        index_elements=["booth_id", "day"],
        set_={
            "visits": table.c.visits + statement.excluded.visits,
            "anonymous_views": table.c.anonymous_views + statement.excluded.anonymous_views,
        },
    )


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
    booth_views: int  # every counted view: one visitor on the booth page on one day
    # Distinct accounts and address-and-browser pairs: anyone can inflate it by varying the
    # browser, so the page no longer shows it (kept in the API, see docs/api.md).
    unique_visitors: int
    signed_in_visitors: int  # distinct accounts of any role
    product_views: list[tuple[Product, int]]
    brochure_downloads: list[tuple[Media, int]]
    daily: list[tuple[date, int]]
    visitors: list[Visitor]
    buyer_visitors: int = 0  # distinct signed-in buyers: the figure that means people
    anonymous_views: int = 0  # views by visitors not signed in (address and browser a day)
    # Per day: (views by signed-in buyers, anonymous views), beside ``daily``'s total.
    daily_split: dict[date, tuple[int, int]] = field(default_factory=dict)


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
    buyers = (
        await session.scalar(
            select(func.count(distinct(only_booth.c.user_id)))
            .select_from(only_booth)
            .join(User, User.id == only_booth.c.user_id)
            .where(User.role == Role.BUYER)
        )
        or 0
    )
    by_buyer = User.role == Role.BUYER
    anonymous = only_booth.c.visitor_key.startswith(ANONYMOUS_PREFIX)
    daily = (
        await session.execute(
            select(
                only_booth.c.day,
                func.count(),
                func.count().filter(by_buyer),
                func.count().filter(anonymous),
            )
            .outerjoin(User, User.id == only_booth.c.user_id)
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
    split = {day: (int(by_buyers), int(unnamed)) for day, _, by_buyers, unnamed in daily}
    return Report(
        booth_views=views,
        unique_visitors=unique,
        signed_in_visitors=signed_in,
        buyer_visitors=buyers,
        anonymous_views=sum(unnamed for _, unnamed in split.values()),
        daily_split=split,
        product_views=[(product, count) for product, count in product_rows],
        brochure_downloads=[(media, count) for media, count in brochure_rows],
        daily=_every_day({day: count for day, count, _, _ in daily}),
        visitors=[
            Visitor(name, company, country, role, days, last)
            for name, company, country, role, days, last in visitor_rows
        ],
    )
