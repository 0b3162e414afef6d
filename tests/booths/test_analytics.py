"""Booth analytics: one view per visitor per booth per day; the exhibitor sees who came."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import Statements, login, make_client, make_user
from media_files import pdf
from sqlalchemy import select, text
from sqlalchemy.engine.interfaces import CacheStats

from booths import analytics
from booths.models import Booth, VisitDay, VisitKind
from fair import clock
from fair.migrate import downgrade, upgrade

CSRF = "analytics-csrf-token-0123456789"


async def approved_booth_with_product_and_brochure(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    product = (await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)).json()
    client.cookies.set("kk_csrf", CSRF)
    brochure = (
        await client.post(
            f"/api/booths/{booth['id']}/media",
            files={"file": ("catalogue.pdf", pdf(), "application/pdf")},
            headers={"X-CSRF-Token": CSRF},
        )
    ).json()
    await approve(client, session, booth["id"])
    return booth, product, brochure


async def record_booth_visits(session, booth, viewers, now=None) -> None:
    """A view of the booth by each (viewer, visitor key), as the booth's page records it."""
    for viewer, key in viewers:
        await analytics.record_visit(
            session,
            kind=VisitKind.BOOTH,
            booth=booth,
            subject_id=booth.id,
            viewer=viewer,
            key=key,
            now=now,
        )


async def test_views_counted_once_per_visitor_and_day_and_buyers_listed(client, session, app):
    booth, product, brochure = await approved_booth_with_product_and_brochure(client, session)
    await make_user(
        session, "buyer", "lan@saigon.example", company="Saigon Trading JSC", country="VN"
    )
    await login(client, "lan@saigon.example")
    for _ in range(3):  # reloading the page is still one visit
        assert (await client.get(f"/api/booths/{booth['id']}")).status_code == 200
    assert (await client.get(brochure["url"])).status_code == 200
    assert (await client.get(brochure["url"], headers={"Range": "bytes=0-9"})).status_code == 206

    async with make_client(app) as anonymous:
        await anonymous.get(f"/api/booths/{booth['id']}", headers={"User-Agent": "Browser A"})
        await anonymous.get(f"/api/booths/{booth['id']}", headers={"User-Agent": "Browser A"})
        await anonymous.get(f"/api/booths/{booth['id']}", headers={"User-Agent": "Browser B"})

    # The exhibitor's own look and an organizer's do not count.
    await login(client, "kenji@tsubame.example")
    await client.get(f"/api/booths/{booth['id']}")
    report = (await client.get(f"/api/booths/{booth['id']}/analytics")).json()
    assert (report["booth_views"], report["unique_visitors"], report["signed_in_visitors"]) == (
        3,
        3,
        1,
    )
    assert report["brochure_downloads"] == [
        {"media_id": brochure["id"], "filename": "catalogue.pdf", "downloads": 1}
    ]
    assert [(v["company"], v["country"], v["days"]) for v in report["visitors"]] == [
        ("Saigon Trading JSC", "VN", 1)
    ]
    assert product["id"]  # product views are counted by the booth page (see test_pages)


async def test_a_visit_on_another_day_counts_again(session, client):
    booth_json, _, _ = await approved_booth_with_product_and_brochure(client, session)
    booth = await session.get(Booth, booth_json["id"])
    buyer = await make_user(session, "buyer", "lan@saigon.example")
    today = clock.now()
    for when in (today, today, today + timedelta(days=1)):
        await record_booth_visits(
            session, booth, [(buyer, analytics.visitor_key(buyer, "", ""))], now=when
        )
    # A product view is no booth visit: the funnel's daily counts leave it out.
    await analytics.record_visit(
        session,
        kind=VisitKind.PRODUCT,
        booth=booth,
        subject_id="p" * 32,
        viewer=buyer,
        key=analytics.visitor_key(buyer, "", ""),
        now=today,
    )
    await session.commit()
    daily = (await session.scalars(select(VisitDay.visits).order_by(VisitDay.day))).all()
    await session.rollback()
    assert daily == [1, 1]
    await login(client, "kenji@tsubame.example")
    report = (await client.get(f"/api/booths/{booth_json['id']}/analytics")).json()
    assert report["booth_views"] == 2
    assert [d["views"] for d in report["daily"]] == [1, 1]
    assert report["visitors"][0]["days"] == 2


