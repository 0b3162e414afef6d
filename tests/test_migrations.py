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


async def test_each_migration_keeps_the_rows_it_does_not_change(engine, session, client):
    """Down one step at a time and up again, a booth with its fair, owner and product stays:
    on SQLite, batch mode rebuilds a table by dropping it, and dropping a table that others
    reference deletes their rows through ON DELETE CASCADE (a migration must then alter in
    place, as 0014 does for ``fairs``)."""
    from alembic.script import ScriptDirectory
    from booth_helpers import approve, create_booth, exhibitor, make_fair
    from sqlalchemy import text

    from fair.migrate import alembic_config

    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    await session.close()

    async def counts() -> tuple[int, ...]:
        async with engine.connect() as connection:
            found = []
            for table in ("users", "fairs", "booths"):
                # Our own table names, no input.
                statement = text(f"SELECT count(*) FROM {table}")  # noqa: S608
                found.append((await connection.execute(statement)).scalar_one())
            return tuple(found)

    before = await counts()
    assert before[2] == 1
    script = ScriptDirectory.from_config(alembic_config())
    # The revisions since the one that made booths, newest first.
    revisions = [r.revision for r in script.walk_revisions() if r.down_revision]
    for revision in revisions[: len(revisions) - 1]:
        previous = script.get_revision(revision).down_revision
        await downgrade(engine, previous)
        assert await counts() == before, f"downgrading {revision} lost rows"
        await upgrade(engine, revision)
        assert await counts() == before, f"upgrading to {revision} lost rows"
    await upgrade(engine)
