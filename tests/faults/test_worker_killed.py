"""Fault: the `fair worker` process is SIGKILLed in the middle of an invite mail job.

The mail server holds the buyer's mail at a chosen SMTP step, so the test knows exactly where
the job is when it kills the worker (no timing involved):

- at RCPT, before the mail was handed over: the retry by a second worker sends it, and the
  buyer receives it exactly once;
- at QUIT, after the server accepted the mail but before the job recorded it: this is the
  window the design names (fair/outbox.py, ``run_once``): an effect outside the database may
  repeat, and the copy carries the same Message-ID, made from the job's key, so receiving
  servers drop it. The test asserts that promise: the same Message-ID twice, one job_runs row.

arq keeps a job in its queue until it finishes and marks it in progress for job_timeout + 10 s
(310 s by default); only then may another worker run it. The test ends that mark as its expiry
would, rather than waiting five minutes.
"""

from __future__ import annotations

import pytest
from arq.constants import in_progress_key_prefix
from arq.jobs import Job
from faults.fault_helpers import eventually, fair_env, smtp_env
from helpers import read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, next_weekday
from redis.asyncio import Redis
from sqlalchemy import select, update

from fair import clock, outbox
from fair.outbox import JobRun, OutboxJob
from fair.resources import of_app

BUYER = "lan@saigon.example"
EXHIBITOR = "kenji@tsubame.example"


@pytest.fixture
def settings(settings, private_redis):
    """The app hands jobs to the private Redis; the test runs the relay itself."""
    return settings.with_overrides(redis_url=private_redis.url, inprocess_jobs=False)


async def _done(session, key: str) -> bool:
    return await read_scalar(session, select(JobRun.key).where(JobRun.key == key)) is not None


@pytest.mark.parametrize("held_at", ["RCPT", "QUIT"])
async def test_a_mail_job_killed_midway_is_retried_by_another_worker(
    app, client, session, settings, private_redis, smtp_sink, processes, held_at
):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    lan = await buyer(client, session, BUYER)
    lan_id = lan.id
    # The set-up's own jobs (welcome and booth mails) are not this test's subject.
    await session.execute(update(OutboxJob).values(dispatched_at=clock.now()))
    await session.commit()
    booked = await book(client, booth["id"], at_tokyo(day, 10))
    assert booked.status_code == 201, booked.text
    meeting = booked.json()
    buyer_key = f"meeting-mail:{meeting['id']}:0:booked:{lan_id}"

    hold = smtp_sink.hold(held_at, BUYER)
    queue = settings.arq_queue
    assert (
        await outbox.relay_to_arq(of_app(app).sessionmaker, of_app(app).arq, queue_name=queue) == 2
    )
    env = fair_env(settings, FAIR_REDIS_URL=private_redis.url, **smtp_env(smtp_sink))
    first = await processes.start(env, "worker")

    # The buyer's job is inside the mail step; the exhibitor's job has finished entirely.
    await eventually(hold.reached.is_set, f"the buyer's mail to reach {held_at}")
    await eventually(lambda: len(smtp_sink.to(EXHIBITOR)) == 1, "the exhibitor's mail")
    keys = await _keys(session)
    assert buyer_key in keys and len(keys) == 2
    exhibitor_key = next(key for key in keys if key != buyer_key)
    await eventually(lambda: _done(session, exhibitor_key), "the exhibitor's job to finish")
    assert not await _done(session, buyer_key)
    redis = Redis.from_url(private_redis.url)
    try:
        progress = in_progress_key_prefix + buyer_key
        assert await redis.exists(progress)

        await first.kill()
        hold.released.set()

        # The job is still queued, marked as being run by the dead worker.
        assert await redis.zscore(queue, buyer_key) is not None
        assert await redis.pttl(progress) > 0
        await redis.delete(progress)  # what the mark's expiry does after job_timeout + 10 s

        second = await processes.start(env, "worker", "--burst")
        assert await second.wait() == 0, second.output()
        result = await Job(buyer_key, redis, _queue_name=queue).result_info()
        assert result is not None and result.success, second.output()
        assert result.job_try == 2  # the second try, on the second worker
        assert await redis.zcard(queue) == 0
    finally:
        await redis.aclose()

    assert await _done(session, buyer_key)
    assert len(smtp_sink.to(EXHIBITOR)) == 1
    copies = smtp_sink.to(BUYER)
    if held_at == "RCPT":
        assert len(copies) == 1  # the killed try never handed the mail over
    else:
        # Accepted once by the dead worker's try, then again by the retry: the same mail.
        assert len(copies) == 2
        assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]
    assert copies[-1].message["Subject"]
    runs = (await session.scalars(select(JobRun.key).where(JobRun.key == buyer_key))).all()
    await session.rollback()
    assert runs == [buyer_key]


async def _keys(session) -> list[str]:
    keys = (await session.scalars(select(OutboxJob.key))).all()
    await session.rollback()
    return [key for key in keys if key.startswith("meeting-mail:")]