async def test_only_owner_and_programme_staff_see_analytics(client, session):
    booth, _, _ = await approved_booth_with_product_and_brochure(client, session)
    url = f"/api/booths/{booth['id']}/analytics"
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    assert (await client.get(url)).status_code == 403
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    assert (await client.get(url)).status_code == 403
    await make_user(session, "staff", "staff@example.com")
    await login(client, "staff@example.com")
    assert (await client.get(url)).status_code == 200
    client.cookies.clear()
    assert (await client.get(url)).status_code == 401


async def test_the_migration_recounts_the_funnel_from_buyers(client, session, engine):
    """0011 splits the daily counts kept before it (every counted visitor) into signed-in
    buyers and anonymous views; its downgrade adds them up again."""
    booth_json, _, _ = await approved_booth_with_product_and_brochure(client, session)
    booth = await session.get(Booth, booth_json["id"])
    buyer = await make_user(session, "buyer", "lan@saigon.example")
    rival = await make_user(session, "exhibitor", "rival@seki.example")
    viewers = [
        (buyer, analytics.visitor_key(buyer, "", "")),
        (rival, analytics.visitor_key(rival, "", "")),
        (None, analytics.visitor_key(None, "198.51.100.4", "Browser A")),
        (None, analytics.visitor_key(None, "198.51.100.4", "Browser B")),
    ]
    await record_booth_visits(session, booth, viewers)
    await session.commit()
    await session.close()

    async def counts(columns: str) -> list[tuple[int, ...]]:
        async with engine.connect() as connection:
            # Our own column names, no input.
            statement = text(f"SELECT {columns} FROM booth_visit_days")  # noqa: S608
            rows = await connection.execute(statement)
            return [tuple(row) for row in rows]

    assert await counts("visits, anonymous_views") == [(1, 2)]
    await downgrade(engine, "0011uploadattempts")
    try:
        assert await counts("visits") == [(4,)]  # as counted before: every visitor
        await upgrade(engine, "0012visitaudience")
        assert await counts("visits, anonymous_views") == [(1, 2)]
    finally:
        await upgrade(engine)


async def test_first_views_are_written_by_statements_compiled_once(client, session, engine):
    """A first view of the day inserts its visit and adds to the day's count: both
    statements are compiled once and then taken from SQLAlchemy's cache (issue 19: built
    and compiled for every first view, they were most of its cost), and each view's own
    values are written, the buyers' and the anonymous ones in their own column."""
    booth_json, _, _ = await approved_booth_with_product_and_brochure(client, session)
    booth = await session.get(Booth, booth_json["id"])
    buyers = [await make_user(session, "buyer", f"buyer{n}@saigon.example") for n in range(3)]
    viewers = [
        *((buyer, analytics.visitor_key(buyer, "", "")) for buyer in buyers),
        (None, analytics.visitor_key(None, "198.51.100.4", "Browser A")),
        (None, analytics.visitor_key(None, "198.51.100.4", "Browser B")),
    ]
    with Statements(engine) as sent:
        await record_booth_visits(session, booth, viewers)
    await session.commit()
    counted = (await session.execute(select(VisitDay.visits, VisitDay.anonymous_views))).all()
    await session.rollback()
    assert [tuple(row) for row in counted] == [(3, 2)]
    for table in ("INSERT INTO visits", "INSERT INTO booth_visit_days"):
        hits = sent.hits(table)
        assert len(hits) == 5
        assert hits[1:] == [CacheStats.CACHE_HIT] * 4, table
