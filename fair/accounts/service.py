"""Accounts: registration, password checks, sign-in with rate limits, sessions, roles."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox, ratelimit
from fair.accounts.errors import EmailTaken, InvalidCredentials, LoginRateLimited
from fair.accounts.jobs import send_welcome_mail
from fair.accounts.models import LoginAttempt, Role, Session, User
from fair.accounts.schemas import Registration
from fair.config import Settings
from fair.errors import Forbidden, NotAuthenticated, ValidationFailed
from fair.i18n import lazy

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 10
_COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "password1234",
        "iloveyou123",
        "abcdefghij",
        "0123456789",
        "passw0rd123",
        "kakehashi123",
    }
)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is too weak, or None; messages are msgids."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return lazy("Use at least 10 characters.")
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4:
        return lazy("This password is too easy to guess.")
    local = normalize_email(email).split("@")[0]
    if (len(local) >= 4 and local in lowered) or (len(name) >= 4 and name.lower() in lowered):
        return lazy("The password must not contain your name or e-mail address.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalize_email(email)))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: Role,
    company: str = "",
    country: str = "",
    timezone: str = "Asia/Tokyo",
    locale: str = "en",
    languages: list[str] | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an account of any role (the CLI and the demo use this directly).
    ``password_hash``: the password's hash made already (the demo's accounts share one
    password, and argon2 takes a tenth of a second each time).

    Raises ``EmailTaken`` and ``ValidationFailed`` (weak password). Flushes, never commits.
    """
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValidationFailed({"password": problem})
    if await find_user_by_email(session, email):
        raise EmailTaken(field="email")
    user = User(
        email=normalize_email(email),
        password_hash=password_hash or hash_password(password),
        name=name.strip(),
        role=Role(role).value,
        company=company.strip(),
        country=country,
        timezone=timezone,
        locale=locale,
        languages=languages or [],
    )
    session.add(user)
    await session.flush()
    return user


async def register(session: AsyncSession, data: Registration) -> User:
    """Self-service sign-up of an exhibitor or buyer.

    Side effects: queues the ``send_welcome_mail`` job in the outbox (same transaction).
    """
    user = await create_user(
        session,
        email=str(data.email),
        password=data.password,
        name=data.name,
        role=Role(data.role),
        company=data.company,
        country=data.country,
        timezone=data.timezone,
        locale=data.locale,
    )
    await outbox.enqueue(session, send_welcome_mail, key=f"welcome:{user.id}", user_id=user.id)
    return user


# An address this account signed in from this recently is the owner's own: the
# account-wide ceiling (an attack from many addresses) never shuts it out.
KNOWN_ADDRESS_DAYS = 30


async def _known_address(session: AsyncSession, email: str, address: str, now: datetime) -> bool:
    found = await session.scalar(
        select(LoginAttempt.id)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at > now - timedelta(days=KNOWN_ADDRESS_DAYS),
        )
        .limit(1)
    )
    return found is not None


async def _sign_in_allowed_at(
    session: AsyncSession, email: str, address: str, settings: Settings, now: datetime
) -> datetime | None:
    """When this address may try this account again, or None if it may now. Failures are
    limited per (account, address) pair, per address across accounts, and per account
    across addresses, that last a much higher ceiling that only slows strangers down: an
    address the account signed in from lately is never held by it. So failures from
    elsewhere, however many, never lock the owner out."""
    window = timedelta(minutes=settings.login_window_minutes)
    failed = LoginAttempt.succeeded.is_(False)

    async def until(limit: int, *where: Any) -> datetime | None:
        return await ratelimit.blocked_until(
            session, LoginAttempt.at, failed, *where, limit=limit, window=window, now=now
        )

    moments = [
        await until(
            settings.login_max_failures_per_account_and_address,
            LoginAttempt.email == email,
            LoginAttempt.address == address,
        ),
        await until(settings.login_max_failures_per_address, LoginAttempt.address == address),
    ]
    ceiling = await until(settings.login_max_failures_per_account, LoginAttempt.email == email)
    if ceiling is not None and not await _known_address(session, email, address, now):
        moments.append(ceiling)
    return max((m for m in moments if m is not None), default=None)


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    address: str,
    settings: Settings,
    now: datetime | None = None,
) -> User:
    """Check a password; rate-limited per (account, address), per address and, much
    higher, per account (see ``_sign_in_allowed_at``). A refused try is not recorded, so
    it never pushes the wait further out.

    Side effects: records the attempt (kept even when the sign-in fails); upgrades the
    stored hash when argon2's parameters have changed.
    """
    now = now or clock.now()
    email = normalize_email(email)
    address = address[:64]
    allowed_at = await _sign_in_allowed_at(session, email, address, settings, now)
    if allowed_at is not None:
        wait = ratelimit.seconds_until(allowed_at, now)
        raise LoginRateLimited(minutes=math.ceil(wait / 60), retry_after=wait)
    user = await find_user_by_email(session, email)
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, address=address, at=now, succeeded=ok))
    if not ok or user is None:
        await session.flush()
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    session: AsyncSession, user: User, *, settings: Settings, replaces: str | None = None
) -> str:
    """A new session for ``user``; returns the cookie token. Any previous session id
    presented by the browser is dropped, so an id planted before sign-in is never promoted."""
    if replaces:
        await end_session(session, replaces)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        Session(
            id=_token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=settings.session_days),
        )
    )
    await session.flush()
    return token


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(Session).where(Session.id == _token_hash(token)))


async def user_for_token(session: AsyncSession, token: str | None) -> User | None:
    if not token or len(token) > 128:
        return None
    row = await session.scalar(
        select(User)
        .join(Session, Session.user_id == User.id)
        .where(Session.id == _token_hash(token), Session.expires_at > clock.now())
    )
    return row if row is not None and row.is_active else None


def require_user(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


def require_role(user: User | None, *roles: Role) -> User:
    """The service-layer gate: raises 401 for nobody, 403 for the wrong role."""
    user = require_user(user)
    if not user.has_role(*roles):
        raise Forbidden()
    return user


async def set_locale(session: AsyncSession, user: User, locale: str) -> None:
    user.locale = locale
    await session.flush()
