"""Calendar subscriptions: a secret URL per person listing all their meetings."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair.accounts.models import User
from fair.accounts.service import require_user
from meetings.models import CalendarFeed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_feed(session: AsyncSession, *, actor: User | None) -> str:
    """A fresh secret token for the actor's feed; any earlier URL stops working."""
    user = require_user(actor)
    token = secrets.token_urlsafe(32)
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    await session.flush()
    return token


async def revoke_feed(session: AsyncSession, *, actor: User | None) -> None:
    user = require_user(actor)
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))


async def has_feed(session: AsyncSession, user: User) -> bool:
    return bool(
        await session.scalar(select(CalendarFeed.user_id).where(CalendarFeed.user_id == user.id))
    )


async def owner_of(session: AsyncSession, token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    return await session.get(User, feed.user_id) if feed else None
