"""Fairs: creating them (one by one or a year's programme), listing, their phase."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.fairs.errors import FairNotFound, SlugTaken
from fair.fairs.models import Fair
from fair.fairs.phase import Phase, local_today, monthly_dates, phase_on
from fair.fairs.schemas import FairCreate, FairUpdate

STAFF_ROLES = (Role.ORGANIZER, Role.STAFF)
MONTHLY_SLUG = re.compile(r"\d{4}-\d{2}")


def monthly_slug(year: int, month: int) -> str:
    """The slug of the programme's fair of a month (``plan_year``): ``2027-02``."""
    return f"{year}-{month:02d}"


def is_monthly(fair: Fair) -> bool:
    """One of the programme's monthly fairs, as ``plan_year`` makes them."""
    return MONTHLY_SLUG.fullmatch(fair.slug) is not None


def phase_of(fair: Fair, now: datetime | None = None) -> Phase:
    return phase_on(
        status=fair.status,
        starts_on=fair.starts_on,
        ends_on=fair.ends_on,
        booking_opens_on=fair.booking_opens_on,
        today=local_today(now or clock.now(), fair.timezone),
    )


def can_see_drafts(user: User | None) -> bool:
    return user is not None and user.has_role(*STAFF_ROLES)


async def create_fair(
    session: AsyncSession, *, actor: User | None, data: FairCreate, now: datetime | None = None
) -> Fair:
    """An organizer creates a fair. ``booking_opens_on`` defaults to the day of creation
    in the fair's zone. Raises Forbidden, SlugTaken. Flushes."""
    require_role(actor, Role.ORGANIZER)
    if await session.scalar(select(Fair.id).where(Fair.slug == data.slug)):
        raise SlugTaken(field="slug")
    fair = Fair(
        slug=data.slug,
        title=data.title,
        description={k: v for k, v in data.description.items() if v},
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        booking_opens_on=data.booking_opens_on
        or min(local_today(now or clock.now(), data.timezone), data.starts_on),
        timezone=data.timezone,
        slot_minutes=data.slot_minutes,
        status=data.status,
        buyer_admission=data.buyer_admission,
        created_by=actor.id if actor else None,
    )
    session.add(fair)
    await session.flush()
    return fair


async def publish_fair(session: AsyncSession, *, actor: User | None, slug: str) -> Fair:
    require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=actor)
    fair.status = "published"
    await session.flush()
    return fair


async def set_admission(
    session: AsyncSession, *, actor: User | None, slug: str, data: FairUpdate
) -> Fair:
    """An organizer opens a fair to every buyer or keeps it to admitted ones. Closing it
    later cancels nothing: meetings already booked stay, new bookings need admission."""
    require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=actor)
    fair.buyer_admission = data.buyer_admission
    await session.flush()
    return fair


async def list_fairs(session: AsyncSession, *, viewer: User | None) -> list[Fair]:
    query = select(Fair).order_by(Fair.starts_on.desc())
    if not can_see_drafts(viewer):
        query = query.where(Fair.status == "published")
    return list((await session.scalars(query)).all())


# Read by the directory's API and page and the fair's pages: built once, not per request.
_BY_SLUG = select(Fair).where(Fair.slug == bindparam("slug"))


async def get_fair(session: AsyncSession, slug: str, *, viewer: User | None) -> Fair:
    fair = await session.scalar(_BY_SLUG, {"slug": slug})
    if fair is None or (fair.status == "draft" and not can_see_drafts(viewer)):
        raise FairNotFound()
    return fair


async def plan_year(
    session: AsyncSession, *, year: int, titles: dict[int, dict[str, str]]
) -> list[Fair]:
    """The programme's twelve monthly fairs of ``year``; months that exist are kept as
    they are, so running it twice changes nothing. Returns the fairs it created."""
    created = []
    existing = set(
        (await session.scalars(select(Fair.slug).where(Fair.slug.like(f"{year}-%")))).all()
    )
    for month in range(1, 13):
        slug = monthly_slug(year, month)
        if slug in existing:
            continue
        starts_on, ends_on, opens_on = monthly_dates(year, month)
        fair = Fair(
            slug=slug,
            title={lang: f"{text} {year}" for lang, text in titles[month].items()},
            starts_on=starts_on,
            ends_on=ends_on,
            booking_opens_on=opens_on,
            timezone="Asia/Tokyo",
            slot_minutes=30,
            status="published",
        )
        session.add(fair)
        created.append(fair)
    await session.flush()
    return created
