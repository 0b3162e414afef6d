"""Who is asking, on every request (issue 19: the session's look-up was built per request):
one statement, prebuilt; the same answers as before for a live session, an expired one and
an account made inactive; "last seen" noted at most once in ``SEEN_EVERY``, by a writing
request in its own transaction and by a reading one after its answer."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from helpers import Statements, login, make_user, read_scalar
from sqlalchemy import select, update

from fair.accounts.models import Session, User
from fair.accounts.service import SEEN_EVERY
from fair.resources import of_app
from fair.web import SESSION_COOKIE

# The account with its membership and company, in one statement; SQLite adds its BEGIN
# and, when the pooled connection last served a write, the read-only pragma.
STATEMENTS = {"postgresql": 1, "sqlite": 3}


def _session_id(client) -> str:
    return hashlib.sha256(client.cookies.get(SESSION_COOKIE).encode()).hexdigest()


async def _last_seen(session, client):
    statement = select(Session.last_seen_at).where(Session.id == _session_id(client))
    return await read_scalar(session, statement)


async def test_a_signed_in_request_reads_its_account_in_one_statement(app, client, session):
    await make_user(
        session, "exhibitor", "kenji@tsubame.example", name="Kenji", company="Tsubame Migaki"
    )
    await login(client, "kenji@tsubame.example")
    engine = of_app(app).engine
    with Statements(engine) as sent:
        me = await client.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert len(sent) <= STATEMENTS[engine.dialect.name], sent.listing()
    assert len(sent.reading("sessions")) == 1
    # The same account as before, its company with it.
    assert (me.json()["email"], me.json()["name"]) == ("kenji@tsubame.example", "Kenji")
    mine = await client.get("/api/companies/mine")
    assert mine.status_code == 200, mine.text
    assert mine.json()["company"]["name"] == "Tsubame Migaki"


async def test_an_expired_session_and_an_inactive_account_are_nobody(
    app, client, session, stopped_clock
):
    user = await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    assert (await client.get("/api/auth/me")).status_code == 200
    stopped_clock.advance(timedelta(days=of_app(app).settings.session_days, seconds=1))
    assert (await client.get("/api/auth/me")).status_code == 401

    await login(client, "lan@saigon.example")
    assert (await client.get("/api/auth/me")).status_code == 200
    await session.execute(update(User).where(User.id == user.id).values(is_active=False))
    await session.commit()
    assert (await client.get("/api/auth/me")).status_code == 401
    page = await client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'action="/logout"' not in page.text


async def test_last_seen_is_noted_once_in_a_while_by_reads_and_writes(
    app, client, session, stopped_clock
):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    signed_in = await _last_seen(session, client)
    engine = of_app(app).engine

    # Within SEEN_EVERY: neither a read nor a write touches the session's row.
    stopped_clock.advance(SEEN_EVERY - timedelta(seconds=1))
    with Statements(engine) as sent:
        assert (await client.get("/api/auth/me")).status_code == 200
        changed = await client.patch("/api/me", json={"position": "Buyer"})
        assert changed.status_code == 200, changed.text
    assert not sent.starting("UPDATE sessions"), sent.listing()
    assert await _last_seen(session, client) == signed_in

    # Past it, a write notes it in its own transaction...
    stopped_clock.advance(timedelta(seconds=2))
    assert (await client.patch("/api/me", json={"position": "Lead buyer"})).status_code == 200
    written = await _last_seen(session, client)
    assert written == stopped_clock()
    # ...unless it fails: what a refused request did is not kept, its "last seen" neither.
    stopped_clock.advance(SEEN_EVERY * 2)
    refused = await client.patch("/api/me", json={"timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert await _last_seen(session, client) == written
    # A read notes it after its answer.
    assert (await client.get("/api/auth/me")).status_code == 200
    assert await _last_seen(session, client) == stopped_clock()
