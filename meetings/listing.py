"""Meeting lists: my meetings, and a fair's for its organizers and staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import of_company
from fair import clock
from fair.accounts.models import User
from fair.accounts.service import require_user
from fair.fairs.service import get_fair
from meetings.access import INSIDERS
from meetings.models import (
    Meeting,
    MeetingStatus,
)


def _theirs(user: User) -> object:
    return or_(
        Meeting.buyer_id == user.id,
        Meeting.interpreter_id == user.id,
        of_company(user),
    )


async def my_meetings(
    session: AsyncSession, *, actor: User | None, upcoming_only: bool = False
) -> list[tuple[Meeting, Booth]]:
    user = require_user(actor)
    query = (
        select(Meeting, Booth)
        .join(Booth, Booth.id == Meeting.booth_id)
        .where(_theirs(user))
        .order_by(Meeting.starts_at)
    )
    if upcoming_only:
        query = query.where(Meeting.ends_at > clock.now())
    return [(m, b) for m, b in (await session.execute(query)).all()]


@dataclass(frozen=True)
class MeetingFilter:
    """What a meeting list asks for: a fair's meetings (``fair``: its slug), some statuses,
    meetings starting in ``[starts_from, starts_before)``, one page of them."""

    fair: str | None = None
    statuses: tuple[MeetingStatus, ...] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    offset: int = 0
    limit: int = 200


async def find_meetings(
    session: AsyncSession, *, actor: User | None, wanted: MeetingFilter
) -> tuple[list[tuple[Meeting, Booth]], int]:
    """A page of meetings in start order, and how many match in all. The programme's
    organizers and staff see every meeting of a fair they name; everyone else sees only
    their own (as buyer, exhibitor or interpreter), of that fair if they name one. A fair
    the viewer may not see does not exist (FairNotFound)."""
    user = require_user(actor)
    query = select(Meeting, Booth).join(Booth, Booth.id == Meeting.booth_id)
    if wanted.fair is not None:
        fair = await get_fair(session, wanted.fair, viewer=user)
        query = query.where(Booth.fair_id == fair.id)
    if wanted.fair is None or not user.has_role(*INSIDERS):
        query = query.where(_theirs(user))
    if wanted.statuses:
        query = query.where(Meeting.status.in_([str(s) for s in wanted.statuses]))
    if wanted.starts_from is not None:
        query = query.where(Meeting.starts_at >= wanted.starts_from)
    if wanted.starts_before is not None:
        query = query.where(Meeting.starts_at < wanted.starts_before)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Meeting.starts_at, Meeting.id).offset(wanted.offset).limit(wanted.limit)
    return [(m, b) for m, b in (await session.execute(page)).all()], total
