"""The application factory: the packages' routes and middleware; the lifespan owns the
resources (engine, Redis, the video rooms) and runs the outbox relay and the packages'
periodic tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount

from conversations.nav import UnreadMarker
from fair import api, clock, heap, logs, outbox, resources, scrape
from fair.bodies import ReadBodyFirst
from fair.config import Settings, load_settings
from fair.db import create_engine, create_sessionmaker
from fair.error_pages import on_database_down, on_domain_error, on_http_error, on_integrity_error
from fair.errors import DomainError
from fair.features import Task
from fair.http_cache import Compress, ConditionalGet
from fair.middleware import Identity, Observe, SameOrigin, SecurityHeaders, UnitOfWork
from fair.route_index import index_routes
from fair.static import STATIC_DIR, VersionedStatic
from kakehashi import jobs
from kakehashi.features import FEATURES
from kakehashi.openapi import routes as openapi_routes
from kakehashi.relay import PATH, relay_state, trusted_proxies
from meetings.video_room import attendance_recorder
from signaling.asgi import signaling_routes
from signaling.server import SignalingState
from signaling.standalone import NOT_FOUND, HttpAnswer, HttpRequest, HttpRoute, serving

log = logging.getLogger(__name__)

TASKS = tuple(task for feature in FEATURES for task in feature.tasks)
RELAY_INTERVAL_SECONDS = 1.0
# How often the relay asks Redis whether it still has the jobs handed to it (see
# outbox.redeliver_lost): a Redis that restarted without its data has lost them.
REDELIVER_EVERY_SECONDS = 60.0
# A periodic task's lease in Redis: the process that sets it runs the task, for its period.
TASK_LEASE_PREFIX = "kakehashi:periodic:"


async def claim_period(redis: Any, task: Task) -> bool:
    """Whether this process runs ``task`` now. Every process of the app (``fair serve
    --workers N``, replicas) runs the relay loop; with Redis, the first to set the task's
    lease (``SET NX`` expiring after ``every_seconds``) runs it and the others skip it for
    that period. Without Redis there is one process (``fair serve`` refuses more), so it
    runs. If Redis is away the task runs anyway: each one is safe to repeat (the fold takes
    an advisory lock and moves each delta once, the purges delete what is old, the retention
    job is keyed by its hour), a repeat only costs its work."""
    if redis is None:
        return True
    try:
        return bool(
            await redis.set(
                TASK_LEASE_PREFIX + task.name,
                str(os.getpid()),
                nx=True,
                px=max(1, int(task.every_seconds * 1000)),
            )
        )
    except (RedisError, OSError) as exc:
        log.warning("%s: Redis unavailable for its lease (%s); running it here", task.name, exc)
        return True


async def _relay_loop(app: Starlette) -> None:
    """Hands committed outbox rows to arq, or runs them here when there is no Redis; runs the
    packages' periodic tasks (folding the report's deltas) when they are due, once a period
    across the app's processes (``claim_period``)."""
    res = resources.of_app(app)
    job_context = resources.job_context(res)
    loop = asyncio.get_running_loop()
    next_check = loop.time() + REDELIVER_EVERY_SECONDS
    next_run = {task.name: loop.time() for task in TASKS}
    started = False
    while True:
        for task in TASKS:
            if loop.time() < next_run[task.name]:
                continue
            next_run[task.name] = loop.time() + task.every_seconds
            try:
                if await claim_period(res.arq, task):
                    await task.run_once(res.sessionmaker)
                    # Which process ran it (an operator's question with several).
                    log.info("periodic task %r ran in process %d", task.name, os.getpid())
            except Exception:
                log.exception("%s failed; next time", task.name)
        if not started:
            started = True
            log.info("outbox relay running in process %d", os.getpid())
        try:
            if res.arq is not None:
                await outbox.relay_to_arq(
                    res.sessionmaker, res.arq, queue_name=res.settings.arq_queue
                )
                if loop.time() >= next_check:
                    next_check = loop.time() + REDELIVER_EVERY_SECONDS
                    await outbox.redeliver_lost(
                        res.sessionmaker, res.arq, queue_name=res.settings.arq_queue
                    )
            else:
                await outbox.run_inprocess(res.sessionmaker, jobs.JOBS, job_context)
        except Exception:
            log.exception("outbox relay failed; retrying")
        await asyncio.sleep(RELAY_INTERVAL_SECONDS)


