"""Data retention: each purge, with the one clock stopped, deletes what is past its days and
keeps what is not; the hourly task queues one purge an hour, which the job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import make_user, read_scalar
from meeting_helpers import run_jobs
from sqlalchemy import func, select

from fair import clock, retention
from fair.accounts.models import AccountToken, DataExport, LoginAttempt, Session
from fair.config import ConfigError, load_settings
from fair.feature import FEATURE as FAIR
from fair.outbox import MAX_ATTEMPTS, JobRun, OutboxJob
from fair.ratelimit import MARKS_KEPT, RateMark, purge_marks
from fair.resources import of_app
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint

DAY = timedelta(days=1)


async def purge(app, session):
    res = of_app(app)
    found = await retention.purge(
        session, settings=res.settings, storage=res.storage, now=clock.now()
    )
    await session.commit()
    return found


async def ids(session, column) -> list:
    rows = (await session.scalars(select(column).order_by(column))).all()
    await session.rollback()
    return list(rows)


async def test_expired_sessions_go_and_live_ones_stay(app, session, stopped_clock):
    user = await make_user(session, "buyer", "lan@saigon.example")
    now = clock.now()
    session.add_all(
        [
            Session(id="old", user_id=user.id, expires_at=now - timedelta(seconds=1)),
            Session(id="live", user_id=user.id, expires_at=now + DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).sessions == 1
    assert await ids(session, Session.id) == ["live"]


async def test_login_attempts_go_after_their_days(app, session, stopped_clock):
    now = clock.now()
    session.add_all(
        [
            LoginAttempt(email="a@x.example", address="1", at=now - 91 * DAY),
            LoginAttempt(email="b@x.example", address="1", at=now - 89 * DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).login_attempts == 1
    assert await ids(session, LoginAttempt.email) == ["b@x.example"]


async def test_sent_outbox_rows_go_and_waiting_ones_stay(app, session, stopped_clock):
    now = clock.now()
    session.add_all(
        [
            OutboxJob(key="sent-long-ago", job="j", args={}, dispatched_at=now - 31 * DAY),
            OutboxJob(key="sent-lately", job="j", args={}, dispatched_at=now - 29 * DAY),
            OutboxJob(
                key="gave-up-long-ago",
                job="j",
                args={},
                attempts=MAX_ATTEMPTS,
                available_at=now - 31 * DAY,
            ),
            OutboxJob(key="waiting-long", job="j", args={}, available_at=now - 40 * DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).outbox == 2
    assert await ids(session, OutboxJob.key) == ["sent-lately", "waiting-long"]


async def test_job_records_go_after_their_days(app, session, stopped_clock):
    now = clock.now()
    session.add_all(
        [
            JobRun(key="old", job="j", finished_at=now - 91 * DAY),
            JobRun(key="recent", job="j", finished_at=now - 89 * DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).job_runs == 1
    assert await ids(session, JobRun.key) == ["recent"]


async def test_spent_and_expired_links_go_after_their_days(app, session, stopped_clock):
    now = clock.now()

    def link(name: str, **times) -> AccountToken:
        return AccountToken(id=name, purpose="reset", email="a@x.example", token_hash=name, **times)

    session.add_all(
        [
            link("expired-long-ago", created_at=now - 9 * DAY, expires_at=now - 8 * DAY),
            link("expired-lately", created_at=now - 2 * DAY, expires_at=now - DAY),
            link(
                "used-long-ago",
                created_at=now - 9 * DAY,
                expires_at=now + DAY,
                used_at=now - 8 * DAY,
            ),
            link("live", created_at=now, expires_at=now + DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).account_tokens == 2
    assert await ids(session, AccountToken.id) == ["expired-lately", "live"]


async def test_settled_webhook_deliveries_go_after_their_days(app, session, stopped_clock):
    organizer = await make_user(session, "organizer", "org@example.com")
    endpoint = WebhookEndpoint(
        created_by=organizer.id, url="https://93.184.216.34/h", events=[], secret="whsec_x"
    )
    session.add(endpoint)
    await session.flush()
    now = clock.now()

    def delivery(name: str, status: str, age: timedelta) -> WebhookDelivery:
        return WebhookDelivery(
            id=name,
            endpoint_id=endpoint.id,
            event_type="meeting.booked",
            payload={},
            status=status,
            created_at=now - age,
        )

    session.add_all(
        [
            delivery("old-ok", "succeeded", 31 * DAY),
            delivery("old-failed", "failed", 31 * DAY),
            delivery("old-pending", "pending", 31 * DAY),
            delivery("recent-ok", "succeeded", 29 * DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).webhook_deliveries == 2
    assert await ids(session, WebhookDelivery.id) == ["old-pending", "recent-ok"]


async def test_export_files_go_at_expiry_and_their_rows_after_a_week(app, session, stopped_clock):
    user = await make_user(session, "buyer", "lan@saigon.example")
    storage = of_app(app).storage
    now = clock.now()
    for name in ("expired", "live"):
        await storage.write(f"exports/{name}.zip", b"PK")
    session.add_all(
        [
            DataExport(
                id="expired",
                user_id=user.id,
                created_at=now - 2 * DAY,
                storage_key="exports/expired.zip",
                expires_at=now - DAY,
            ),
            DataExport(
                id="live",
                user_id=user.id,
                created_at=now,
                storage_key="exports/live.zip",
                expires_at=now + DAY,
            ),
            DataExport(id="forgotten", user_id=user.id, created_at=now - 8 * DAY),
        ]
    )
    await session.commit()
    assert (await purge(app, session)).export_files == 1
    assert not storage.path("exports/expired.zip").exists()
    assert storage.path("exports/live.zip").exists()
    assert await ids(session, DataExport.id) == ["expired", "live"]
    stopped_clock.advance(6 * DAY)
    await purge(app, session)
    assert await ids(session, DataExport.id) == ["live"]


async def test_the_hourly_task_queues_one_purge_an_hour(app, session, mail_context, stopped_clock):
    user = await make_user(session, "buyer", "lan@saigon.example")
    session.add(Session(id="old", user_id=user.id, expires_at=clock.now() - DAY))
    await session.commit()
    for _ in range(2):  # two app processes, the same hour
        async with of_app(app).sessionmaker() as tasks:
            await retention.queue_purge(tasks)
    count = select(func.count()).select_from(OutboxJob)
    assert await read_scalar(session, count) == 1
    assert await run_jobs(app, mail_context) == 1
    assert await read_scalar(session, select(func.count()).select_from(Session)) == 0
    stopped_clock.advance(timedelta(hours=1))
    async with of_app(app).sessionmaker() as tasks:
        await retention.queue_purge(tasks)
    assert await read_scalar(session, count) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FAIR_RETAIN_LOGIN_ATTEMPTS_DAYS", "29"),
        ("FAIR_RETAIN_OUTBOX_DAYS", "1"),
        ("FAIR_RETAIN_JOB_RUNS_DAYS", "10"),  # fewer than the outbox's 30
        ("FAIR_DATA_EXPORT_HOURS", "0"),
    ],
)
def test_retention_settings_that_would_break_something_are_refused(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


async def test_the_hourly_rate_mark_purge_keeps_what_it_deletes(
    sessionmaker, session, stopped_clock
):
    """The periodic task runs as the relay runs it, in a session of its own: its deletes
    outlive it (they were rolled back before tasks were committed for)."""
    now = clock.now()
    session.add_all(
        [
            RateMark(kind="register", subject="203.0.113.7", at=now - MARKS_KEPT - DAY),
            RateMark(kind="register", subject="203.0.113.7", at=now - timedelta(minutes=5)),
        ]
    )
    await session.commit()
    (task,) = [task for task in FAIR.tasks if task.run is purge_marks]
    await task.run_once(sessionmaker)
    assert await read_scalar(session, select(func.count()).select_from(RateMark)) == 1
