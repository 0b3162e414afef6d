"""Personal API tokens: made, listed and revoked by their owner, and turned back into the
account they speak for on every ``/api`` request that carries one (``Authorization:
Bearer``, see ``fair.middleware.Identity``).

A token is ``kk_`` and 43 random URL-safe characters (256 bits): shown once, when made; the
table keeps its SHA-256 (a fast hash suffices for a secret this long) and its first
characters, so a list can tell tokens apart. It works until the end of its last day (UTC),
until revoked, and while its account is active; what it may do is its scopes
(``fair.api.Scope``) within what the account's role allows."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock
from fair.accounts.errors import TooManyApiTokens
from fair.accounts.models import WITH_COMPANY, ApiToken, User
from fair.accounts.schemas import ApiTokenRequest
from fair.errors import NotFound, ValidationFailed
from fair.i18n import lazy

PREFIX = "kk_"
SHOWN = 8  # characters kept to name a token in lists: "kk_" and five of the secret
_SHAPE = re.compile(r"kk_[A-Za-z0-9_-]{43}")
MAX_LIVE = 20  # unexpired, unrevoked tokens per account
MAX_DAYS = 366  # the last day may be a year from today
DEFAULT_DAYS = 90
# How stale "last used" may get: refreshed at most this often, so a busy integration does
# not write on every request.
USED_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def well_formed(secret: str) -> bool:
    """Whether ``secret`` has the shape of a token at all (no lookup for the rest)."""
    return _SHAPE.fullmatch(secret) is not None


def end_of(day: date) -> datetime:
    """The instant a token whose last day is ``day`` stops working: the end of it, UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _check_last_day(day: date | None, today: date) -> date:
    if day is None:
        return today + timedelta(days=DEFAULT_DAYS)
    if day < today:
        raise ValidationFailed({"expires_on": lazy("Choose today or a later day.")})
    if day > today + timedelta(days=MAX_DAYS - 1):
        raise ValidationFailed({"expires_on": lazy("Choose a day within a year from today.")})
    return day


def _live(now: datetime) -> tuple[object, ...]:
    return (ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)


async def create_token(
    session: AsyncSession, user: User, data: ApiTokenRequest
) -> tuple[ApiToken, str]:
    """A new token of ``user``: the row (flushed) and the secret, which is never shown
    again. At most ``MAX_LIVE`` live tokens per account (``TooManyApiTokens``); the last
    day is today (UTC) or later, within a year (``ValidationFailed`` on ``expires_on``)."""
    now = clock.now()
    day = _check_last_day(data.expires_on, now.astimezone(UTC).date())
    live = await session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, *_live(now))
    )
    if (live or 0) >= MAX_LIVE:
        raise TooManyApiTokens(limit=MAX_LIVE)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        scopes=[scope.value for scope in data.scopes],
        token_hash=digest(secret),
        prefix=secret[:SHOWN],
        created_at=now,
        expires_at=end_of(day),
    )
    session.add(token)
    await session.flush()
    return token, secret


async def my_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    """The account's tokens that are not revoked, expired ones too (until revoked, so their
    owner sees why an integration stopped), the newest first."""
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    return list(rows)


async def revoke_all(session: AsyncSession, user: User, *, now: datetime) -> None:
    """Every live token of the account stops working (a password reset: whoever knew the
    old password may have made some)."""
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_token(session: AsyncSession, user: User, token_id: str) -> None:
    """The token stops working at once. Another account's token, or one revoked already, is
    not found (404), and stays as it is."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound()


async def user_for_api_token(
    session: AsyncSession, secret: str, *, reading: bool = False
) -> tuple[User, ApiToken, str | None] | None:
    """The account a token speaks for, the token and, when its "last used" is stale and the
    request only reads, the token's id to note it by afterwards (``note_used``); or None
    when the token is malformed, unknown, expired or revoked, or its account inactive. A
    writing request notes the use in its own unit of work."""
    if not well_formed(secret):
        return None
    now = clock.now()
    found = (
        await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == digest(secret), *_live(now))
            .options(*WITH_COMPANY)
        )
    ).first()
    if found is None or not found[0].is_active:
        return None
    user, token = found
    if token.last_used_at is not None and now - token.last_used_at < USED_EVERY:
        return user, token, None
    if reading:
        return user, token, token.id
    token.last_used_at = now
    return user, token, None


async def note_used(session: AsyncSession, token_id: str) -> None:
    """Note that a token was used now (for a reading request, after its response)."""
    await session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now())
    )
