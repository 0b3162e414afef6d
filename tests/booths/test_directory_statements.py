"""How many SQL statements a directory page asked again sends (issue 19: 7 on PostgreSQL for
a visitor, the search and its covers, tags and product counts read again for every page).

The page shows the API's kept answer (booths.directory_cache): asked again at the same
version, only what is the viewer's or the moment's is read. A statement more fails here with
the list shown."""

from __future__ import annotations

from helpers import Statements, make_client
from meeting_helpers import booth_with_hours, buyer

from fair.resources import of_app

PAGE = "/fairs/2027-06/booths?q=Tsubame&lang=en"
# A visitor: the fair (with its directory version), the booths' hours and their meetings
# for the next free times. SQLite adds its BEGIN.
VISITOR = {"postgresql": 3, "sqlite": 4}
# A buyer adds who is asking, the unread marker of signed-in pages, and the recommended
# booths' panel (the buyer's needs counted; none here, so no recommendations).
BUYER = {"postgresql": 6, "sqlite": 7}


async def test_a_directory_page_asked_again_takes_at_most_its_statements(app, client, session):
    booth = await booth_with_hours(client, session)
    engine = of_app(app).engine
    dialect = engine.dialect.name
    async with make_client(app) as visitor:
        first = await visitor.get(PAGE)
        assert first.status_code == 200, first.text
        with Statements(engine) as sent:
            again = await visitor.get(PAGE)
    assert again.status_code == 200
    assert f'href="/booths/{booth["id"]}"' in again.text and "Next free time" in again.text
    assert len(sent) <= VISITOR[dialect], sent.listing()
    assert sent.reading("booths") == [] and sent.reading("products") == []

    await buyer(client, session)
    assert (await client.get(PAGE)).status_code == 200
    with Statements(engine) as sent:
        again = await client.get(PAGE)
    assert again.status_code == 200
    assert f'href="/booths/{booth["id"]}"' in again.text and "Next free time" in again.text
    assert len(sent) <= BUYER[dialect], sent.listing()
    assert sent.reading("products") == []
