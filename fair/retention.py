"""Data retention: what the app keeps only for a while, purged every hour. Expired sessions
and "download my data" files go as soon as they expire; sign-in attempts, sent outbox rows,
job records, spent or expired mailed links and webhook deliveries after the days their
settings say (``FAIR_RETAIN_*``, the README's "Data retention" table).

A periodic task queues one ``purge_old_data`` job an hour (keyed by the hour, so the app's
processes queue it once between them); the job, run by the worker or in-process, has the
settings and the file storage the purge needs."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox, resources
from fair.accounts.models import AccountToken, DataExport, LoginAttempt, Session
from fair.config import Settings
from fair.outbox import JobRun, OutboxJob
from fair.storage import Storage
from fair.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

# An export's row outlives its file for a week: the daily limit counts rows, and its link
# says "expired" (410) rather than "not found" meanwhile.
EXPORT_ROWS_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class Purged:
    sessions: int
    login_attempts: int
    outbox: int
    job_runs: int
    account_tokens: int
    webhook_deliveries: int
    export_files: int


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _before(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


async def purge_sessions(session: AsyncSession, now: datetime) -> int:
    return _count(await session.execute(delete(Session).where(Session.expires_at <= now)))


async def purge_login_attempts(session: AsyncSession, now: datetime, days: int) -> int:
    return _count(
        await session.execute(delete(LoginAttempt).where(LoginAttempt.at < _before(now, days)))
    )


async def purge_outbox(session: AsyncSession, now: datetime, days: int) -> int:
    """Rows handed over (sent) that long ago, and rows that gave up after their last try
    that long ago; never a row still waiting to be sent."""
    cutoff = _before(now, days)
    return _count(
        await session.execute(
            delete(OutboxJob).where(
                or_(
                    OutboxJob.dispatched_at < cutoff,
                    (OutboxJob.dispatched_at.is_(None))
                    & (OutboxJob.attempts >= outbox.MAX_ATTEMPTS)
                    & (OutboxJob.available_at < cutoff),
                )
            )
        )
    )


async def purge_job_runs(session: AsyncSession, now: datetime, days: int) -> int:
    return _count(
        await session.execute(delete(JobRun).where(JobRun.finished_at < _before(now, days)))
    )


async def purge_account_tokens(session: AsyncSession, now: datetime, days: int) -> int:
    """Mailed links used or expired that long ago (an unused, live link stays)."""
    cutoff = _before(now, days)
    return _count(
        await session.execute(
            delete(AccountToken).where(
                or_(AccountToken.used_at < cutoff, AccountToken.expires_at < cutoff)
            )
        )
    )


async def purge_webhook_deliveries(session: AsyncSession, now: datetime, days: int) -> int:
    """Deliveries settled (succeeded or failed) that long ago; one still being tried stays."""
    return _count(
        await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status != "pending",
                WebhookDelivery.created_at < _before(now, days),
            )
        )
    )


async def purge_exports(session: AsyncSession, storage: Storage, now: datetime) -> int:
    """Delete the files of exports past their hours (their links say so from then on), and
    the rows the daily limit no longer counts; returns how many files went."""
    expired = (
        await session.scalars(
            select(DataExport).where(
                DataExport.expires_at <= now, DataExport.storage_key.is_not(None)
            )
        )
    ).all()
    for row in expired:
        await storage.delete(row.storage_key or "")
        row.storage_key = None
    await session.execute(
        delete(DataExport).where(
            DataExport.created_at < now - EXPORT_ROWS_KEPT,
            or_(DataExport.expires_at.is_(None), DataExport.expires_at <= now),
        )
    )
    await session.flush()
    return len(expired)


async def purge(
    session: AsyncSession, *, settings: Settings, storage: Storage, now: datetime
) -> Purged:
    """Everything past its time, in the caller's transaction (flushes, never commits)."""
    return Purged(
        sessions=await purge_sessions(session, now),
        login_attempts=await purge_login_attempts(
            session, now, settings.retain_login_attempts_days
        ),
        outbox=await purge_outbox(session, now, settings.retain_outbox_days),
        job_runs=await purge_job_runs(session, now, settings.retain_job_runs_days),
        account_tokens=await purge_account_tokens(
            session, now, settings.retain_account_tokens_days
        ),
        webhook_deliveries=await purge_webhook_deliveries(
            session, now, settings.retain_webhook_deliveries_days
        ),
        export_files=await purge_exports(session, storage, now),
    )


async def purge_old_data(ctx: dict[str, Any]) -> bool:
    """The hourly purge, as a job: it needs the settings and the storage a task lacks."""
    res = resources.of_job(ctx)
    async with res.sessionmaker() as session, session.begin():
        purged = await purge(session, settings=res.settings, storage=res.storage, now=clock.now())
    if any(asdict(purged).values()):
        log.info("retention: purged %s", asdict(purged))
    return True


async def queue_purge(session: AsyncSession) -> None:
    """The periodic task: queue this hour's purge, once whichever process asks first."""
    hour = clock.now().strftime("%Y-%m-%dT%H")
    await outbox.enqueue(session, purge_old_data, key=f"retention:{hour}")
    await session.commit()


JOBS = (purge_old_data,)
