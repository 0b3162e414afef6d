"""Join tokens: signed, bound to user and meeting, short-lived, spent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from itsdangerous import URLSafeTimedSerializer

from signaling.tokens import (
    SALT,
    MemoryLedger,
    RedisLedger,
    TokenRejected,
    issue,
    verify,
)

SECRET = "token-test-secret-" + "x" * 32
NOW = datetime(2027, 3, 9, 1, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(minutes=40)


def make(**overrides: object) -> str:
    fields: dict[str, object] = {
        "user_id": "u-17",
        "meeting_id": "meeting-a",
        "role": "exhibitor",
        "name": "佐藤 花子",
        "until": UNTIL,
        "now": NOW,
    }
    fields.update(overrides)
    return issue(SECRET, **fields)  # type: ignore[arg-type]


def rejected(token: object, *, secret: str = SECRET, **kwargs: object) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        verify(secret, token, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_round_trip() -> None:
    grant = verify(SECRET, make(), now=NOW + timedelta(seconds=5))
    assert (grant.user_id, grant.meeting_id, grant.role, grant.name) == (
        "u-17",
        "meeting-a",
        "exhibitor",
        "佐藤 花子",
    )
    assert grant.until == UNTIL and grant.until.tzinfo is not None
    assert len(grant.jti) >= 16


def test_each_token_has_its_own_id() -> None:
    assert verify(SECRET, make(), now=NOW).jti != verify(SECRET, make(), now=NOW).jti


def test_token_for_meeting_a_carries_a() -> None:
    assert verify(SECRET, make(meeting_id="meeting-a"), now=NOW).meeting_id == "meeting-a"
    assert verify(SECRET, make(meeting_id="meeting-b"), now=NOW).meeting_id == "meeting-b"


def test_forged_with_another_secret() -> None:
    forged = issue("another-secret-" + "y" * 32, user_id="u", meeting_id="m", role="buyer",
                   name="n", until=UNTIL, now=NOW)  # fmt: skip
    assert rejected(forged, now=NOW).code == 4401


def test_signed_for_another_purpose() -> None:
    # Same secret, other salt (a session cookie, say): not a join token.
    other = URLSafeTimedSerializer(SECRET, salt="kakehashi.session").dumps({"u": "u-17"})
    assert rejected(other, now=NOW).code == 4401
    assert SALT == "kakehashi.signaling"


def test_tampered() -> None:
    token = make()
    for index in (5, len(token) // 2, len(token) - 3):
        swapped = "A" if token[index] != "A" else "B"
        tampered = token[:index] + swapped + token[index + 1 :]
        assert rejected(tampered, now=NOW).code == 4401
    assert rejected(token[:-2], now=NOW).code == 4401


@pytest.mark.parametrize("token", [None, "", 17, "not-a-token", "a.b.c"])
def test_missing_or_malformed(token: object) -> None:
    assert rejected(token, now=NOW).code == 4401


def test_wrong_payload_shape() -> None:
    serializer = URLSafeTimedSerializer(SECRET, salt=SALT)
    for payload in ([1, 2], {"u": "x"}, {"u": 1, "m": "m", "r": "buyer", "n": "n",
                                         "until": 1e10, "iat": 1e9, "jti": "j"}):  # fmt: skip
        assert rejected(serializer.dumps(payload), now=NOW).code == 4401


def test_expired_after_max_age() -> None:
    token = make()
    assert verify(SECRET, token, now=NOW + timedelta(seconds=60)).user_id == "u-17"
    error = rejected(token, now=NOW + timedelta(seconds=61))
    assert (error.code, error.message) == (4401, "expired token")
    assert rejected(token, max_age_seconds=10, now=NOW + timedelta(seconds=11)).code == 4401


def test_issued_in_the_future_beyond_clock_skew() -> None:
    assert rejected(make(now=NOW + timedelta(minutes=5)), now=NOW).code == 4401


def test_past_until_is_forbidden() -> None:
    token = make(until=NOW + timedelta(seconds=30))
    assert verify(SECRET, token, now=NOW + timedelta(seconds=30)).user_id == "u-17"
    assert rejected(token, now=NOW + timedelta(seconds=31)).code == 4403


def test_issue_refuses_unknown_roles_and_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        make(role="admin")
    with pytest.raises(ValueError):
        make(until=datetime(2027, 3, 9, 2, 0))


async def test_memory_ledger_spends_once() -> None:
    ledger = MemoryLedger()
    assert await ledger.spend("jti-1", 60) is True
    assert await ledger.spend("jti-1", 60) is False
    assert await ledger.spend("jti-2", 60) is True


async def test_memory_ledger_forgets_after_ttl() -> None:
    ledger = MemoryLedger()
    assert await ledger.spend("jti-1", 0) is True
    # ttl 0: already past its expiry, so the entry no longer counts.
    assert await ledger.spend("jti-1", 60) is True
    assert await ledger.spend("jti-1", 60) is False


async def test_redis_ledger_spends_once(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        ledger = RedisLedger(client, prefix="test:jti:")
        assert await ledger.spend("jti-1", 60) is True
        assert await ledger.spend("jti-1", 60) is False
        assert await ledger.spend("jti-2", 60) is True
        assert 0 < await client.ttl("test:jti:jti-1") <= 60
        await ledger.close()  # not ours: the client stays open
        assert await client.ping()
    finally:
        await client.aclose()


async def test_redis_ledger_from_url(redis_url: str) -> None:
    ledger = RedisLedger.from_url(redis_url, prefix="test:jti2:")
    try:
        assert await ledger.spend("x", 5) is True
        assert await ledger.spend("x", 5) is False
    finally:
        await ledger.close()
