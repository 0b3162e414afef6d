"""The menu's unread marker (issue 19: one count on every signed-in page, its statement
built per request): one prebuilt count, asked of the database each time, so that every app
process (there may be several workers and machines) shows the same number."""

from __future__ import annotations

import re

from conversation_helpers import BUYER, EXHIBITOR, world
from helpers import Statements, login, make_client, make_colleague
from sqlalchemy import select

from fair.accounts.models import User
from fair.resources import of_app
from kakehashi.app import create_app

MARKER = re.compile(r'class="badge unread-count">(\d+)<')


async def marker(client) -> int:
    """The number the menu shows on a page (0 when it shows none)."""
    page = await client.get("/messages")
    assert page.status_code == 200, page.text
    found = MARKER.search(page.text)
    return int(found.group(1)) if found else 0


async def write(client, email: str, thread_id: str, body: str) -> None:
    await login(client, email)
    sent = await client.post(f"/api/conversations/{thread_id}/messages", json={"body": body})
    assert sent.status_code == 201, sent.text


async def test_each_person_sees_their_own_unread_count_in_one_statement(app, client, session):
    ids = await world(client, session)
    await login(client, BUYER)
    thread = (await client.post("/api/conversations", json={"booth_id": ids["booth"]})).json()
    await write(client, "mai@interpreters.example", thread["id"], "Tôi là Mai.")
    await write(client, BUYER, thread["id"], "Xin chào!")
    await write(client, BUYER, thread["id"], "Do you make copper kettles?")
    engine = of_app(app).engine
    # The booth's exhibitor: all three; the interpreter of their meeting: the buyer's two
    # (writing reads the thread); the buyer, the interpreter of another meeting and another
    # exhibitor: none.
    for email, unread in (
        (EXHIBITOR, 3),
        ("mai@interpreters.example", 2),
        (BUYER, 0),
        ("hoa@interpreters.example", 0),
        ("rival@hasami.example", 0),
    ):
        await login(client, email)
        with Statements(engine) as sent:
            shown = await marker(client)
        assert shown == unread, email
        # The marker's count (the page lists each thread's own beside it).
        assert len(sent.starting("SELECT count(conversation_messages.id)")) == 1, sent.listing()


async def test_every_app_process_shows_the_same_count(app, client, session, settings):
    """A message written through one process, and read through it, changes the marker
    another process shows at once: nothing is kept in a process."""
    ids = await world(client, session)
    await login(client, BUYER)
    thread = (await client.post("/api/conversations", json={"booth_id": ids["booth"]})).json()
    other_app = create_app(settings)
    async with other_app.router.lifespan_context(other_app), make_client(other_app) as other:
        await login(other, EXHIBITOR)
        assert await marker(other) == 0
        await write(client, BUYER, thread["id"], "Xin chào!")
        assert await marker(other) == 1
        await write(client, BUYER, thread["id"], "Do you make copper kettles?")
        assert await marker(other) == 2
        await login(client, EXHIBITOR)
        read = await client.get(f"/api/conversations/{thread['id']}/messages")
        assert read.status_code == 200, read.text
        assert await marker(other) == 0
        assert await marker(client) == 0


async def test_a_colleague_of_the_booths_company_has_its_threads_and_their_marker(client, session):
    """Any member of the booth's company answers for it (``can_manage``): the company's
    threads are in a colleague's list and marker as in the exhibitor's who made the booth,
    each person with their own reading."""
    ids = await world(client, session)
    kenji = await session.scalar(select(User).where(User.email == EXHIBITOR))
    await make_colleague(session, kenji.id, "aiko@tsubame.example", name="Aiko")
    await login(client, BUYER)
    thread = (await client.post("/api/conversations", json={"booth_id": ids["booth"]})).json()
    await write(client, BUYER, thread["id"], "Xin chào!")
    await write(client, BUYER, thread["id"], "Do you make copper kettles?")
    await login(client, "aiko@tsubame.example")
    listed = (await client.get("/api/conversations")).json()["items"]
    assert [(item["id"], item["unread"]) for item in listed] == [(thread["id"], 2)]
    assert await marker(client) == 2
    # She answers, which reads the thread for her, not for Kenji.
    await write(client, "aiko@tsubame.example", thread["id"], "Yes, from 300 pieces.")
    assert await marker(client) == 0
    await login(client, EXHIBITOR)
    assert await marker(client) == 3
    await login(client, BUYER)
    assert await marker(client) == 1
    # Another company's exhibitor sees none of it.
    await login(client, "rival@hasami.example")
    assert (await client.get("/api/conversations")).json()["items"] == []
    assert await marker(client) == 0
