"""Mailed one-time links: e-mail verification, password reset and e-mail change.

A token is the HMAC of its row's random id under the secret key: the row keeps only the
token's SHA-256, so the database alone (a backup, a leak) gives no working link, while the
mail job can still write the link from the row it is handed. A token works once: redeeming
is one UPDATE that only an unused, unexpired row of that purpose passes, so two requests
racing with one link cannot both win."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from fair.accounts.errors import InvalidLink
from fair.accounts.models import AccountToken, TokenPurpose
from fair.db import new_id

MAX_TOKEN_LENGTH = 128


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(row_id: str, purpose: str, secret: str) -> str:
    """The link's token for the row ``row_id``: only the holder of ``secret`` can make it."""
    mac = hmac.new(
        secret.encode(), f"kakehashi-account-link:{purpose}:{row_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def issue(
    session: AsyncSession,
    purpose: TokenPurpose,
    *,
    email: str,
    user_id: str | None,
    address: str,
    lifetime: timedelta,
    secret: str,
    now: datetime,
) -> AccountToken:
    """A new unused token row (flushed): the link is ``token_of(row.id, ...)``."""
    row_id = new_id()
    row = AccountToken(
        id=row_id,
        purpose=purpose.value,
        user_id=user_id,
        email=email,
        address=address[:64],
        token_hash=digest(token_of(row_id, purpose.value, secret)),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    await session.flush()
    return row


async def redeem(
    session: AsyncSession,
    purpose: TokenPurpose,
    token: str,
    *,
    now: datetime,
    user_id: str | None = None,
) -> tuple[str, str]:
    """Spend a token: its (user id, e-mail address). ``InvalidLink`` when it is unknown,
    forged, of another purpose, expired, used already or, given ``user_id``, another
    account's; then nothing changes (another account's link stays unspent)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink()
    owner = (
        AccountToken.user_id.is_not(None) if user_id is None else AccountToken.user_id == user_id
    )
    statement = (
        update(AccountToken)
        .where(
            AccountToken.token_hash == digest(token),
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
            owner,
        )
        .values(used_at=now)
        .returning(AccountToken.user_id, AccountToken.email)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).first()
    if row is None or row.user_id is None:
        raise InvalidLink()
    return row.user_id, row.email


async def spend_all(
    session: AsyncSession, purpose: TokenPurpose, user_id: str, *, now: datetime
) -> None:
    """Every unused link of this purpose for the account stops working (a password was
    just reset: an older reset mail must not undo it)."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.purpose == purpose.value,
            AccountToken.user_id == user_id,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
