"""What an app process or a job worker holds for its lifetime, typed: the settings, the
database, Redis, the mailer, the media storage, and the long-lived parts a feature makes for
itself (the connection test's echo peers).

The app keeps one ``Resources`` on ``app.state.resources`` (read it with ``of_request``); a
job finds the same object in arq's ``ctx`` (read it with ``of_job``). Everything else reads
these two accessors, so a misspelt attribute is a type error, not a ``KeyError`` at run time,
and the core need not know the features' parts: ``part(kind, make)`` keys them by class.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, TypeVar

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from fair.config import Settings
from fair.db import create_engine, create_sessionmaker, reading
from fair.mail import Mailer
from fair.s3 import S3Storage
from fair.storage import LocalStorage, Storage

# Where arq's job context (a dict by arq's design) carries them.
JOB_KEY = "resources"

T = TypeVar("T")


class Closable(Protocol):
    async def aclose(self) -> None: ...


@dataclass(eq=False)
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    mailer: Mailer
    storage: Storage
    # None without FAIR_REDIS_URL: jobs then run in the app process.
    arq: ArqRedis | None = None
    # Whether ``aclose`` disposes of the engine (made here) or leaves it to its owner.
    owns_engine: bool = True
    _parts: dict[type, Any] = field(default_factory=dict)

    @cached_property
    def reader(self) -> AsyncEngine:
        """The engine for transactions that only read (``fair.db.reading``)."""
        return reading(self.engine)

    def part(self, kind: type[T], make: Callable[[], T]) -> T:
        """The feature's long-lived ``kind`` held here, made by ``make`` on first use; closed
        by ``aclose`` when it has an ``aclose`` of its own."""
        found = self._parts.get(kind)
        if found is None:
            found = self._parts[kind] = make()
        return found

    def replace_part(self, kind: type[T], value: T) -> None:
        """Put ``value`` in the place of ``kind`` (a test's smaller echo-peer pool, say)."""
        self._parts[kind] = value

    async def aclose(self) -> None:
        """At shutdown: close the parts (no socket or task outlives the process), Redis, and
        the engine when it is ours."""
        for part in self._parts.values():
            closer = getattr(part, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        self._parts.clear()
        with contextlib.suppress(Exception):
            await self.storage.aclose()
        if self.arq is not None:
            await self.arq.aclose()
        if self.owns_engine:
            await self.engine.dispose()


def open_storage(settings: Settings) -> Storage:
    """The media storage ``FAIR_STORAGE`` names (no I/O until first used)."""
    if settings.storage == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.media_dir)


def open_resources(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    with_redis: bool = False,
) -> Resources:
    """The resources for ``settings``: a new engine unless one is given (then it stays its
    owner's), an arq pool when ``with_redis`` and Redis is configured. No I/O happens here:
    the app starts while the database or Redis is away and reports it on ``/healthz``."""
    owns_engine = engine is None and sessionmaker is None
    if engine is None:
        engine = (sessionmaker.kw["bind"] if sessionmaker is not None else None) or create_engine(
            settings.database_url
        )
    return Resources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker or create_sessionmaker(engine),
        mailer=Mailer(settings),
        storage=open_storage(settings),
        arq=ArqRedis.from_url(settings.redis_url) if with_redis and settings.redis_url else None,
        owns_engine=owns_engine,
    )


def of_app(app: Starlette) -> Resources:
    """The resources of a started app (its lifespan makes them)."""
    return app.state.resources


def of_request(connection: HTTPConnection) -> Resources:
    """The app's resources, for an HTTP request or a WebSocket."""
    return of_app(connection.app)


def of_job(ctx: Mapping[str, Any]) -> Resources:
    """The resources of the process running the job (the worker's, or the app's when jobs
    run in-process)."""
    return ctx[JOB_KEY]


def job_context(resources: Resources) -> dict[str, Any]:
    """arq's ``ctx`` for jobs run by the app itself (without Redis)."""
    return {JOB_KEY: resources}
