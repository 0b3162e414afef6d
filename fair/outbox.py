"""Transactional outbox: a change and the jobs it causes commit together.

A relay later hands committed rows to arq (``relay_to_arq``) or, without Redis, runs them
in this process (``run_inprocess``). Each row has a unique key; arq gets it as ``_job_id``
and the job records it in ``job_runs`` so a retry has one effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import String, Text, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock, metrics
from fair.db import Base, insert_for, insert_rows

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a row taken by ``run_inprocess`` is hidden from every other runner: longer than
# any job runs; a process that dies meanwhile leaves it due again after that.
CLAIM = timedelta(minutes=10)


class OutboxJob(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    job: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    available_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class JobRun(Base):
    """A job's effect that has happened, by idempotency key."""

    __tablename__ = "job_runs"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    finished_at: Mapped[datetime] = mapped_column(default=clock.now)


async def enqueue(
    session: AsyncSession,
    job: str | Callable[..., Awaitable[Any]],
    *,
    key: str,
    run_at: datetime | None = None,
    **args: Any,
) -> int | None:
    """Queue ``job(**args)`` in the caller's transaction; returns the row's id, or None when
    the key is already queued (then nothing changes)."""
    name = job if isinstance(job, str) else job.__name__
    statement = (
        insert_for(session)(OutboxJob)
        .values(key=key, job=name, args=args, available_at=run_at or clock.now())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxJob.id)
    )
    return await session.scalar(statement)


@dataclass(frozen=True)
class Queued:
    """A job to queue with others in one statement (``enqueue_all``)."""

    job: str
    key: str
    args: dict[str, Any]
    run_at: datetime | None = None


def queued(
    job: str | Callable[..., Awaitable[Any]],
    *,
    key: str,
    run_at: datetime | None = None,
    **args: Any,
) -> Queued:
    """``enqueue``'s arguments, kept for ``enqueue_all``."""
    return Queued(job if isinstance(job, str) else job.__name__, key, args, run_at)


async def enqueue_all(session: AsyncSession, jobs: list[Queued]) -> None:
    """Queue ``jobs`` in the caller's transaction in one multi-row insert (a change's mails,
    reminders and follow-ups), each as ``enqueue`` would: a key already queued, or given
    twice here, adds nothing and fails nothing."""
    first: dict[str, Queued] = {}
    for item in jobs:
        first.setdefault(item.key, item)
    rows = [
        {"key": q.key, "job": q.job, "args": q.args, "available_at": q.run_at or clock.now()}
        for q in first.values()
    ]
    await insert_rows(session, OutboxJob.__table__, rows, skip_taken=("key",))


def _due(batch: int, now: datetime) -> Any:
    return (
        select(OutboxJob)
        .where(
            OutboxJob.dispatched_at.is_(None),
            OutboxJob.available_at <= now,
            OutboxJob.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxJob.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 600))


async def relay_to_arq(
    sessionmaker: async_sessionmaker[AsyncSession],
    pool: Any,
    *,
    queue_name: str,
    batch: int = 100,
) -> int:
    """Push due rows to arq; returns how many. If Redis fails, the rows stay for next time."""
    now = clock.now()
    sent = 0
    async with sessionmaker() as session, session.begin():
        rows = (await session.scalars(_due(batch, now))).all()
        for row in rows:
            try:
                await pool.enqueue_job(
                    row.job,
                    _job_id=row.key,
                    _queue_name=queue_name,
                    _defer_until=row.available_at if row.available_at > now else None,
                    **row.args,
                )
            except (RedisError, OSError) as exc:
                # Redis is away: keep what was marked so far, stop, try again later.
                log.warning("outbox relay: Redis unavailable (%s); %s rows wait", exc, len(rows))
                break
            row.dispatched_at = clock.now()
            sent += 1
    return sent


