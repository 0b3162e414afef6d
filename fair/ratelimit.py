"""Rate limits over rows the app keeps anyway (sign-in attempts, chat lines, bookings): at
most ``limit`` rows of a kind in a sliding window. Counted in the database, so every app
process shares the limit and a restart forgets nothing. Acts whose rows do not record the
client address (registrations, bookings by address) leave a ``RateMark`` to be counted by."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Index, Integer, Select, String, bindparam, delete, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base, insert_rows
from fair.errors import TooManyRequests

# The longest window a mark is counted in; older marks are deleted (purge_marks).
MARKS_KEPT = timedelta(days=1)


async def blocked_until(
    session: AsyncSession,
    at: Any,
    *where: Any,
    limit: int,
    window: timedelta,
    now: datetime,
) -> datetime | None:
    """When a new row would be allowed again, or None while fewer than ``limit`` rows
    matching ``where`` fall inside the window before ``now``. ``at`` is the rows' time
    column. One indexed query: the ``limit``-th newest row in the window; the limit
    lifts when it leaves the window."""
    if limit <= 0:
        return now + window
    statement = (
        select(at).where(*where, at > now - window).order_by(at.desc()).offset(limit - 1).limit(1)
    )
    oldest_counted: datetime | None = await session.scalar(statement)
    return None if oldest_counted is None else oldest_counted + window


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to wait (at least 1), for a ``Retry-After`` header."""
    return max(1, math.ceil((moment - now).total_seconds()))


class RateMark(Base):
    """One counted act (``kind``: "register", "book") by one ``subject`` (a client address)."""

    __tablename__ = "rate_marks"
    __table_args__ = (Index("ix_rate_marks_kind_subject_at", "kind", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)


async def count_act(
    session: AsyncSession,
    kind: str,
    subject: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime,
    error: type[TooManyRequests] = TooManyRequests,
) -> None:
    """Refuse (429 with Retry-After) the ``limit``+1-th act of ``kind`` by ``subject`` in
    the window, else mark this one. The mark is in the request's transaction: an act that
    fails afterwards (a bad form, a slot taken) is not counted."""
    subject = subject[:64]
    where = (RateMark.kind == kind, RateMark.subject == subject)
    until = await blocked_until(session, RateMark.at, *where, limit=limit, window=window, now=now)
    if until is not None:
        raise error(retry_after=seconds_until(until, now))
    session.add(RateMark(kind=kind, subject=subject, at=now))


async def count_acts(
    session: AsyncSession,
    acts: list[tuple[str, str, int]],
    *,
    window: timedelta,
    now: datetime,
    error: type[TooManyRequests] = TooManyRequests,
) -> None:
    """``count_act`` for several ``(kind, subject, limit)`` at once, in two statements
    whatever their number: one read of every act's ``limit``-th newest mark, then, when
    none is over its limit, one insert of all their marks. The first act over its limit,
    in the given order, is refused."""
    acts = [(kind, subject[:64], limit) for kind, subject, limit in acts]
    counted = [number for number, (_, _, limit) in enumerate(acts) if limit > 0]
    found: dict[int, datetime] = {}
    if counted:
        values: dict[str, Any] = {"since": now - window}
        for n, number in enumerate(counted):
            kind, subject, limit = acts[number]
            values |= {f"kind{n}": kind, f"subject{n}": subject, f"skip{n}": limit - 1}
        rows = await session.execute(_newest_marks(len(counted)), values)
        found = {counted[n]: at for n, at in rows.all()}
    for number, (_, _, limit) in enumerate(acts):
        if limit <= 0:
            raise error(retry_after=seconds_until(now + window, now))
        if number in found:
            raise error(retry_after=seconds_until(found[number] + window, now))
    if acts:
        marks = [{"kind": kind, "subject": subject, "at": now} for kind, subject, _ in acts]
        await insert_rows(session, RateMark.__table__, marks)


@lru_cache(maxsize=8)
def _newest_marks(count: int) -> Select[Any]:
    """For ``count`` acts, each act's ``:skip{n}``+1-th newest mark of ``:kind{n}`` by
    ``:subject{n}`` after ``:since`` as (n, at); built once per count (a booking's two
    acts took 0.5 ms to build and hash per request, issue 19). Each read in a subquery:
    SQLite takes no LIMIT on a compound select's own members."""
    since = bindparam("since")
    each = []
    for n in range(count):
        read = (
            select(literal(n).label("act"), RateMark.at)
            .where(
                RateMark.kind == bindparam(f"kind{n}"),
                RateMark.subject == bindparam(f"subject{n}"),
                RateMark.at > since,
            )
            .order_by(RateMark.at.desc())
            .offset(bindparam(f"skip{n}", type_=Integer()))
            .limit(1)
            .subquery()
        )
        each.append(select(*read.c))
    return each[0] if count == 1 else union_all(*each)  # type: ignore[return-value]


async def purge_marks(session: AsyncSession) -> None:
    """Marks older than any window count for nothing (and name client addresses)."""
    await session.execute(delete(RateMark).where(RateMark.at < clock.now() - MARKS_KEPT))
