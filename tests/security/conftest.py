"""Fixtures for the security tests: a database of their own per module.

The shared ``engine`` fixture empties every table after each test, so a module that builds
its data once (module-scoped fixtures) would see it wiped by the first test that uses the
shared database. ``module_database_url`` gives such a module a fresh database of the same
kind as the ``database_url`` parameter (SQLite or PostgreSQL), built by the migrations and
dropped afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from helpers import postgres_database

from fair.config import Settings
from fair.db import create_engine
from fair.migrate import upgrade
from kakehashi.app import create_app


@pytest.fixture(scope="module")
async def module_database_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with contextlib.AsyncExitStack() as stack:
        if database_url.startswith("postgresql"):
            admin_dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
            url = await stack.enter_async_context(postgres_database("kk_module", admin_dsn))
        else:
            url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('module-db') / 'module.db'}"
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield url


@pytest.fixture(scope="module")
def module_settings(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("module-files")
    return Settings(
        env="test",
        database_url=module_database_url,
        secret_key="test-secret-" + "x" * 32,
        media_dir=folder / "media",
        mail_dir=folder / "mail",
        inprocess_jobs=False,
    )


@pytest.fixture(scope="module")
async def module_app(module_settings: Settings) -> AsyncIterator[Any]:
    """The app on the module's own database, its lifespan running for the whole module."""
    application = create_app(module_settings)
    async with application.router.lifespan_context(application):
        yield application
