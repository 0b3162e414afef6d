"""The outbox: jobs commit with the change that caused them, reach arq on the real Redis,
survive Redis being away, and have their effect once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest
from arq import Retry, create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker
from helpers import registration, smtp_server
from sqlalchemy import select

from fair import outbox
from fair.i18n import translations
from fair.outbox import JobRun, OutboxJob
from fair.resources import job_context, open_resources
from kakehashi.jobs import JOBS, retrying, worker_settings

QUEUE = "kakehashi:test-queue"


def mails(folder: Path) -> list[str]:
    return sorted(p.read_text() for p in folder.glob("*.eml")) if folder.exists() else []


async def register(client) -> str:
    """Registers an account, which queues one job: its verification mail."""
    response = await client.post("/api/auth/register", json=registration())
    assert response.status_code == 201
    return response.json()["id"]


async def link_of(sessionmaker) -> str:
    """The verification link's row id, which its mail job is queued with."""
    async with sessionmaker() as s:
        job = await s.scalar(select(OutboxJob).where(OutboxJob.job == "send_account_link"))
    return job.args["token_id"]


async def test_failed_request_leaves_no_job(client, session):
    await register(client)
    again = await client.post("/api/auth/register", json=registration(company="Other"))
    assert again.status_code == 409
    assert len((await session.scalars(select(OutboxJob))).all()) == 1


async def test_enqueue_same_key_twice_keeps_one_row(session):
    await outbox.enqueue(session, "send_welcome_mail", key="welcome:x", user_id="x")
    assert await outbox.enqueue(session, "send_welcome_mail", key="welcome:x", user_id="x") is None
    await session.commit()
    assert len((await session.scalars(select(OutboxJob))).all()) == 1


async def test_enqueue_all_skips_known_and_repeated_keys_and_queues_the_rest(session):
    await outbox.enqueue(session, "send_welcome_mail", key="welcome:x", user_id="x")
    later = datetime(2031, 1, 1, tzinfo=UTC)
    await outbox.enqueue_all(
        session,
        [
            outbox.queued("send_welcome_mail", key="welcome:x", user_id="other"),
            outbox.queued("send_welcome_mail", key="welcome:y", user_id="y"),
            outbox.queued("send_welcome_mail", key="welcome:y", user_id="again"),
            outbox.queued("remind", key="remind:z", run_at=later, user_id="z"),
        ],
    )
    await session.commit()
    rows = {row.key: row for row in (await session.scalars(select(OutboxJob))).all()}
    assert sorted(rows) == ["remind:z", "welcome:x", "welcome:y"]
    assert rows["welcome:x"].args == {"user_id": "x"}  # the row already queued stays
    assert rows["welcome:y"].args == {"user_id": "y"}  # the first of a repeated key wins
    assert (rows["remind:z"].job, rows["remind:z"].available_at) == ("remind", later)


async def test_inprocess_runner_sends_the_verification_mail_once(client, sessionmaker, settings):
    await register(client)
    ctx = job_context(open_resources(settings, sessionmaker=sessionmaker))
    assert await outbox.run_inprocess(sessionmaker, JOBS, ctx) == 1
    assert await outbox.run_inprocess(sessionmaker, JOBS, ctx) == 0
    sent = mails(settings.mail_dir)
    assert len(sent) == 1
    message = message_from_string(sent[0], policy=default)
    assert message["To"] == "lan.nguyen@saigon-trading.example"
    # The buyer registered in Vietnamese, so the mail is in Vietnamese.
    vietnamese = translations("vi").ugettext("Confirm your e-mail address for Kakehashi")
    assert vietnamese != "Confirm your e-mail address for Kakehashi"
    assert message["Subject"] == vietnamese


async def test_job_effect_happens_once_when_run_twice(client, sessionmaker, settings):
    await register(client)
    token_id = await link_of(sessionmaker)
    ctx = job_context(open_resources(settings, sessionmaker=sessionmaker))
    assert await JOBS["send_account_link"](ctx, token_id=token_id) is True
    assert await JOBS["send_account_link"](ctx, token_id=token_id) is False
    assert len(mails(settings.mail_dir)) == 1
    async with sessionmaker() as s:
        runs = [r.key for r in (await s.scalars(select(JobRun))).all()]
    assert runs == [f"account-link:{token_id}"]


