"""Fault: the app's PostgreSQL connections drop, or the server stops and starts again.

On a PRIVATE PostgreSQL (tests/faults/conftest.py), never the shared one:

- connections killed between requests (``pg_terminate_backend``) are replaced by the pool:
  the next requests simply work;
- a connection killed in the middle of a booking (the booking is made to wait at a known
  statement, its outbox insert, by a lock the test holds) answers 503, and leaves nothing:
  no meeting without its outbox rows, no holds; the same booking afterwards succeeds whole;
- while the server is stopped, requests answer 503 (not 500, not a sign-in prompt), and once it
  is started again the same app process serves them without a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from faults.fault_helpers import PRIVATE_DB, eventually
from helpers import empty_tables, make_client
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import func, select

from fair.config import Settings
from fair.db import create_engine, create_sessionmaker
from fair.outbox import OutboxJob
from kakehashi.app import create_app
from meetings.models import Meeting, MeetingHold

OUTAGE_ANSWER = (503, "unavailable")


@pytest.fixture
async def pg(private_postgres, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The app on the private PostgreSQL, a session for the test, empty tables."""
    settings = Settings(
        env="test",
        database_url=private_postgres.url(),
        secret_key="test-secret-" + "x" * 32,
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
        inprocess_jobs=False,
    )
    engine = create_engine(settings.database_url)
    async with engine.begin() as conn:
        await empty_tables(conn)
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            make_client(app) as client,
            create_sessionmaker(engine)() as session,
        ):
            yield {"app": app, "client": client, "session": session, "server": private_postgres}
    finally:
        await engine.dispose()


async def _backends(server, admin=None) -> list[dict[str, Any]]:
    """The app's connections to its database, as PostgreSQL sees them."""
    connection = admin or await server.admin()
    try:
        rows = await connection.fetch(
            "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            PRIVATE_DB,
        )
    finally:
        if admin is None:
            await connection.close()
    return [dict(row) for row in rows]


async def _terminate(server, pids: list[int], admin=None) -> None:
    connection = admin or await server.admin()
    try:
        for pid in pids:
            await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        if admin is None:
            await connection.close()


async def _bookings(session) -> list[tuple[str, int, int]]:
    """(meeting id, its holds, its outbox rows) for every meeting in the database."""
    meetings = (await session.scalars(select(Meeting.id))).all()
    found = []
    for meeting_id in meetings:
        holds = await session.scalar(
            select(func.count())
            .select_from(MeetingHold)
            .where(MeetingHold.meeting_id == meeting_id)
        )
        jobs = await session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.key.contains(meeting_id), OutboxJob.job == "send_meeting_mail")
        )
        found.append((meeting_id, holds, jobs))
    await session.rollback()
    return found


def _whole(bookings: list[tuple[str, int, int]]) -> bool:
    """Every meeting has its holds and its two invite mails (buyer and exhibitor)."""
    return all(holds > 0 and jobs == 2 for _, holds, jobs in bookings)


def _answer(response) -> tuple[int, str]:
    body = response.json() if response.headers.get("content-type", "").startswith("app") else {}
    return response.status_code, body.get("error", {}).get("code", "")


async def test_connections_killed_between_requests_are_replaced(pg):
    client, session, server = pg["client"], pg["session"], pg["server"]
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    pids = [row["pid"] for row in await _backends(server)]
    assert pids  # the app's pool (and the test's session) hold connections
    await _terminate(server, pids)

    assert (await client.get("/api/fairs")).status_code == 200
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 201
    assert (await client.get("/healthz")).status_code == 200
    bookings = await _bookings(session)
    assert len(bookings) == 2 and _whole(bookings)


