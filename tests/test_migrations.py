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


async def test_companies_migration_gives_each_exhibitor_and_buyer_a_company(
    engine, session, client
):
    """0024: every exhibitor and buyer becomes the owner of a one-member company named from
    their profile's company (or their address), and each booth belongs to its owner's."""
    from booth_helpers import create_booth, exhibitor, make_fair
    from helpers import make_user
    from sqlalchemy import text

    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame  Migaki Co., Ltd.")
    booth = await create_booth(client)
    await make_user(session, "buyer", "lan@saigon.example", company="")
    await make_user(session, "organizer", "org@city.example")
    await session.commit()
    await session.close()
    await downgrade(engine, "0023datarights")
    async with engine.connect() as connection:
        key = (
            await connection.execute(
                text("SELECT company_key FROM booths WHERE id = :id"), {"id": booth["id"]}
            )
        ).scalar_one()
    assert key == "tsubame migaki co ltd"  # the folded name again, as before 0024
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT u.email, c.name, c.name_key, c.kind, m.role FROM users u "
                    "JOIN company_members m ON m.user_id = u.id "
                    "JOIN companies c ON c.id = m.company_id ORDER BY u.email"
                )
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            (
                "kenji@tsubame.example",
                "Tsubame Migaki Co., Ltd.",
                "tsubame migaki co ltd",
                "exhibitor",
                "owner",
            ),
            ("lan@saigon.example", "lan@saigon.example", "lan saigon example", "buyer", "owner"),
        ]
        owned = (
            await connection.execute(
                text(
                    "SELECT b.company_key, c.name FROM booths b "
                    "JOIN companies c ON c.id = b.company_id WHERE b.id = :id"
                ),
                {"id": booth["id"]},
            )
        ).one()
    assert tuple(owned) == (booth["id"], "Tsubame Migaki Co., Ltd.")
