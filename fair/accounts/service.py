"""Accounts: registration, password checks, sign-in with rate limits, sessions, roles."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from fair import clock, outbox, ratelimit
from fair.accounts import api_tokens, companies, tokens
from fair.accounts.errors import (
    AlreadyVerified,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidLink,
    LinkRateLimited,
    LoginRateLimited,
    WrongPassword,
)
from fair.accounts.jobs import send_account_link, send_welcome_mail
from fair.accounts.models import (
    WITH_COMPANY,
    AccountToken,
    LoginAttempt,
    Role,
    Session,
    TokenPurpose,
    User,
)
from fair.accounts.schemas import Registration
from fair.config import Settings
from fair.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from fair.i18n import lazy

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 10
# zxcvbn's scale: 3 is "safely unguessable" for an online attack (about 10^8 guesses);
# it knows the common and breached passwords, names, dates, keyboard walks and repeats.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows with the length): the first 72
# characters of a longer password are judged, which are as strong as the whole at least.
_ZXCVBN_MAX = 72


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(
    password: str, *, email: str = "", name: str = "", company: str = ""
) -> str | None:
    """Why a password is too weak, or None; messages are msgids. The policy: a length, the
    person's own name and address kept out, and zxcvbn's estimate of how guessable it is
    (common and breached passwords score lowest); no rules on character classes."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return lazy("Use at least 10 characters.")
    lowered = password.lower()
    local = normalize_email(email).split("@")[0]
    if (len(local) >= 4 and local in lowered) or (len(name) >= 4 and name.lower() in lowered):
        return lazy("The password must not contain your name or e-mail address.")
    known = [part for part in (email, local, name, company, "kakehashi") if part]
    if zxcvbn(password[:_ZXCVBN_MAX], user_inputs=known)["score"] < MIN_PASSWORD_SCORE:
        return lazy("This password is too easy to guess.")
    return None


def check_password(password: str, user: User) -> None:
    """``ValidationFailed`` (on ``field``) when ``password`` is too weak for this account."""
    problem = password_problem(password, email=user.email, name=user.name, company=user.company)
    if problem:
        raise ValidationFailed({"password": problem})


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
    verified: bool = False,
    with_company: bool = True,
) -> User:
    """Create an account of any role (the CLI and the demo use this directly). An exhibitor
    or buyer gets a company of their own, named from ``company`` (or the address), as its
    owner, unless ``with_company`` is False (they are joining one).
    ``password_hash``: the password's hash made already (the demo's accounts share one
    password, and argon2 takes a tenth of a second each time).

    Raises ``EmailTaken`` and ``ValidationFailed`` (weak password). Flushes, never commits.
    """
    problem = password_problem(password, email=email, name=name, company=company)
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
        email_verified_at=clock.now() if verified else None,
        membership=None,  # known: a new account belongs to no company yet
    )
    session.add(user)
    await session.flush()
    if with_company:
        await companies.ensure_company(session, user)
    return user


async def register(
    session: AsyncSession, data: Registration, *, settings: Settings, address: str = ""
) -> User:
    """Self-service sign-up of an exhibitor or buyer, its address not yet confirmed.

    Side effects: queues the verification mail (``send_account_link``) in the outbox (same
    transaction); the welcome follows the confirmation.
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
    await _send_verification(session, user, settings=settings, address=address)
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
    session: AsyncSession,
    user: User,
    *,
    settings: Settings,
    replaces: str | None = None,
    user_agent: str = "",
    address: str = "",
) -> str:
    """A new session for ``user``; returns the cookie token. Any previous session id
    presented by the browser is dropped, so an id planted before sign-in is never promoted.
    ``user_agent`` and ``address`` are kept for the owner's list of signed-in devices."""
    if replaces:
        await end_session(session, replaces)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        Session(
            id=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=settings.session_days),
            user_agent=user_agent[:255],
            address=address[:64],
        )
    )
    await session.flush()
    return token


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(Session).where(Session.id == _token_hash(token)))


# How stale "last seen" may get: refreshed at most this often, so a page view is not
# always a write.
SEEN_EVERY = timedelta(minutes=5)

