"""How many SQL statements one booking sends (issue 19: it was 22 and more on PostgreSQL).

A count of statements is behaviour of the code, not a timing: each one is a round trip to
the database inside the booking's transaction, which holds its locks meanwhile. The
listing below is what a booking needs; a statement more fails here with the list shown."""

from __future__ import annotations

from datetime import timedelta

from helpers import Statements
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import func, select

from fair.outbox import OutboxJob
from fair.resources import of_app
from meetings.models import Meeting, MeetingHold

# On PostgreSQL: the signed-in account with its company, the booth with its fair and hours,
# the rate limits' marks, the meetings in the way, the new marks, the meeting, its holds,
# its seven jobs, the webhooks' endpoints. SQLite adds its BEGIN IMMEDIATE (asyncpg's
# BEGIN and both COMMITs are not cursor statements).
STATEMENTS = {"postgresql": 9, "sqlite": 10}


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
