"""Several acts counted at once (``fair.ratelimit.count_acts``: a booking counts its buyer's
account and its client's address): each act against its own limit and window, the first
over its limit refused with when to come back, nothing marked then; one read whatever the
acts, served from SQLAlchemy's cache once built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine.interfaces import CacheStats

from fair.errors import TooManyRequests
from fair.ratelimit import RateMark, count_acts
from tests.helpers import Built, Statements

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


async def _marks(session, kind: str, subject: str) -> int:
    query = select(func.count()).where(RateMark.kind == kind, RateMark.subject == subject)
    return int(await session.scalar(query))


async def test_each_act_counts_against_its_own_limit(session) -> None:
    def acts(account: str, address: str) -> list[tuple[str, str, int]]:
        return [("book-account", account, 3), ("book-address", address, 2)]

    for minute in range(2):
        await count_acts(
            session, acts("ana", "10.0.0.1"), window=WINDOW, now=NOW + timedelta(minutes=minute)
        )
    # The address has had its two: refused, and until its older mark leaves the window.
    later = NOW + timedelta(minutes=3)
    with pytest.raises(TooManyRequests) as refused:
        await count_acts(session, acts("ana", "10.0.0.1"), window=WINDOW, now=later)
    assert refused.value.retry_after == 7 * 60
    assert await _marks(session, "book-account", "ana") == 2  # the refused act marked nothing
    # Another address is let through; then the account has had its three.
    await count_acts(session, acts("ana", "10.0.0.2"), window=WINDOW, now=later)
    with pytest.raises(TooManyRequests) as refused:
        await count_acts(session, acts("ana", "10.0.0.3"), window=WINDOW, now=later)
    assert refused.value.retry_after == 7 * 60  # its third newest mark is its first
    # Another account from a fresh address is not held back by either.
    await count_acts(session, acts("bo", "10.0.0.4"), window=WINDOW, now=later)
    # Once the window has passed the first marks, the first address may act again.
    await count_acts(session, acts("cy", "10.0.0.1"), window=WINDOW, now=NOW + WINDOW)
    assert await _marks(session, "book-address", "10.0.0.1") == 3


async def test_a_limit_of_nothing_refuses_and_the_first_over_its_limit_is_named(session) -> None:
    with pytest.raises(TooManyRequests) as refused:
        await count_acts(session, [("a", "x", 5), ("b", "x", 0)], window=WINDOW, now=NOW)
    assert refused.value.retry_after == 10 * 60
    assert await _marks(session, "a", "x") == 0
    await count_acts(session, [("a", "x", 1), ("b", "x", 1), ("c", "x", 1)], window=WINDOW, now=NOW)
    for order in ([("c", "x", 1), ("a", "x", 5)], [("a", "x", 5), ("c", "x", 1)]):
        with pytest.raises(TooManyRequests) as refused:
            await count_acts(session, order, window=WINDOW, now=NOW + timedelta(minutes=4))
        assert refused.value.retry_after == 6 * 60


async def test_the_read_is_built_once_and_bound_per_call(session, engine) -> None:
    with Built() as rounds:
        rounds.next()
        await count_acts(session, [("k", "first", 2), ("l", "first", 2)], window=WINDOW, now=NOW)
        rounds.next()
        with Statements(engine) as sent:
            await count_acts(
                session, [("k", "second", 1), ("l", "second", 4)], window=WINDOW, now=NOW
            )
    # One read and the marks' insert per call, the same statement objects each time (not
    # built and hashed again), both served from the compiled cache.
    assert [len(statements) for statements in rounds] == [2, 2]
    assert rounds.again() == []
    assert sent.cache_hits == [CacheStats.CACHE_HIT] * 2, sent.listing()
    # Bound per call: the second subject's single limit holds after one act, not the first's.
    with pytest.raises(TooManyRequests):
        await count_acts(session, [("k", "second", 1)], window=WINDOW, now=NOW)
    await count_acts(session, [("k", "first", 3)], window=WINDOW, now=NOW)
