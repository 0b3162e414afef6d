"""A pooled PostgreSQL connection is checked with one query before a request uses it, and
one that no longer answers is replaced (issue 19: SQLAlchemy's own ping sends three
statements with asyncpg, BEGIN, an empty query and ROLLBACK, on every checkout)."""

from __future__ import annotations

import asyncpg
from sqlalchemy import event, text

from fair.db import create_engine


async def test_a_checkout_asks_one_query_and_a_dead_connection_is_replaced(postgres_url):
    engine = create_engine(postgres_url)
    sent: list[str] = []
    pids: list[int] = []

    @event.listens_for(engine.sync_engine, "connect")
    def log_queries(dbapi_connection, _record):
        dbapi_connection.run_async(lambda connection: _add_logger(connection, sent))

    try:
        async with engine.connect() as conn:
            pids.append(await conn.scalar(text("SELECT pg_backend_pid()")))
        sent.clear()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == pids[0]
        # The pooled connection's check, then the statement in its own transaction; no
        # BEGIN and ROLLBACK around the check (SQLAlchemy's ping: BEGIN; ";"; ROLLBACK).
        assert sent[0] == "SELECT 1", sent
        assert [q for q in sent if "pg_backend_pid" not in q] == [
            "SELECT 1",
            "BEGIN;",
            "ROLLBACK;",
        ], sent

        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pids[0])
        finally:
            await admin.close()
        async with engine.connect() as conn:  # the check fails; a new connection answers
            pids.append(await conn.scalar(text("SELECT pg_backend_pid()")))
        assert pids[1] != pids[0]
    finally:
        await engine.dispose()


async def _add_logger(connection, sent: list[str]) -> None:
    connection.add_query_logger(lambda record: sent.append(record.query))
