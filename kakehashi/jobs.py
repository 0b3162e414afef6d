"""The job worker: every package's jobs (arq style: ``async def job(ctx, **ids)``) by name,
what each finds in ``ctx``, and the arq worker settings.

Jobs are thin: they take ids, open their own session, call the domain, and are keyed so a
retry has one effect. Without Redis the app runs the same functions in-process.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from arq import Retry
from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booths.storage import LocalStorage
from fair.config import Settings
from fair.db import create_engine, create_sessionmaker
from fair.mail import Mailer
from fair.outbox import MAX_ATTEMPTS, backoff
from kakehashi.features import FEATURES

log = logging.getLogger(__name__)


# Every job under its function's name, which the outbox rows and arq use.
JOBS: dict[str, Any] = {job.__name__: job for feature in FEATURES for job in feature.jobs}


def job_context(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession] | None = None
) -> dict[str, Any]:
    """What every job finds in ``ctx``; the app passes its own sessionmaker, a worker
    gets an engine of its own (disposed at shutdown)."""
    ctx: dict[str, Any] = {
        "settings": settings,
        "mailer": Mailer(settings),
        "storage": LocalStorage(settings.media_dir),
    }
    if sessionmaker is None:
        ctx["engine"] = create_engine(settings.database_url)
        sessionmaker = create_sessionmaker(ctx["engine"])
    ctx["sessionmaker"] = sessionmaker
    return ctx


async def _shutdown(ctx: dict[str, Any]) -> None:
    if "engine" in ctx:
        await ctx["engine"].dispose()


def retrying(job: Any, *, max_tries: int = MAX_ATTEMPTS) -> Any:
    """``job`` for arq, which re-runs a job only when it raises ``Retry``: any other failure
    (an SMTP server away, say) would be logged once and the mail never sent. A failure is
    retried after the in-process runner's backoff (2, 4, 8 ... s) until ``max_tries``; the
    last one is raised, and logged by the worker."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        try:
            return await job(ctx, **kwargs)
        except (Retry, asyncio.CancelledError):
            raise
        except Exception as exc:
            tries = int(ctx.get("job_try") or 1)
            if tries >= max_tries:
                raise
            log.warning(
                "job %s failed (try %s of %s): %s", ctx.get("job_id"), tries, max_tries, exc
            )
            raise Retry(defer=backoff(tries)) from exc

    return run


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` (``fair worker`` uses them)."""
    if not settings.redis_url:
        raise RuntimeError("fair worker needs FAIR_REDIS_URL")

    async def startup(ctx: dict[str, Any]) -> None:
        ctx.update(job_context(settings))

    return {
        "functions": [retrying(job) for job in JOBS.values()],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.arq_queue,
        "on_startup": startup,
        "on_shutdown": _shutdown,
        "max_tries": MAX_ATTEMPTS,
        "retry_jobs": True,
        "keep_result": 24 * 3600,
    }