async def test_a_connection_dropped_mid_booking_answers_503_and_leaves_no_half_booking(pg):
    client, session, server = pg["client"], pg["session"], pg["server"]
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    await session.rollback()
    start = at_tokyo(day, 10)

    # The test takes the outbox's lock: the booking inserts its meeting and holds, then waits
    # at its first outbox row, inside its transaction.
    locker = await asyncpg.connect(server.dsn(PRIVATE_DB), timeout=5)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        booking = asyncio.ensure_future(book(client, booth["id"], start))

        async def waiting() -> list[int]:
            assert not booking.done(), booking.result().text
            return [
                row["pid"]
                for row in await _backends(server)
                if row["wait_event_type"] == "Lock" and "outbox" in (row["query"] or "")
            ]

        pids = await eventually(waiting, "the booking to wait at its outbox insert")
        assert len(pids) == 1
        # By now its transaction has written the meeting and its holds.
        written = await locker.fetch(
            "SELECT relation::regclass::text AS name FROM pg_locks "
            "WHERE pid = $1 AND mode = 'RowExclusiveLock'",
            pids[0],
        )
        assert {"meetings", "meeting_holds"} <= {row["name"] for row in written}
        await _terminate(server, pids)
        answer = await asyncio.wait_for(booking, 30)
        await lock.rollback()
    finally:
        await locker.close()
    assert _answer(answer) == OUTAGE_ANSWER, answer.text
    assert await _bookings(session) == []  # no meeting, no holds, no jobs: nothing half-written

    again = await book(client, booth["id"], start)
    assert again.status_code == 201, again.text
    bookings = await _bookings(session)
    assert [b[0] for b in bookings] == [again.json()["id"]] and _whole(bookings)


async def test_requests_while_postgres_is_stopped_answer_503_and_the_app_recovers(pg):
    client, session, server = pg["client"], pg["session"], pg["server"]
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    await session.rollback()

    await server.stop("fast")  # every session ends; new connections are refused
    try:
        for attempt in (
            lambda: client.get("/api/fairs"),
            lambda: client.get(f"/api/booths/{booth['id']}"),
            lambda: client.get("/api/meetings"),
            lambda: book(client, booth["id"], at_tokyo(day, 11)),
        ):
            response = await attempt()
            assert _answer(response) == OUTAGE_ANSWER, (response.request.url, response.text)
        page = await client.get("/my/meetings", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        health = await client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"].startswith("error")
    finally:
        await server.start()

    # The same app process, without a restart.
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/api/fairs")).status_code == 200
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 201
    bookings = await _bookings(session)
    assert len(bookings) == 2 and _whole(bookings)


async def test_requests_while_postgres_refuses_new_sessions_answer_503(pg):
    """A server that is shutting down (or still starting) answers new connections with an
    error of its own, not a refused connection: the app answers 503 all the same."""
    client, session, server = pg["client"], pg["session"], pg["server"]
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    await session.rollback()
    holder = await server.admin()  # an open session keeps a "smart" shutdown waiting
    try:
        await server.pg_ctl("-m", "smart", "-W", "stop")

        async def refusing() -> bool:
            try:
                probe = await asyncpg.connect(server.dsn(PRIVATE_DB), timeout=5)
            except asyncpg.CannotConnectNowError:
                return True
            await probe.close()
            return False

        await eventually(refusing, "PostgreSQL to refuse new sessions while shutting down")
        await _terminate(server, [row["pid"] for row in await _backends(server, holder)], holder)
        for attempt in (
            lambda: client.get("/api/fairs"),
            lambda: client.get("/api/meetings"),
            lambda: book(client, booth["id"], at_tokyo(day, 11)),
        ):
            response = await attempt()
            assert _answer(response) == OUTAGE_ANSWER, (response.request.url, response.text)
    finally:
        # Let the shutdown finish: end every session (the test's own among them), then ours.
        await _terminate(server, [row["pid"] for row in await _backends(server, holder)], holder)
        await holder.close()
        await server.wait_stopped()
        await server.start()
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 201
    bookings = await _bookings(session)
    assert len(bookings) == 1 and _whole(bookings)
