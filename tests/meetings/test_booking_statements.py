"""How many SQL statements one booking sends (issue 19: it was 22 and more on PostgreSQL).

A count of statements is behaviour of the code, not a timing: each one is a round trip to
the database inside the booking's transaction, which holds its locks meanwhile. The
listing below is what a booking needs; a statement more fails here with the list shown."""

from __future__ import annotations

from datetime import timedelta

from helpers import Built, Statements
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import func, select
from sqlalchemy.engine.interfaces import CacheStats

from fair.outbox import OutboxJob
from fair.resources import of_app
from meetings.models import Meeting, MeetingHold

# On PostgreSQL: the signed-in account with its company, the booth with its fair and hours,
# the rate limits' marks, the meetings in the way, the new marks, the meeting, its holds,
# its seven jobs, the webhooks' endpoints. SQLite adds its BEGIN IMMEDIATE (asyncpg's
# BEGIN and both COMMITs are not cursor statements).
STATEMENTS = {"postgresql": 9, "sqlite": 10}
# A cancel: the signed-in account, the meeting, its booth (each read once: the route's
# access check and the change share them; not the booth's tags, no meeting's business), the
# holds deleted, the meeting updated, its two mails queued, the fair, the webhooks'
# endpoints, the booth's zone for the answer.
CANCEL_STATEMENTS = {"postgresql": 9, "sqlite": 10}


async def test_a_booking_takes_at_most_its_statements(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    await buyer(client, session)
    engine = of_app(app).engine
    with Statements(engine) as sent:
        response = await book(client, booth["id"], at_tokyo(day, 10))
    assert response.status_code == 201, response.text
    assert len(sent) <= STATEMENTS[engine.dialect.name], sent.listing()
    # Fewer statements, the same effect: the meeting, every hold, all seven jobs.
    meeting_id = response.json()["id"]
    holds = select(func.count()).select_from(MeetingHold)
    assert await session.scalar(holds.where(MeetingHold.meeting_id == meeting_id)) == 8 + 6
    jobs = (await session.scalars(select(OutboxJob.key).order_by(OutboxJob.key))).all()
    assert len([key for key in jobs if meeting_id in key]) == 7
    assert len(sent.starting("INSERT INTO outbox")) == 1


async def test_an_expired_request_in_the_way_is_expired_by_the_booking(client, session, app):
    """The read of the meetings in the way also finds requests nobody answered in time:
    their holds go before the new ones are written."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, mode="request", request_hours=1)
    first = await buyer(client, session, "lan@saigon.example")
    asked = await book(client, booth["id"], at_tokyo(day, 10))
    assert (asked.status_code, asked.json()["status"]) == (201, "requested"), asked.text
    request = await session.get(Meeting, asked.json()["id"])
    request.expires_at = request.created_at - timedelta(minutes=1)  # nobody answered
    await session.commit()
    await buyer(client, session, "wang@hengtai.example")
    again = await book(client, booth["id"], at_tokyo(day, 10))
    assert again.status_code == 201, again.text
    request_id, first_id = request.id, first.id
    session.expire_all()
    assert (await session.get(Meeting, request_id)).status == "expired"
    by_first = select(func.count()).select_from(MeetingHold)
    assert await session.scalar(by_first.where(MeetingHold.resource == f"user:{first_id}")) == 0


async def test_a_second_booking_is_served_from_the_compiled_cache(client, session, app):
    """The holds, the outbox rows and the rate marks are inserted several rows at a time;
    written as ``insert().values(rows)`` SQLAlchemy never cached them, and every booking
    built and compiled all three again (a third of its CPU, issue 19)."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    await buyer(client, session)
    engine = of_app(app).engine
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    with Statements(engine) as sent:
        response = await book(client, booth["id"], at_tokyo(day, 11))
    assert response.status_code == 201, response.text
    # SQLite's BEGIN IMMEDIATE is the driver's own SQL (fair.db), never compiled.
    uncached = [
        s.split("\n")[0][:80]
        for s, hit in zip(sent, sent.cache_hits, strict=True)
        if hit == CacheStats.NO_CACHE_KEY and not s.startswith("BEGIN")
    ]
    assert uncached == []
    for table in ("meeting_holds", "outbox", "rate_marks"):
        assert sent.hits(f"INSERT INTO {table} ") == [CacheStats.CACHE_HIT], table
    holds = select(func.count()).select_from(MeetingHold)
    assert await session.scalar(holds.where(MeetingHold.meeting_id == response.json()["id"])) == 14


async def test_a_second_booking_builds_none_of_its_statements_again(client, session, app):
    """SQLAlchemy keeps a statement's cache key on the statement: one built per request is
    built and hashed again each time (the meetings in the way, the rate limits' marks and
    the booth with its fair and hours took 1.5 ms of a booking's CPU so, issue 19). Every
    statement the second booking runs is an object the first ran already; a refused one
    (the slot taken) as well."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    await buyer(client, session)
    with Built() as rounds:
        for hour, status in ((10, 201), (11, 201), (11, 409)):
            rounds.next()
            response = await book(client, booth["id"], at_tokyo(day, hour))
            assert response.status_code == status, response.text
    assert rounds.again() == []
    assert len(rounds[1]) == len(rounds[0]) >= 5


async def test_a_cancel_reads_the_meeting_once(client, session, app):
    """The route checks who may see the meeting before it reads the body, then the change
    loads it again: from the session, not from the database."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    await buyer(client, session)
    booked = await book(client, booth["id"], at_tokyo(day, 10))
    assert booked.status_code == 201, booked.text
    meeting_id = booked.json()["id"]
    engine = of_app(app).engine
    with Statements(engine) as sent:
        response = await client.post(f"/api/meetings/{meeting_id}/cancel", json={"reason": "other"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert len(sent) <= CANCEL_STATEMENTS[engine.dialect.name], sent.listing()
    assert len(sent.starting("SELECT meetings.")) == 1, sent.listing()
    assert len(sent.starting("SELECT booths.")) == 1, sent.listing()
    holds = select(func.count()).select_from(MeetingHold)
    assert await session.scalar(holds.where(MeetingHold.meeting_id == meeting_id)) == 0