async def test_inprocess_failure_is_retried_later_with_backoff(session, sessionmaker):
    calls = []

    async def flaky(ctx, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("smtp down")

    await outbox.enqueue(session, "flaky", key="flaky:1", n=1)
    await session.commit()
    assert await outbox.run_inprocess(sessionmaker, {"flaky": flaky}, {}) == 0
    assert await outbox.run_inprocess(sessionmaker, {"flaky": flaky}, {}) == 0  # not due yet
    async with sessionmaker() as s:
        row = await s.scalar(select(OutboxJob))
    assert (len(calls), row.attempts, row.dispatched_at) == (1, 1, None)
    assert row.last_error == "RuntimeError: smtp down"
    assert row.available_at > row.created_at


async def test_a_row_taken_by_one_inprocess_runner_is_not_run_by_another(
    session, sessionmaker, stopped_clock
):
    """Two runners on one database (two `fair serve` without Redis): while one runs a job,
    the other finds its row claimed and runs nothing; a runner that died with the row
    claimed leaves it due again after ``CLAIM``."""
    calls, nested = [], []

    async def mail(ctx, **kwargs):
        calls.append(kwargs)
        # The other process's relay ticks while this job runs.
        nested.append(await outbox.run_inprocess(sessionmaker, {"mail": mail}, {}))

    await outbox.enqueue(session, "mail", key="mail:1", n=1)
    await session.commit()
    assert await outbox.run_inprocess(sessionmaker, {"mail": mail}, {}) == 1
    assert (calls, nested) == ([{"n": 1}], [0])

    async def dies(ctx, **kwargs):
        calls.append(kwargs)
        raise asyncio.CancelledError  # the process stops mid-job: nothing is recorded

    await outbox.enqueue(session, "dies", key="dies:1", n=2)
    await session.commit()
    with pytest.raises(asyncio.CancelledError):
        await outbox.run_inprocess(sessionmaker, {"dies": dies}, {})
    assert await outbox.run_inprocess(sessionmaker, {"dies": mail}, {}) == 0  # still claimed
    stopped_clock.advance(outbox.CLAIM)
    assert await outbox.run_inprocess(sessionmaker, {"dies": mail}, {}) == 1
    assert calls == [{"n": 1}, {"n": 2}, {"n": 2}]


async def test_relay_keeps_rows_while_redis_is_down_then_delivers(
    client, sessionmaker, settings, redis_url
):
    await register(client)
    token_id = await link_of(sessionmaker)
    down = ArqRedis.from_url("redis://127.0.0.1:1/0")
    try:
        assert await outbox.relay_to_arq(sessionmaker, down, queue_name=QUEUE) == 0
    finally:
        await down.aclose()
    async with sessionmaker() as s:
        assert (await s.scalar(select(OutboxJob))).dispatched_at is None

    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        assert await outbox.relay_to_arq(sessionmaker, pool, queue_name=QUEUE) == 1
        assert await outbox.relay_to_arq(sessionmaker, pool, queue_name=QUEUE) == 0
        queued = await pool.queued_jobs(queue_name=QUEUE)
        key = f"account-link:{token_id}"
        assert [(j.function, j.job_id, j.kwargs) for j in queued] == [
            ("send_account_link", key, {"token_id": token_id})
        ]
        # A relay that crashed before marking its rows pushes them again: arq keeps one.
        await pool.enqueue_job(
            "send_account_link", token_id=token_id, _job_id=key, _queue_name=QUEUE
        )
        assert len(await pool.queued_jobs(queue_name=QUEUE)) == 1

        worker = Worker(
            **(worker_settings(settings.with_overrides(redis_url=redis_url, arq_queue=QUEUE))),
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
        )
        try:
            await worker.main()
        finally:
            await worker.close()
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    finally:
        await pool.aclose()
    sent = mails(settings.mail_dir)
    assert len(sent) == 1


class TryAgainOnce:
    """An SMTP server that answers the first mail "451 try again later", then takes them."""

    def __init__(self) -> None:
        self.refused = 0
        self.accepted: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if not self.refused:
            self.refused += 1
            return "451 Requested action aborted: try again later"
        self.accepted.append(envelope.content.decode())
        return "250 OK"


async def test_a_failed_job_is_retried_by_the_worker_and_its_mail_sent_once(
    client, sessionmaker, settings, redis_url
):
    handler = TryAgainOnce()
    await register(client)
    token_id = await link_of(sessionmaker)
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        with smtp_server(handler) as port:
            assert await outbox.relay_to_arq(sessionmaker, pool, queue_name=QUEUE) == 1
            configured = settings.with_overrides(
                redis_url=redis_url,
                arq_queue=QUEUE,
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_starttls=False,
            )
            worker = Worker(
                **worker_settings(configured), burst=True, poll_delay=0.05, handle_signals=False
            )
            try:
                await worker.main()  # the burst waits for the deferred retry
            finally:
                await worker.close()
    finally:
        await pool.aclose()
    assert (worker.jobs_retried, worker.jobs_complete, worker.jobs_failed) == (1, 1, 0)
    assert handler.refused == 1
    assert len(handler.accepted) == 1
    assert f"To: {registration()['email']}" in handler.accepted[0]
    async with sessionmaker() as s:
        runs = (await s.scalars(select(JobRun.key))).all()
    assert runs == [f"account-link:{token_id}"]


async def test_retrying_gives_up_after_the_last_try():
    calls: list[int] = []

    async def broken(ctx, **kwargs):
        calls.append(ctx["job_try"])
        raise RuntimeError("smtp down")

    job = retrying(broken, max_tries=3)
    with pytest.raises(Retry) as first:
        await job({"job_try": 1, "job_id": "k"})
    assert first.value.defer_score == 2000  # milliseconds: the in-process runner's backoff
    with pytest.raises(RuntimeError):
        await job({"job_try": 3, "job_id": "k"})  # the last try: the error itself
    assert calls == [1, 3]


async def test_run_once_has_its_effect_once_across_two_runs_of_one_key(sessionmaker):
    """The effect itself is counted, not the answer: a second run of a key that is done must
    not run the effect and then lose its ``job_runs`` row quietly."""
    effects: list[str] = []

    async def effect(session) -> None:
        effects.append("mailed")

    assert await outbox.run_once(sessionmaker, "test:once", "test_job", effect) is True
    assert await outbox.run_once(sessionmaker, "test:once", "test_job", effect) is False
    assert effects == ["mailed"]


async def test_a_finished_mail_job_run_again_sends_nothing_more(
    client, sessionmaker, settings, smtp
):
    """Against a real SMTP server, not the mail folder (where a second mail of the same key
    would overwrite the first): exactly one message is accepted."""
    inbox, port = smtp
    await register(client)
    token_id = await link_of(sessionmaker)
    configured = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    ctx = job_context(open_resources(configured, sessionmaker=sessionmaker))
    assert await JOBS["send_account_link"](ctx, token_id=token_id) is True
    # arq's retry of a job that did finish (its result was lost with the worker).
    retry = {**ctx, "job_try": 2}
    assert await JOBS["send_account_link"](retry, token_id=token_id) is False
    assert [m["To"] for m in inbox.messages] == [registration()["email"]]


def test_every_job_queued_by_name_is_registered():
    """Most jobs are queued by their function; where that would make an import cycle the
    name is written out (``outcomes`` queues ``ask_for_outcome``, ``reminders`` its JOB):
    each such name must be a registered job, or its rows would wait for nobody."""
    root = Path(__file__).resolve().parents[2]
    named = set()
    for folder in ("fair", "booths", "meetings", "reports", "demo"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            named |= set(re.findall(r"enqueue\(\s*session,\s*\"(\w+)\"", text))
            named |= set(re.findall(r"^JOB = \"(\w+)\"$", text, re.M))
    assert named >= {"ask_for_outcome", "send_booking_open_reminder"}
    assert named <= set(JOBS)
