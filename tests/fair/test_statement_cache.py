"""INSERT … ON CONFLICT DO NOTHING and DO UPDATE are compiled once and then served from
SQLAlchemy's statement cache (SQLAlchemy's own dialect inserts never are: each outbox
insert, on every booking, mail and webhook, and each booth's daily visit count was compiled
anew); a different conflict target or SET is never served another's SQL, and the SET's
values are each execution's own."""

from __future__ import annotations

import itertools

from helpers import Statements
from sqlalchemy import select
from sqlalchemy.engine.interfaces import CacheStats

from fair import outbox
from fair.db import insert_for
from fair.outbox import OutboxJob


async def test_the_outbox_insert_is_compiled_once_then_cached(session):
    with Statements(session.get_bind()) as sent:
        for number in range(3):
            await outbox.enqueue(session, "send_mail", key=f"cached-{number}", n=number)
        again = await outbox.enqueue(session, "send_mail", key="cached-0", n=0)
    assert again is None  # the conflict clause is there: a known key adds nothing
    assert "ON CONFLICT" in sent.starting("INSERT INTO outbox")[0]
    hits = sent.hits("INSERT INTO outbox")
    assert len(hits) == 4 and CacheStats.NO_CACHE_KEY not in hits
    assert hits[1:] == [CacheStats.CACHE_HIT] * 3


async def test_different_conflict_targets_get_different_statements(session):
    insert = insert_for(session)
    by_key = (
        insert(OutboxJob)
        .values(key="a", job="j", args={})
        .on_conflict_do_nothing(index_elements=["key"])
    )
    by_id = (
        insert(OutboxJob)
        .values(key="a", job="j", args={})
        .on_conflict_do_nothing(index_elements=["id"])
    )
    plain = insert(OutboxJob).values(key="a", job="j", args={})
    keys = [s._generate_cache_key() for s in (by_key, by_id, plain)]
    assert all(key is not None for key in keys)
    assert keys[0] != keys[1] and keys[0] != keys[2] and keys[1] != keys[2]
    dialect = session.get_bind().dialect
    compiled = [str(s.compile(dialect=dialect)).replace('"', "") for s in (by_key, by_id)]
    assert "ON CONFLICT (key) DO NOTHING" in compiled[0]
    assert "ON CONFLICT (id) DO NOTHING" in compiled[1]


async def test_an_upsert_is_cached_and_its_set_values_are_bound_at_each_execution(session):
    insert = insert_for(session)

    def upsert(job: str) -> object:
        statement = insert(OutboxJob).values(key="up", job="first", args={})
        return statement.on_conflict_do_update(index_elements=["key"], set_={"job": job})

    with Statements(session.get_bind()) as sent:
        for job in ("second", "third", "fourth"):
            await session.execute(upsert(job))
            stored = await session.scalar(select(OutboxJob.job).where(OutboxJob.key == "up"))
            # Not the value of the statement compiled first: each execution's own.
            assert stored == (job if job != "second" else "first")
    assert "DO UPDATE SET job" in sent.starting("INSERT INTO outbox")[0]
    assert sent.hits("INSERT INTO outbox")[1:] == [CacheStats.CACHE_HIT] * 2
    assert upsert("x")._generate_cache_key() == upsert("y")._generate_cache_key()


async def test_upserts_that_set_other_things_get_other_statements(session):
    insert = insert_for(session)
    base = insert(OutboxJob).values(key="a", job="j", args={})
    made = [
        base.on_conflict_do_update(index_elements=["key"], set_={"job": "k"}),
        base.on_conflict_do_update(index_elements=["key"], set_={"key": "k"}),
        base.on_conflict_do_update(index_elements=["key"], set_={"job": OutboxJob.key}),
        base.on_conflict_do_update(
            index_elements=["key"], set_={"job": "k"}, where=OutboxJob.job == "j"
        ),
        base.on_conflict_do_update(index_elements=["id"], set_={"job": "k"}),
        base.on_conflict_do_nothing(index_elements=["key"]),
    ]
    keys = [statement._generate_cache_key() for statement in made]
    assert all(key is not None for key in keys)
    assert all(one != other for one, other in itertools.combinations(keys, 2))
    dialect = session.get_bind().dialect
    compiled = [str(s.compile(dialect=dialect)).replace('"', "") for s in made]
    assert "DO UPDATE SET key" in compiled[1] and "SET job = outbox.key" in compiled[2]
    assert "WHERE outbox.job" in compiled[3] and "ON CONFLICT (id)" in compiled[4]
