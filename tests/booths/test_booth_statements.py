"""How many SQL statements a booth's API answer sends to a visitor not signed in (issue 19:
it was 9 on PostgreSQL for a first view, the fair read three times).

A count of statements is behaviour of the code, not a timing: each one is a round trip to
the database. A statement more fails here with the list shown."""

from __future__ import annotations

from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import Statements

from fair.resources import of_app

# A first view of the day: the booth with its tags, fair and company's confirmation; the
# visit and the day's tally; its products; its files. SQLite adds its BEGINs and the
# read-only pragma's two switches (asyncpg's BEGIN and COMMIT are not cursor statements).
STATEMENTS = {"postgresql": 5, "sqlite": 9}
# The booth with its fair: its products and files are kept (booths.kept_items) (SQLite:
# its BEGIN and the read-only pragma).
AGAIN = {"postgresql": 1, "sqlite": 3}


async def test_an_anonymous_booth_answer_takes_at_most_its_statements(client, session, app):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    for n in range(3):
        product = {**TUMBLER, "name": {"ja": f"タンブラー {n}", "en": f"Tumbler {n}"}}
        added = await client.post(f"/api/booths/{booth['id']}/products", json=product)
        assert added.status_code == 201, added.text
    await approve(client, session, booth["id"])
    client.cookies.clear()
    engine = of_app(app).engine
    with Statements(engine) as sent:
        response = await client.get(f"/api/booths/{booth['id']}")
    assert response.status_code == 200, response.text
    assert len(sent) <= STATEMENTS[engine.dialect.name], sent.listing()
    # Fewer statements, the same answer: the booth, its tags and products, and the visit.
    shown = response.json()
    assert shown["fair"] == "2027-06"
    assert shown["categories"] == ["metal_parts", "cutlery_tools"]
    assert [p["name"]["en"] for p in shown["products"]] == [f"Tumbler {n}" for n in range(3)]
    assert "pending_changes" not in shown
    assert len(sent.starting("INSERT INTO visits")) == 1
    # A second view the same day writes nothing: the visit is counted once, and this process
    # saw it recorded (booths.analytics), so the GET stays a reader's (on SQLite no write
    # lock, no second BEGIN).
    with Statements(engine) as sent:
        again = await client.get(f"/api/booths/{booth['id']}")
    assert again.content == response.content
    assert len(sent) <= AGAIN[engine.dialect.name], sent.listing()
    assert not sent.starting("INSERT")
