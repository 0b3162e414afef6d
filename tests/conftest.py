"""Fixtures: every database test runs on SQLite and on the real PostgreSQL (a fresh database
per test run, built by the Alembic migrations); queue tests use the real Redis."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from helpers import (
    Inbox,
    empty_tables,
    make_client,
    postgres_database,
    redis_database,
    smtp_server,
    worker_redis,
)
from s3_server import S3Server, run_s3_server
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fair import clock
from fair.accounts import service as account_service
from fair.config import Settings
from fair.db import create_engine, create_sessionmaker
from fair.migrate import upgrade
from fair.resources import job_context, of_app, open_resources
from kakehashi.app import create_app

# The files that take longest (measured with `--durations`), run first: `--dist loadfile`
# hands out whole files in collection order, so a long file collected last left one worker
# running it alone at the end of `make test` while the other had nothing to do.
LONGEST_FIRST = (
    "tests/security/test_authz_matrix.py",
    "tests/demo/test_any_day.py",
    "tests/security/test_openapi_fuzz.py",
    "tests/fair/test_cli.py",
    "tests/demo/test_history.py",
    "tests/demo/test_matchmaking.py",
    "tests/security/test_web_security.py",
    "tests/meetings/test_room_cluster.py",
    "tests/faults/test_app_restart.py",
    "tests/faults/test_worker_killed.py",
    "tests/faults/test_redis_outage.py",
    "tests/test_workers.py",
    "tests/scenario/test_fair_scenario.py",
    "tests/meetings/test_meeting_list.py",
    "tests/meetings/test_booking_api.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first; the order within a file, and of the rest, stays."""
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


# argon2 at its real cost (a tenth of a second a hash, as much again a check) was most of
# the suite's time: nearly every test makes accounts and signs them in. In the test process
# the app hashes with argon2-cffi's own profile for tests; the code path is the same, and
# what is tested of passwords (stored as argon2id, checked, rehashed when the parameters
# change) holds with any parameters. Servers the tests start as subprocesses (the browser
# tests, the CLI, the worker and cluster tests) keep the real cost.
_CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
account_service._hasher = _CHEAP
account_service._DUMMY_HASH = _CHEAP.hash("an address nobody has")

REDIS_URL = worker_redis(os.environ.get("KK_TEST_REDIS", "redis://127.0.0.1:6379/15"))


class StoppedClock:
    """The app's one clock (``fair.clock``), stopped at an instant a test moves by hand."""

    def __init__(self) -> None:
        self.at(clock.now())

    def at(self, instant: datetime) -> None:
        clock.freeze(instant)

    def advance(self, delta: timedelta) -> None:
        clock.freeze(clock.now() + delta)

    def __call__(self) -> datetime:
        return clock.now()


@pytest.fixture
def stopped_clock() -> Iterator[StoppedClock]:
    """The one clock stopped at the real now for this test (``.at``, ``.advance``), then
    running again."""
    try:
        yield StoppedClock()
    finally:
        clock.reset()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_database("kk_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


_migrated: set[str] = set()


@pytest.fixture(params=["sqlite", "postgres"], scope="session")
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if database_url not in _migrated:
        await upgrade(engine)
        _migrated.add(database_url)
    yield engine
    # Each test starts from empty tables; the schema stays from the migrations.
    async with engine.begin() as conn:
        await empty_tables(conn)
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> Any:
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: Any) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-" + "x" * 32,
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
        inprocess_jobs=False,
    )


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server, once for the run (each test makes its own bucket)."""
    yield from run_s3_server()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    async with redis_database(REDIS_URL) as url:
        yield url


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 that keeps what it accepts: (its inbox, its port)."""
    inbox = Inbox()
    with smtp_server(inbox) as port:
        yield inbox, port


@pytest.fixture
async def mail_context(app: Any, smtp: tuple[Inbox, int]) -> AsyncIterator[dict[str, Any]]:
    """A job context that mails through the SMTP sink (``smtp``)."""
    _, port = smtp
    settings = of_app(app).settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    resources = open_resources(settings, sessionmaker=of_app(app).sessionmaker)
    yield job_context(resources)
    await resources.aclose()  # a bucket's client, say (the engine stays the app's)
