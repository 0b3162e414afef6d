"""Fault: Redis stops while buyers book. The bookings still succeed (the invite jobs wait in
the transactional outbox), and once Redis is back a real `fair worker` sends every invite
exactly once: counted at a real SMTP server, by Message-ID."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from faults.fault_helpers import WAIT, eventually, fair_env, smtp_env
from helpers import read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import func, select

from fair import outbox
from fair.mail import message_id
from fair.outbox import JobRun, OutboxJob
from fair.resources import of_app
from meetings.models import Meeting

ZERO = timedelta(0)


@pytest.fixture
def settings(settings, private_redis):
    """The app of this module uses the private Redis and runs its outbox relay."""
    return settings.with_overrides(redis_url=private_redis.url, inprocess_jobs=True)


async def _mail_rows(session) -> list[tuple[str, bool]]:
    rows = (
        await session.execute(
            select(OutboxJob.key, OutboxJob.dispatched_at.is_not(None)).where(
                OutboxJob.job == "send_meeting_mail"
            )
        )
    ).all()
    await session.rollback()
    return sorted((key, bool(done)) for key, done in rows)


async def test_bookings_while_redis_is_down_are_mailed_exactly_once_when_it_is_back(
    app, client, session, settings, private_redis, smtp_sink, processes
):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session, "lan@saigon.example")
    env = fair_env(settings, FAIR_REDIS_URL=private_redis.url, **smtp_env(smtp_sink))
    worker = await processes.start(env, "worker")

    await private_redis.stop()  # killed: no persistence, nothing of it survives

    starts = [at_tokyo(day, 10), at_tokyo(day, 11)]
    for start in starts:
        booked = await book(client, booth["id"], start)
        assert booked.status_code == 201, booked.text
    meeting_ids = (await session.scalars(select(Meeting.id))).all()
    await session.rollback()
    assert len(meeting_ids) == 2
    # Each booking left one invite per participant in the outbox, waiting for Redis.
    rows = await _mail_rows(session)
    assert len(rows) == 4 and not any(done for _, done in rows)
    assert (
        await outbox.relay_to_arq(
            of_app(app).sessionmaker, of_app(app).arq, queue_name=settings.arq_queue
        )
        == 0
    )
    assert await _mail_rows(session) == rows
    health = await client.get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "degraded")
    assert health.json()["database"] == "ok"
    assert health.json()["redis"].startswith("error")
    assert smtp_sink.deliveries == []

    await private_redis.start()  # an empty Redis on the same address

    # The app's relay hands the rows to arq; the worker sends them.
    await eventually(lambda: _sent(smtp_sink, rows, settings) == 4, "the four invites", WAIT)
    await eventually(
        lambda: _all_done(session), "every invite row dispatched and every job recorded"
    )
    assert worker.running, f"the worker died with Redis:\n{worker.output()}"

    # Nothing is left that could send again: the queue is empty, and a second worker that
    # runs until the queue is drained sends nothing more.
    await worker.stop()
    burst = await processes.start(env, "worker", "--burst")
    assert await burst.wait() == 0, burst.output()
    assert (
        await outbox.relay_to_arq(
            of_app(app).sessionmaker, of_app(app).arq, queue_name=settings.arq_queue
        )
        == 0
    )

    # Every invite exactly once (set-up mails, such as the booth review, are not counted).
    invites = {message_id(key, settings) for key, _ in rows}
    sent = Counter(
        d.message["Message-ID"] for d in smtp_sink.deliveries if d.message["Message-ID"] in invites
    )
    assert sent == dict.fromkeys(invites, 1), sent
    assert (
        len([d for d in smtp_sink.to("lan@saigon.example") if d.message["Message-ID"] in invites])
        == 2
    )
    runs = await read_scalar(
        session, select(func.count()).select_from(JobRun).where(JobRun.job == "send_meeting_mail")
    )
    assert runs == 4


async def _all_done(session) -> bool:
    rows = await _mail_rows(session)
    runs = await read_scalar(
        session, select(func.count()).select_from(JobRun).where(JobRun.job == "send_meeting_mail")
    )
    return len(rows) == 4 and all(done for _, done in rows) and runs == 4


def _sent(sink, rows, settings) -> int:
    invites = {message_id(key, settings) for key, _ in rows}
    return len([d for d in sink.deliveries if d.message["Message-ID"] in invites])


async def test_invites_redis_lost_in_a_restart_are_handed_over_again(
    app, client, session, settings, private_redis, smtp_sink, processes
):
    """Redis restarts empty after the relay handed it the invites but before a worker ran
    them: the relay's check (outbox.redeliver_lost) finds them unknown to Redis and hands them
    over again, and they are sent once."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session, "lan@saigon.example")
    booked = await book(client, booth["id"], at_tokyo(day, 10))
    assert booked.status_code == 201, booked.text
    await _eventually_dispatched(session)
    rows = await _mail_rows(session)
    maker, pool, queue = of_app(app).sessionmaker, of_app(app).arq, settings.arq_queue
    kept = {job.job_id for job in await pool.queued_jobs(queue_name=queue)}
    assert {key for key, _ in rows} <= kept
    # While Redis has them, nothing is handed over twice.
    assert await outbox.redeliver_lost(maker, pool, queue_name=queue, older_than=ZERO) == 0

    await private_redis.stop()
    await private_redis.start()  # empty: the queued invites are gone
    assert await pool.queued_jobs(queue_name=queue) == []
    assert all(done for _, done in await _mail_rows(session))  # marked as handed over

    assert await outbox.redeliver_lost(maker, pool, queue_name=queue, older_than=ZERO) >= 2
    again = {job.job_id for job in await pool.queued_jobs(queue_name=queue)}
    assert {key for key, _ in rows} <= again
    assert await outbox.redeliver_lost(maker, pool, queue_name=queue, older_than=ZERO) == 0

    env = fair_env(settings, FAIR_REDIS_URL=private_redis.url, **smtp_env(smtp_sink))
    burst = await processes.start(env, "worker", "--burst")
    assert await burst.wait() == 0, burst.output()
    invites = {message_id(key, settings) for key, _ in rows}
    sent = Counter(
        d.message["Message-ID"] for d in smtp_sink.deliveries if d.message["Message-ID"] in invites
    )
    assert sent == dict.fromkeys(invites, 1), sent
    assert await outbox.redeliver_lost(maker, pool, queue_name=queue, older_than=ZERO) == 0


async def _eventually_dispatched(session) -> None:
    async def dispatched() -> bool:
        rows = await _mail_rows(session)
        return len(rows) == 2 and all(done for _, done in rows)

    await eventually(dispatched, "the relay to hand both invites to Redis")
