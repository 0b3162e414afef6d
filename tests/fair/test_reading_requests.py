"""A GET's statements on PostgreSQL run without BEGIN and COMMIT (issue 19: two round trips
of every reading request), while what a GET writes, a visit, still commits as one
transaction. Read from asyncpg's own query log: BEGIN and COMMIT are no cursor statements,
so SQLAlchemy's events do not see them."""

from __future__ import annotations

import pytest
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import Built, login, make_user
from sqlalchemy import event, func, select

from booths.models import Visit
from fair.resources import of_app

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def is_control(query: str) -> bool:
    """BEGIN (after an autocommit reader used the connection, asyncpg names the level the
    pool's connection was reset to: "BEGIN ISOLATION LEVEL READ COMMITTED;"), COMMIT or
    ROLLBACK."""
    return query.startswith("BEGIN") or query in {"COMMIT;", "ROLLBACK;"}


def query_log(engine) -> list[str]:
    """What the engine's connections send from now on, in order: each statement once it
    ran (SQLAlchemy's event), and BEGIN, COMMIT and ROLLBACK (asyncpg's own log, which
    does not see prepared statements)."""
    sent: list[str] = []
    logged: set[int] = set()

    def transaction_control(record) -> None:
        if is_control(record.query):
            sent.append(record.query)

    @event.listens_for(engine.sync_engine, "checkout")
    def log_transactions(dbapi_connection, _record, _proxy):
        connection = dbapi_connection.driver_connection
        if id(connection) not in logged:
            logged.add(id(connection))
            connection.add_query_logger(transaction_control)

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def log_statement(_conn, _cursor, statement, *_rest):
        sent.append(statement)

    return sent


async def test_a_get_reads_without_a_transaction_and_writes_in_one(client, session, app):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    client.cookies.clear()
    sent = query_log(of_app(app).engine)

    # A first view of the day: read, then the visit written and committed.
    first = await client.get(f"/api/booths/{booth['id']}")
    assert first.status_code == 200, first.text
    begins = [n for n, query in enumerate(sent) if query.startswith("BEGIN")]
    assert len(begins) == 1, sent
    reads, written = sent[: begins[0]], sent[begins[0] :]
    assert reads and not any(map(is_control, reads)), sent
    assert any(query.startswith("INSERT INTO visits") for query in written), sent
    assert written[-1] == "COMMIT;", sent
    visits = select(func.count()).select_from(Visit).where(Visit.booth_id == booth["id"])
    assert await session.scalar(visits) == 1

    # The same visitor again: nothing to write, and no transaction at all.
    sent.clear()
    again = await client.get(f"/api/booths/{booth['id']}")
    assert again.content == first.content
    assert any("FROM booths" in query for query in sent), sent
    assert not any(map(is_control, sent)), sent
    assert await session.scalar(visits) == 1


async def test_a_write_request_still_runs_in_a_transaction(client, session, app):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    sent = query_log(of_app(app).engine)
    booth = await create_booth(client)
    assert is_control(sent[0]) and sent[-1] == "COMMIT;", sent
    assert any(query.startswith("INSERT INTO booths") for query in sent), sent
    assert booth["id"]


async def test_the_directory_and_the_fair_s_pages_build_no_statement_again(client, session, app):
    """The fair by its slug, a buyer's needs for the recommended panel, the buyer's request
    to be admitted (the fair's page asks): each built once, not per request (issue 19)."""
    slug = (await make_fair(session)).slug
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    await approve(client, session, (await create_booth(client, slug=slug))["id"])
    client.cookies.clear()
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    paths = [
        f"/api/fairs/{slug}/booths",
        f"/api/fairs/{slug}/booths?q=polish",
        f"/fairs/{slug}/booths",
        f"/fairs/{slug}/booths?q=polish&lang=vi",
        f"/fairs/{slug}",
    ]
    for path in paths:
        with Built() as rounds:
            for _ in range(2):
                rounds.next()
                assert (await client.get(path)).status_code == 200, path
        assert rounds.again() == [], path
        assert rounds[0], path
