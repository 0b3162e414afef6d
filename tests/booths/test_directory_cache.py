"""The directory API's kept answers (booths/directory_cache.py): a search asked again is
answered without searching, and every change to what the directory shows (a booth, its
products, pictures or tags, by whatever path, even plain SQL) gives the fair a new version,
so nobody is shown a directory that was."""

from __future__ import annotations

import pytest
from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import Statements, login, make_client
from sqlalchemy import select, text

from fair.fairs.models import Fair
from fair.resources import of_app
from kakehashi.app import create_app

CHANGE = {
    "booths": "UPDATE booths SET city = 'Sanjo' WHERE id = :id",
    "products": "UPDATE products SET moq = 500 WHERE booth_id = :id",
    "media": "UPDATE media SET position = 3 WHERE booth_id = :id",
    "booth_tags": "UPDATE booth_tags SET position = 3 WHERE booth_id = :id",
}
REMOVE = {
    "products": "DELETE FROM products WHERE booth_id = :id",
    "media": "DELETE FROM media WHERE booth_id = :id",
    "booth_tags": "DELETE FROM booth_tags WHERE booth_id = :id",
}


async def version(session, slug: str = "2027-06") -> int:
    session.expire_all()
    return await session.scalar(select(Fair.directory_version).where(Fair.slug == slug))


async def listed(client, **params) -> dict:
    response = await client.get("/api/fairs/2027-06/booths", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def tsubame(client, session) -> str:
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth_id = (await create_booth(client))["id"]
    await approve(client, session, booth_id)
    client.cookies.clear()
    return booth_id


async def test_a_search_asked_again_is_not_searched_again(client, session, app):
    engine = of_app(app).engine
    await tsubame(client, session)
    first = await listed(client, q="Tsubame")
    with Statements(engine) as sent:
        again = await listed(client, q="Tsubame")
    assert again == first
    assert [b["company"]["en"] for b in again["booths"]] == ["Tsubame Migaki Kogyo Co., Ltd."]
    assert sent.reading("booths") == []  # the fair only
    assert sent.reading("fairs")
    # Another search, another page or another order is searched.
    with Statements(engine) as sent:
        assert (await listed(client, q="Tsubame", sort="newest"))["total"] == 1
    assert sent.reading("booths")


async def test_every_change_to_what_the_directory_shows_is_seen(client, session):
    booth_id = await tsubame(client, session)
    shown = (await listed(client))["booths"][0]
    assert shown["product_count"] == 0
    assert shown["cover"] is None

    await login(client, "kenji@tsubame.example")
    made = await client.post(f"/api/booths/{booth_id}/products", json=TUMBLER)
    assert made.status_code == 201, made.text
    client.cookies.clear()
    # A new product of a booth on show waits for review: not shown yet, rightly.
    assert (await listed(client))["booths"][0]["product_count"] == 0
    await login(client, "organizer@example.com")
    assert (await client.post(f"/api/booths/{booth_id}/changes/approve")).status_code == 200
    client.cookies.clear()
    assert (await listed(client))["booths"][0]["product_count"] == 1
    assert (await listed(client, q="タンブラー"))["total"] == 1

    await login(client, "kenji@tsubame.example")
    gone = await client.delete(f"/api/booths/{booth_id}/products/{made.json()['id']}")
    assert gone.status_code in (200, 204), gone.text
    client.cookies.clear()
    assert (await listed(client))["booths"][0]["product_count"] == 0
    assert (await listed(client, q="タンブラー"))["total"] == 0

    # An operator's SQL counts too: the database keeps the version, not the app.
    await session.execute(
        text("UPDATE booths SET status = 'rejected' WHERE id = :id"), {"id": booth_id}
    )
    await session.commit()
    assert (await listed(client))["total"] == 0


@pytest.mark.parametrize("table", ["booths", "products", "media", "booth_tags"])
async def test_the_database_counts_changes_of_each_table(client, session, table):
    booth_id = await tsubame(client, session)
    await login(client, "kenji@tsubame.example")
    product = await client.post(f"/api/booths/{booth_id}/products", json=TUMBLER)
    assert product.status_code == 201, product.text
    before = await version(session)
    if table == "media":
        await session.execute(
            text(
                "INSERT INTO media (id, booth_id, kind, content_type, size, sha256, "
                "storage_key, filename, title, status, position, awaiting_review, created_at) "
                "VALUES ('m1', :booth, 'image', 'image/png', 1, 's', 'k', 'a.png', '{}', "
                "'ready', 0, false, CURRENT_TIMESTAMP)"
            ),
            {"booth": booth_id},
        )
        await session.commit()
        assert await version(session) == before + 1
        before += 1
    await session.execute(text(CHANGE[table]), {"id": booth_id})
    await session.commit()
    assert await version(session) > before
    if table in REMOVE:
        changed = await version(session)
        await session.execute(text(REMOVE[table]), {"id": booth_id})
        await session.commit()
        assert await version(session) > changed
    # Another fair's version is its own.
    await make_fair(session, "2027-07")
    assert await version(session, "2027-07") == 0


async def test_with_no_memory_for_it_every_search_is_searched(client, session, settings):
    await tsubame(client, session)
    app = create_app(settings.with_overrides(directory_cache_mb=0))
    async with app.router.lifespan_context(app), make_client(app) as computing:
        first = (await computing.get("/api/fairs/2027-06/booths")).json()
        with Statements(of_app(app).engine) as sent:
            again = (await computing.get("/api/fairs/2027-06/booths")).json()
    assert again == first
    assert first["total"] == 1
    assert sent.reading("booths")


MEDIA = (
    "INSERT INTO media (id, booth_id, kind, content_type, size, sha256, storage_key, "
    "filename, title, status, position, awaiting_review, created_at) VALUES ('m1', :id, "
    "'image', 'image/png', 1, 's', 'k', 'a.png', '{}', 'ready', 0, false, CURRENT_TIMESTAMP)"
)
# Per table, a change made in SQL and what the page shows after it.
SEEN_ON_THE_PAGE = {
    "booths": ("UPDATE booths SET status = 'rejected' WHERE id = :id", "0 exhibitors"),
    "products": ("DELETE FROM products WHERE booth_id = :id", "0 products"),
    "media": (MEDIA, '<img class="cover" src="/media/m1/thumb"'),
    "booth_tags": (
        "DELETE FROM booth_tags WHERE booth_id = :id AND code = 'cutlery_tools'",
        '<option value="cutlery_tools">Cutlery &amp; Hand Tools (0)</option>',
    ),
}


@pytest.mark.parametrize("table", list(SEEN_ON_THE_PAGE))
async def test_the_page_shows_every_change_even_one_made_in_sql(client, session, table):
    """The page shows the API's kept answer: the fair's version drops it for the page too."""
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth_id = (await create_booth(client))["id"]
    made = await client.post(f"/api/booths/{booth_id}/products", json=TUMBLER)
    assert made.status_code == 201, made.text
    await approve(client, session, booth_id)
    client.cookies.clear()
    page = "/fairs/2027-06/booths?lang=en"
    before = (await client.get(page)).text
    assert "1 exhibitor" in before and "1 product" in before and 'class="cover"' not in before
    assert "Cutlery &amp; Hand Tools (1)" in before
    assert (await client.get(page)).text == before  # kept
    change, seen = SEEN_ON_THE_PAGE[table]
    await session.execute(text(change), {"id": booth_id})
    await session.commit()
    after = (await client.get(page)).text
    assert seen in after and seen not in before
