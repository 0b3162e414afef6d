"""The Alembic migrations build exactly the models' schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fair.migrate import downgrade, include_name, upgrade
from kakehashi.models import metadata


async def test_migrations_match_models(engine):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        return compare_metadata(context, metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrations_downgrade_and_upgrade_again(engine):
    def tables(connection):
        return set(connection.dialect.get_table_names(connection)) - {"alembic_version"}

    await downgrade(engine, "base")
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == set()  # search tables gone too
    await upgrade(engine)
    async with engine.connect() as connection:
        names = await connection.run_sync(tables)
    assert {name for name in names if include_name(name, "table", {})} == set(metadata.tables)
    if engine.dialect.name == "sqlite":
        assert "booth_search" in names