# The statements of every signed-in request, built once: SQLAlchemy keeps a statement's
# cache key on the statement, so a prebuilt one is neither built nor hashed per request.
# The account comes with its membership and company (every page shows them, and who may
# manage a booth is decided from them); of the session only its "last seen" is needed.
_SIGNED_IN = (
    select(User, Session.last_seen_at)
    .join(Session, Session.user_id == User.id)
    .where(
        Session.id == bindparam("session_id"),
        Session.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
    .options(*WITH_COMPANY)
)
_SEEN = (
    update(Session)
    .where(Session.id == bindparam("session_id"))
    .values(last_seen_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


async def user_for_token(
    session: AsyncSession, token: str | None, *, reading: bool = False
) -> tuple[User, str | None] | None:
    """The signed-in account of a session cookie and, when its "last seen" is stale, the
    session's id to note it by; or None (no such session, expired, or the account made
    inactive). A writing request notes it in its own unit of work (and returns no id); a
    ``reading`` one may not write, so its caller notes it (``note_seen``) once the response
    is out."""
    if not token or len(token) > 128:
        return None
    now = clock.now()
    session_id = _token_hash(token)
    found = (await session.execute(_SIGNED_IN, {"session_id": session_id, "now": now})).first()
    if found is None:
        return None
    user, last_seen_at = found
    if now - last_seen_at < SEEN_EVERY:
        return user, None
    if reading:
        return user, session_id
    await session.execute(_SEEN, {"session_id": session_id, "now": now})
    return user, None


async def note_seen(session: AsyncSession, session_id: str) -> None:
    """Note that a session was seen now (for a reading request, after its response)."""
    await session.execute(_SEEN, {"session_id": session_id, "now": clock.now()})


async def signed_in_devices(
    session: AsyncSession, user: User, current_token: str | None
) -> list[tuple[Session, bool]]:
    """The account's unexpired sessions, the most recently seen first, each with whether it
    is the one asking."""
    current = _token_hash(current_token) if current_token else None
    rows = await session.scalars(
        select(Session)
        .where(Session.user_id == user.id, Session.expires_at > clock.now())
        .order_by(Session.last_seen_at.desc(), Session.created_at.desc())
    )
    return [(row, row.id == current) for row in rows]


async def end_device(session: AsyncSession, user: User, public_id: str) -> None:
    """Sign out one of the account's own sessions; another account's is not found (404)."""
    result = await session.execute(
        delete(Session).where(Session.public_id == public_id, Session.user_id == user.id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound()


async def end_other_sessions(session: AsyncSession, user: User, keep: str | None) -> int:
    """End every session of the account but the cookie ``keep`` names; how many ended."""
    statement = delete(Session).where(Session.user_id == user.id)
    if keep:
        statement = statement.where(Session.id != _token_hash(keep))
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def require_verified(user: User | None) -> User:
    """The gate before booking and writing to anyone: 401 for nobody, 403 until the account
    has confirmed its e-mail address."""
    user = require_user(user)
    if not user.verified:
        raise EmailNotVerified()
    return user


# E-mail verification ------------------------------------------------------------------------


async def _send_verification(
    session: AsyncSession, user: User, *, settings: Settings, address: str
) -> None:
    row = await tokens.issue(
        session,
        TokenPurpose.VERIFY,
        email=user.email,
        user_id=user.id,
        address=address,
        lifetime=timedelta(hours=settings.verification_hours),
        secret=settings.secret_key,
        now=clock.now(),
    )
    await outbox.enqueue(session, send_account_link, key=f"account-link:{row.id}", token_id=row.id)


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.account_mail_window_minutes)


async def _refuse_when_over(
    session: AsyncSession, *where: Any, limit: int, settings: Settings, now: datetime
) -> None:
    allowed_at = await ratelimit.blocked_until(
        session, AccountToken.created_at, *where, limit=limit, window=_window(settings), now=now
    )
    if allowed_at is not None:
        wait = ratelimit.seconds_until(allowed_at, now)
        raise LinkRateLimited(minutes=math.ceil(wait / 60), retry_after=wait)


async def resend_verification(
    session: AsyncSession, user: User | None, *, settings: Settings, address: str
) -> None:
    """A new verification link for the signed-in account; at most
    ``verification_resend_max`` links (the first one included) in the window."""
    user = require_user(user)
    if user.verified:
        raise AlreadyVerified()
    await _refuse_when_over(
        session,
        AccountToken.purpose == TokenPurpose.VERIFY.value,
        AccountToken.user_id == user.id,
        limit=settings.verification_resend_max,
        settings=settings,
        now=clock.now(),
    )
    await _send_verification(session, user, settings=settings, address=address)


async def verify_email(session: AsyncSession, token: str) -> User:
    """Spend a verification link: the account's address is confirmed (``InvalidLink``
    when the link is forged, expired, used, or for an address the account no longer has).

    Side effects: queues the welcome mail, the first mail that may name the person."""
    now = clock.now()
    user_id, email = await tokens.redeem(session, TokenPurpose.VERIFY, token, now=now)
    user = await session.get(User, user_id)
    if user is None or user.email != email or not user.is_active:
        raise InvalidLink()
    if not user.verified:
        user.email_verified_at = now
        await outbox.enqueue(session, send_welcome_mail, key=f"welcome:{user.id}", user_id=user.id)
    await session.flush()
    return user


# Passwords ----------------------------------------------------------------------------------


async def request_password_reset(
    session: AsyncSession, email: str, *, settings: Settings, address: str
) -> None:
    """Queue a reset link for ``email``. The same work whether or not an account has it (a
    token row, without an account when there is none, and a mail job that then sends
    nothing), so neither the answer nor its timing tells. Limited per address asked for
    and per client address, the same way for both (``LinkRateLimited``)."""
    now = clock.now()
    email = normalize_email(email)
    address = address[:64]
    reset = AccountToken.purpose == TokenPurpose.RESET.value
    for asking, limit in (
        (AccountToken.email == email, settings.password_reset_max_per_email),
        (AccountToken.address == address, settings.password_reset_max_per_address),
    ):
        await _refuse_when_over(session, reset, asking, limit=limit, settings=settings, now=now)
    user = await find_user_by_email(session, email)
    row = await tokens.issue(
        session,
        TokenPurpose.RESET,
        email=email,
        user_id=user.id if user is not None and user.is_active else None,
        address=address,
        lifetime=timedelta(minutes=settings.password_reset_minutes),
        secret=settings.secret_key,
        now=now,
    )
    await outbox.enqueue(session, send_account_link, key=f"account-link:{row.id}", token_id=row.id)


async def reset_password(
    session: AsyncSession, token: str, password: str, *, keep: str | None = None
) -> User:
    """Spend a reset link and set ``password`` (the policy holds; a refusal rolls the spent
    link back with everything else). Every session of the account ends but ``keep``'s, and
    every other reset link and pending e-mail change dies, and every API token is revoked;
    the address is confirmed, as the link reached it."""
    now = clock.now()
    user_id, email = await tokens.redeem(session, TokenPurpose.RESET, token, now=now)
    user = await session.get(User, user_id)
    if user is None or user.email != email or not user.is_active:
        raise InvalidLink()
    check_password(password, user)
    user.password_hash = hash_password(password)
    if not user.verified:
        user.email_verified_at = now
    await tokens.spend_all(session, TokenPurpose.RESET, user.id, now=now)
    # A pending e-mail change someone else asked for dies with the password they knew.
    await tokens.spend_all(session, TokenPurpose.EMAIL_CHANGE, user.id, now=now)
    await end_other_sessions(session, user, keep)
    # A reset says the password may have been someone else's: so may the tokens they made.
    await api_tokens.revoke_all(session, user, now=now)
    await session.flush()
    return user


async def change_password(
    session: AsyncSession,
    user: User | None,
    *,
    current_password: str,
    new_password: str,
    keep: str | None,
    address: str,
    settings: Settings,
) -> None:
    """Set a new password for the signed-in account, given the current one. The current
    one is checked like a sign-in (rate-limited, the failure recorded: ``WrongPassword``);
    every other session ends, and a pending e-mail change with them (the notice to the old
    address tells its owner to change the password if the change was not theirs)."""
    user = require_user(user)
    try:
        await authenticate(
            session, email=user.email, password=current_password, address=address, settings=settings
        )
    except InvalidCredentials:
        raise WrongPassword(field="current_password") from None
    try:
        check_password(new_password, user)
    except ValidationFailed as exc:
        raise ValidationFailed({"new_password": exc.errors["password"]}) from None
    user.password_hash = hash_password(new_password)
    await tokens.spend_all(session, TokenPurpose.EMAIL_CHANGE, user.id, now=clock.now())
    await end_other_sessions(session, user, keep)
    await session.flush()


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
