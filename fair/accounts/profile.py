"""A person's profile: what they say about themselves (name, position, country, time zone,
languages, UI language, working day), and moving the account to another e-mail address,
confirmed from the new address and told to the old one."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox, ratelimit
from fair.accounts import tokens
from fair.accounts.errors import EmailTaken, InvalidCredentials, LinkRateLimited, WrongPassword
from fair.accounts.jobs import (
    may_mail,
    send_email_change_link,
    send_email_change_notice,
    send_welcome_mail,
)
from fair.accounts.models import AccountToken, TokenPurpose, User
from fair.accounts.schemas import ProfileUpdate
from fair.accounts.service import (
    authenticate,
    end_other_sessions,
    find_user_by_email,
    normalize_email,
    require_user,
)
from fair.config import Settings
from fair.errors import ValidationFailed
from fair.i18n import lazy

# What PATCH /api/me may set, straight onto the account's column of the same name.
_PLAIN_FIELDS = ("name", "position", "country", "timezone", "locale")


async def update_profile(session: AsyncSession, user: User | None, data: ProfileUpdate) -> User:
    """Set the fields ``data`` carries on the signed-in account; the others stay. The time
    zone is where slot pages show times from the next page on; the working day is where
    "good for both" looks for the person's side. Flushes, never commits."""
    user = require_user(user)
    sent = data.model_fields_set
    for name in _PLAIN_FIELDS:
        if name in sent:
            setattr(user, name, getattr(data, name))
    if "languages" in sent:
        user.languages = list(data.languages)  # a new list: the JSON column sees the change
    if "working_hours" in sent:
        user.day_start, user.day_end = data.working_hours.start, data.working_hours.end
    await session.flush()
    return user


async def pending_email(session: AsyncSession, user: User) -> str | None:
    """The new address the account waits to have confirmed, if a link to it still holds."""
    return await session.scalar(
        select(AccountToken.email)
        .where(
            AccountToken.purpose == TokenPurpose.EMAIL_CHANGE.value,
            AccountToken.user_id == user.id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > clock.now(),
        )
        .order_by(AccountToken.created_at.desc())
        .limit(1)
    )


async def _refuse_when_over(
    session: AsyncSession, asking: Any, *, settings: Settings, now: datetime
) -> None:
    allowed_at = await ratelimit.blocked_until(
        session,
        AccountToken.created_at,
        AccountToken.purpose == TokenPurpose.EMAIL_CHANGE.value,
        asking,
        limit=settings.verification_resend_max,
        window=timedelta(minutes=settings.account_mail_window_minutes),
        now=now,
    )
    if allowed_at is not None:
        wait = ratelimit.seconds_until(allowed_at, now)
        raise LinkRateLimited(minutes=math.ceil(wait / 60), retry_after=wait)


async def request_email_change(
    session: AsyncSession,
    user: User | None,
    *,
    email: str,
    password: str,
    address: str,
    settings: Settings,
) -> None:
    """Ask to move the signed-in account to ``email``: needs the current password (checked
    like a sign-in: rate-limited, the failure recorded, ``WrongPassword``). Nothing changes
    until the link mailed to the new address is used (``confirm_email_change``). The answer
    is the same whether or not another account has the address: that is told only to
    whoever opens the link, who holds that mailbox already. At most
    ``verification_resend_max`` requests per account, and per new address, in the window.

    Side effects: every earlier pending change of the account stops working; queues the
    link to the new address (``send_email_change_link``) and, when the current address is
    confirmed, the notice to it (``send_email_change_notice``)."""
    user = require_user(user)
    email = normalize_email(email)
    if email == user.email:
        raise ValidationFailed({"email": lazy("This is your address already.")})
    try:
        await authenticate(
            session, email=user.email, password=password, address=address, settings=settings
        )
    except InvalidCredentials:
        raise WrongPassword(field="password") from None
    now = clock.now()
    await _refuse_when_over(session, AccountToken.user_id == user.id, settings=settings, now=now)
    await _refuse_when_over(session, AccountToken.email == email, settings=settings, now=now)
    await tokens.spend_all(session, TokenPurpose.EMAIL_CHANGE, user.id, now=now)
    row = await tokens.issue(
        session,
        TokenPurpose.EMAIL_CHANGE,
        email=email,
        user_id=user.id,
        address=address,
        lifetime=timedelta(hours=settings.verification_hours),
        secret=settings.secret_key,
        now=now,
    )
    await outbox.enqueue(
        session, send_email_change_link, key=f"email-change:{row.id}", token_id=row.id
    )
    if may_mail(user):
        await outbox.enqueue(
            session,
            send_email_change_notice,
            key=f"email-change-notice:{row.id}",
            token_id=row.id,
            to=user.email,
        )


async def confirm_email_change(
    session: AsyncSession, user: User | None, token: str, *, keep: str | None
) -> User:
    """Spend an e-mail change link of the signed-in account: the account's address becomes
    the link's, confirmed (the link reached it). ``InvalidLink`` when the link is forged,
    expired, used or another account's (which then stays unspent); ``EmailTaken`` when
    another account has the address by now (the link stays unspent too).

    Side effects: every other session of the account ends but ``keep``'s; every pending
    link of the account (reset, verification, other changes) stops working, as the old
    address may no longer be the owner's; an account confirming its first address is
    queued its welcome mail."""
    user = require_user(user)
    now = clock.now()
    _, email = await tokens.redeem(
        session, TokenPurpose.EMAIL_CHANGE, token, now=now, user_id=user.id
    )
    holder = await find_user_by_email(session, email)
    if holder is not None and holder.id != user.id:
        raise EmailTaken(field="email")
    if not user.verified:
        # The first confirmed address: the welcome, as verification would have sent.
        await outbox.enqueue(session, send_welcome_mail, key=f"welcome:{user.id}", user_id=user.id)
    user.email = email
    user.email_verified_at = now
    try:
        # Another account may take the address between the look-up and here: the unique
        # index decides, and the answer is the same refusal (the request rolls back).
        await session.flush()
    except sa_exc.IntegrityError:
        raise EmailTaken(field="email") from None
    for purpose in TokenPurpose:
        await tokens.spend_all(session, purpose, user.id, now=now)
    await end_other_sessions(session, user, keep)
    await session.flush()
    return user