def signaling_state(settings: Settings, sessionmaker: Any) -> SignalingState:
    """The video rooms, the room visits recorded as attendance."""
    return relay_state(settings, on_event=attendance_recorder(sessionmaker, settings))


def relay_metrics(state: SignalingState, token: str | None) -> HttpRoute:
    """``GET /metrics`` of a relay process: its rooms and frames, under the app's rule (this
    machine, or ``Bearer <FAIR_METRICS_TOKEN>``; 404 for anyone else)."""

    async def metrics(request: HttpRequest) -> HttpAnswer:
        if not scrape.allowed(request.client, request.headers.get("authorization"), token):
            return NOT_FOUND
        body = scrape.exposition(scrape.signaling_families(state))
        return HttpAnswer(200, body, CONTENT_TYPE_LATEST, (("Cache-Control", "no-store"),))

    return metrics


@contextlib.asynccontextmanager
async def relay_server(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    sock: Any = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[SignalingState]:
    """The signaling relay as a process of its own (``fair signaling``, browsers sent there
    by ``FAIR_SIGNALING_URL``), serving until the block ends: the same rooms, limits and
    attendance records as the relay inside ``fair serve``, on the same database and Redis,
    on websockets' server rather than uvicorn (``signaling.standalone``). ``environ``:
    where ``FORWARDED_ALLOW_IPS`` is read (the process's environment by default)."""
    engine = create_engine(settings.database_url)
    try:
        state = signaling_state(settings, create_sessionmaker(engine))
        async with serving(
            state,
            host=host,
            port=port,
            sock=sock,
            path=PATH,
            routes={"/metrics": relay_metrics(state, settings.metrics_token)},
            proxies=trusted_proxies(environ),
        ):
            yield state
    finally:
        await engine.dispose()


def lifespan(
    settings: Settings, *, serving: bool = False
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: its resources held for its lifetime (``app.state.resources``),
    the video rooms (``app.state.signaling``, the signaling library's place), the relay.
    ``serving``: the process serves this app and nothing else (``fair serve``), so once the
    app has started the collector is set for serving (``fair.heap``); never in a process
    that builds one app after another, such as the tests'."""

    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        # No ping here: the app starts while the database or Redis is away (the outbox holds
        # jobs until Redis is back; /healthz says what is missing).
        res = app.state.resources = resources.open_resources(settings, with_redis=True)
        app.state.signaling = signaling_state(settings, res.sessionmaker)
        await app.state.signaling.start()
        relay = None
        if settings.inprocess_jobs:
            relay = asyncio.create_task(_relay_loop(app), name="outbox-relay")
        if serving:
            heap.settle()
        try:
            yield
        finally:
            if relay is not None:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
            await app.state.signaling.close()
            await res.aclose()

    return run


def app_from_env() -> Starlette:
    """The app of each process of ``fair serve --workers N`` (uvicorn's ``factory=True``
    imports it in every worker): the settings from the ``FAIR_*`` variables ``fair serve``
    checked, and what ``fair``'s ``main`` does for its own process, the log format and the
    clock's start (``FAIR_NOW``, which ``fair serve`` sets from ``--now``)."""
    settings = load_settings()
    logs.configure(settings.log_format, logging.INFO)
    if settings.now is not None:
        clock.start_at(settings.now)
    return create_app(settings, serving=True)


def create_app(settings: Settings | None = None, *, serving: bool = False) -> Starlette:
    """The app; ``serving`` when this process is to serve it and nothing else (``lifespan``)."""
    settings = settings or load_settings()
    exception_handlers: dict[Any, Any] = {
        DomainError: on_domain_error,
        HTTPException: on_http_error,
        IntegrityError: on_integrity_error,
        DBAPIError: on_database_down,
        ConnectionError: on_database_down,
    }
    app = Starlette(
        routes=[
            *openapi_routes,
            *(
                route
                for feature in FEATURES
                for route in (*api.routes(feature.api), *feature.routes)
            ),
            *signaling_routes(),
            Mount("/static", VersionedStatic(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(Observe),
            Middleware(Compress),
            Middleware(ConditionalGet),
            Middleware(SecurityHeaders, https=settings.https),
            Middleware(SameOrigin),
            Middleware(ReadBodyFirst),
            Middleware(UnitOfWork),
            Middleware(Identity),
            Middleware(UnreadMarker),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan(settings, serving=serving),
    )
    index_routes(app.router)
    return app
