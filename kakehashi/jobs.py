"""The job worker: every package's jobs (arq style: ``async def job(ctx, **ids)``) by name
and the arq worker settings. A job finds the process's ``fair.resources.Resources`` in
``ctx`` (``fair.resources.of_job``).

Jobs are thin: they take ids, open their own session, call the domain, and are keyed so a
retry has one effect. Without Redis the app runs the same functions in-process.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from arq import Retry
from arq.connections import RedisSettings

from fair import metrics, resources
from fair.config import Settings
from fair.outbox import MAX_ATTEMPTS, backoff
from kakehashi.features import FEATURES

log = logging.getLogger(__name__)


# Every job under its function's name, which the outbox rows and arq use.
JOBS: dict[str, Any] = {job.__name__: job for feature in FEATURES for job in feature.jobs}


async def _shutdown(ctx: dict[str, Any]) -> None:
    await resources.of_job(ctx).aclose()


def retrying(job: Any, *, max_tries: int = MAX_ATTEMPTS) -> Any:
    """``job`` for arq, which re-runs a job only when it raises ``Retry``: any other failure
    (an SMTP server away, say) would be logged once and the mail never sent. A failure is
    retried after the in-process runner's backoff (2, 4, 8 ... s) until ``max_tries``; the
    last one is raised, and logged by the worker. Each run is counted in the worker's metrics
    (``fair.metrics``: ok or failed, given up after the last try, and its duration)."""
    name = job.__name__

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = await job(ctx, **kwargs)
        except (Retry, asyncio.CancelledError):
            raise
        except Exception as exc:
            tries = int(ctx.get("job_try") or 1)
            given_up = tries >= max_tries
            metrics.record_job(name, time.perf_counter() - started, failed=True, given_up=given_up)
            if given_up:
                raise
            log.warning(
                "job %s failed (try %s of %s): %s", ctx.get("job_id"), tries, max_tries, exc
            )
            raise Retry(defer=backoff(tries)) from exc
        metrics.record_job(name, time.perf_counter() - started, failed=False)
        return result

    return run


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` (``fair worker`` uses them)."""
    if not settings.redis_url:
        raise RuntimeError("fair worker needs FAIR_REDIS_URL")

    async def startup(ctx: dict[str, Any]) -> None:
        ctx.update(resources.job_context(resources.open_resources(settings)))

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
