"""The Alembic migrations build exactly the models' schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fair.migrate import downgrade, upgrade
from fair.models import metadata


async def test_migrations_match_models(engine):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrations_downgrade_and_upgrade_again(engine):
    def tables(connection):
        return set(connection.dialect.get_table_names(connection)) - {"alembic_version"}

    await downgrade(engine, "base")
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == set()
    await upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == set(metadata.tables)
