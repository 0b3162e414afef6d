"""Rate limits over rows the app keeps anyway (sign-in attempts, chat lines): at most
``limit`` rows of a kind in a sliding window. Counted in the database, so every app
process shares the limit and a restart forgets nothing."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


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
