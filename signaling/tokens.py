"""Join tokens for the signaling channel: signed, bound to one user and one meeting, short-lived
and spent once.

``POST /api/meetings/{id}/join`` issues a token; the client sends it in its first WebSocket
frame. The salt binds the signature to this purpose, so no other token signed with the same
secret key (a session, a password reset) is accepted here. The token carries its own issue time
(``iat``) because itsdangerous's ``max_age`` reads the wall clock and cannot be tested.
"""

from __future__ import annotations

import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "kakehashi.signaling"
ROLES = frozenset({"exhibitor", "buyer", "interpreter", "organizer"})
DEFAULT_MAX_AGE_SECONDS = 60
# Tolerated difference between the clocks of the API process and the relay process.
CLOCK_SKEW_SECONDS = 30

CODE_UNAUTHORIZED = 4401
CODE_FORBIDDEN = 4403


class TokenRejected(Exception):
    """The token does not admit its holder; ``code`` is the WebSocket close code to use."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token allows: this user, in this role, into this meeting, until ``until``."""

    user_id: str
    meeting_id: str
    role: str
    name: str
    until: datetime  # aware UTC: the end of the meeting's join window
    jti: str  # random token id, spent once


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment.astimezone(UTC)


def issue(
    secret: str,
    *,
    user_id: str,
    meeting_id: str,
    role: str,
    name: str,
    until: datetime,
    now: datetime | None = None,
) -> str:
    """A signed join token for ``user_id`` in ``meeting_id``, valid for joining until ``until``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued = _utc(now) if now is not None else datetime.now(UTC)  # clock-ok: default
    payload = {
        "u": str(user_id),
        "m": str(meeting_id),
        "r": role,
        "n": name,
        "until": _utc(until).timestamp(),
        "iat": issued.timestamp(),
        "jti": secrets.token_urlsafe(16),
    }
    return _serializer(secret).dumps(payload)


def _field(payload: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = payload.get(key)
    # bool is an int subclass; a timestamp is never a bool.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TokenRejected(CODE_UNAUTHORIZED, "malformed token")
    return value


def verify(
    secret: str,
    token: object,
    *,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: datetime | None = None,
) -> Grant:
    """The grant a token carries; raises ``TokenRejected`` (4401 bad token, 4403 window over)."""
    if not isinstance(token, str) or not token:
        raise TokenRejected(CODE_UNAUTHORIZED, "missing token")
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        raise TokenRejected(CODE_UNAUTHORIZED, "invalid token") from None
    if not isinstance(payload, dict):
        raise TokenRejected(CODE_UNAUTHORIZED, "malformed token")
    user_id = _field(payload, "u", str)
    meeting_id = _field(payload, "m", str)
    role = _field(payload, "r", str)
    name = _field(payload, "n", str)
    until_ts = _field(payload, "until", (int, float))
    iat = _field(payload, "iat", (int, float))
    jti = _field(payload, "jti", str)
    if role not in ROLES or not user_id or not meeting_id or not jti:
        raise TokenRejected(CODE_UNAUTHORIZED, "malformed token")
    current = _utc(now) if now is not None else datetime.now(UTC)  # clock-ok: default
    age = current.timestamp() - iat
    if age > max_age_seconds or age < -CLOCK_SKEW_SECONDS:
        raise TokenRejected(CODE_UNAUTHORIZED, "expired token")
    try:
        until = datetime.fromtimestamp(until_ts, UTC)
    except (OverflowError, OSError, ValueError):
        raise TokenRejected(CODE_UNAUTHORIZED, "malformed token") from None
    if current > until:
        raise TokenRejected(CODE_FORBIDDEN, "the meeting's join window is over")
    return Grant(user_id=user_id, meeting_id=meeting_id, role=role, name=name, until=until, jti=jti)


# --- single use -------------------------------------------------------------------------------


class TokenLedger(ABC):
    """Remembers spent token ids for as long as the token could still verify."""

    @abstractmethod
    async def spend(self, jti: str, ttl_seconds: int) -> bool:
        """Mark ``jti`` used; False when it already was."""

    async def close(self) -> None:  # noqa: B027 (most ledgers hold nothing to release)
        """Release connections."""


class MemoryLedger(TokenLedger):
    """One process's ledger: enough when the relay runs in a single process."""

    def __init__(self) -> None:
        self._spent: dict[str, float] = {}
        self._next_prune = 0.0

    async def spend(self, jti: str, ttl_seconds: int) -> bool:
        now = time.monotonic()
        if now >= self._next_prune:
            # A full sweep at most once a second keeps spend O(1) amortised.
            self._spent = {key: until for key, until in self._spent.items() if until > now}
            self._next_prune = now + 1.0
        until = self._spent.get(jti)
        if until is not None and until > now:
            return False
        self._spent[jti] = now + ttl_seconds
        return True


class RedisLedger(TokenLedger):
    """Shared by every relay process: ``SET key NX EX`` succeeds for the first spender only."""

    def __init__(
        self, redis: Any, *, prefix: str = "kakehashi:signaling:jti:", owned: bool = False
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._owned = owned  # close the client at the end only when we made it

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisLedger:
        # The library runs without Redis (one process): redis is imported only when a
        # Redis ledger is asked for.
        import redis.asyncio as aioredis

        return cls(aioredis.from_url(url), owned=True, **kwargs)

    async def spend(self, jti: str, ttl_seconds: int) -> bool:
        done = await self._redis.set(self._prefix + jti, b"1", nx=True, ex=max(1, ttl_seconds))
        return bool(done)

    async def close(self) -> None:
        if self._owned:
            await self._redis.aclose()