async def redeliver_lost(
    sessionmaker: async_sessionmaker[AsyncSession],
    pool: Any,
    *,
    queue_name: str,
    older_than: timedelta = timedelta(seconds=30),
    batch: int = 100,
) -> int:
    """Hand rows to arq again whose jobs Redis lost (it restarted without its data after the
    relay had marked them): handed over within the last day (arq keeps a job's result that
    long), not recorded in ``job_runs``. arq refuses a job id it still knows, queued, running or
    finished, so only lost jobs are queued again; returns how many."""
    now = clock.now()
    sent = 0
    async with sessionmaker() as session, session.begin():
        rows = (
            await session.scalars(
                select(OutboxJob)
                .outerjoin(JobRun, JobRun.key == OutboxJob.key)
                .where(
                    JobRun.key.is_(None),
                    OutboxJob.dispatched_at > now - timedelta(hours=23),
                    OutboxJob.dispatched_at <= now - older_than,
                )
                .order_by(OutboxJob.id)
                .limit(batch)
                .with_for_update(of=OutboxJob, skip_locked=True)
            )
        ).all()
        for row in rows:
            try:
                job = await pool.enqueue_job(
                    row.job, _job_id=row.key, _queue_name=queue_name, **row.args
                )
            except (RedisError, OSError) as exc:
                log.warning("outbox: Redis unavailable while checking for lost jobs (%s)", exc)
                break
            if job is not None:
                log.warning("outbox: Redis had lost job %s; queued it again", row.key)
                row.dispatched_at = clock.now()
                sent += 1
    return sent


JobFunction = Callable[..., Awaitable[Any]]


async def run_inprocess(
    sessionmaker: async_sessionmaker[AsyncSession],
    jobs: Mapping[str, JobFunction],
    ctx: dict[str, Any],
    *,
    batch: int = 20,
) -> int:
    """Run due rows here, one by one; a failure is retried later with backoff.

    The rows are claimed first: in the transaction that reads them (locked with SKIP LOCKED
    on PostgreSQL; on SQLite a writer's transaction is BEGIN IMMEDIATE, one at a time) their
    ``available_at`` moves ``CLAIM`` ahead, so no other runner (another process on the same
    database) takes them while they run here."""
    now = clock.now()
    async with sessionmaker() as session, session.begin():
        rows = []
        for row in (await session.scalars(_due(batch, now))).all():
            rows.append((row.id, row.job, dict(row.args), row.key))
            row.available_at = now + CLAIM
    done = 0
    for row_id, job, args, key in rows:
        error: str | None = None
        started = time.perf_counter()
        try:
            await jobs[job]({**ctx, "job_id": key}, **args)
        except Exception as exc:
            log.exception("job %s (%s) failed", job, key)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        elapsed = time.perf_counter() - started
        given_up = False
        async with sessionmaker() as session, session.begin():
            row = await session.get(OutboxJob, row_id)
            if row is not None:
                row.attempts += 1
                if error is None:
                    row.dispatched_at = clock.now()
                    done += 1
                else:
                    row.last_error = error
                    row.available_at = clock.now() + backoff(row.attempts)
                    given_up = row.attempts >= MAX_ATTEMPTS
        metrics.record_job(job, elapsed, failed=error is not None, given_up=given_up)
    return done


@dataclass(frozen=True)
class Backlog:
    """What waits in the outbox: rows due and not handed over (nor given up), how long the
    oldest of them has been due, and rows given up after ``MAX_ATTEMPTS`` (without Redis)."""

    due: int
    oldest_due_seconds: float
    given_up: int


async def backlog(session: AsyncSession, now: datetime) -> Backlog:
    """The outbox's backlog as of ``now``, in one statement over the rows not handed over
    (``dispatched_at`` is indexed, and they are few unless the relay is stuck)."""
    alive = OutboxJob.attempts < MAX_ATTEMPTS
    due = alive & (OutboxJob.available_at <= now)
    count, oldest, given_up = (
        await session.execute(
            select(
                func.count(case((due, 1))),
                func.min(case((due, OutboxJob.available_at))),
                func.count(case((~alive, 1))),
            ).where(OutboxJob.dispatched_at.is_(None))
        )
    ).one()
    if isinstance(oldest, str):  # SQLite's MIN of a CASE comes back as the stored text
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(due=int(count or 0), oldest_due_seconds=age, given_up=int(given_up or 0))


async def already_done(session: AsyncSession, key: str) -> bool:
    return await session.get(JobRun, key) is not None


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    key: str,
    job: str,
    effect: Callable[[AsyncSession], Awaitable[Any]],
) -> bool:
    """Do ``effect`` unless ``key`` has already been done; True if it ran now.

    The effect's own database writes commit with the ``job_runs`` row, so those happen
    exactly once. An effect outside the database (sending a mail) that succeeds just before
    a crash may repeat on retry; the mail carries a Message-ID made from the key so that
    receiving servers can drop the copy.
    """
    try:
        async with sessionmaker() as session, session.begin():
            if await already_done(session, key):
                return False
            await effect(session)
            session.add(JobRun(key=key, job=job))
    except IntegrityError:
        async with sessionmaker() as session:
            if await already_done(session, key):
                return False  # a concurrent run of the same key won
        raise
    return True
