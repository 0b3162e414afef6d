"""Fault tests: the real servers, stopped and started again mid-test.

Tests that break a service get a PRIVATE one on a free port, never the shared PostgreSQL
(5432) or Redis (6379): see tests/faults/fault_helpers.py. Fixtures here start them and make
sure they are stopped at the end; missing binaries skip (fail under CI=true).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faults.fault_helpers import (
    PRIVATE_DB,
    PostgresServer,
    Processes,
    RedisServer,
    SmtpSink,
    postgres_bindir,
)
from helpers import missing

from fair.db import create_engine
from fair.migrate import upgrade


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing(
            "redis-server is not installed (the fault tests start a private Redis); "
            "install it or run .ci/run"
        )
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(binary, workdir)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def private_postgres() -> AsyncIterator[PostgresServer]:
    """One private cluster for the session (initdb costs seconds), with the schema migrated
    into ``kakehashi_faults``. Tests that stop it start it again before they end."""
    bindir = postgres_bindir()
    if bindir is None:
        missing(
            "PostgreSQL's initdb/pg_ctl were not found (the fault tests start their own); "
            "install it or run .ci/run"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing(
                "there is no postgres user to run a private PostgreSQL as (we are root); "
                "install it or run .ci/run"
            )
        if shutil.which("runuser") is None:
            missing(
                "runuser is needed to run a private PostgreSQL as the postgres user; "
                "install it or run .ci/run"
            )
    # Not under pytest's tmp dir: that one is private to root, and the server runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="kk-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    server = PostgresServer(bindir, home)
    try:
        await server.init()
        await server.start()
        admin = await server.admin()
        try:
            await admin.execute(f'CREATE DATABASE "{PRIVATE_DB}"')
        finally:
            await admin.close()
        engine = create_engine(server.url())
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield server
    finally:
        with contextlib.suppress(BaseException):
            await server.stop("immediate")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(postgres_url: str) -> str:
    """The fault tests that do not break the database run on the shared PostgreSQL (a fresh
    database of this run, see tests/conftest.py): production's database, left running."""
    return postgres_url


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.close()
