"""Views a process has seen recorded write nothing again (issue 19: every booth view sent
an INSERT … ON CONFLICT DO NOTHING, although only a visitor's first of the day counts).
Only a visit whose row a committed transaction wrote or found is remembered; the counts the
exhibitor and the organizers see stay exact."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import Statements, login, make_client, make_user, read_scalar
from sqlalchemy import func, select

from booths import analytics
from booths.models import Booth, Visit, VisitDay, VisitKind
from fair.accounts.models import User
from fair.resources import of_app


def inserts(sent) -> int:
    return len(sent.starting("INSERT INTO visits"))


async def test_repeat_views_write_nothing_and_the_counts_stay_exact(
    app, client, session, stopped_clock
):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    product = (await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)).json()
    await approve(client, session, booth["id"])
    await make_user(session, "buyer", "lan@saigon.example", company="Saigon Trading JSC")
    engine = of_app(app).engine
    views = (f"/api/booths/{booth['id']}", f"/booths/{booth['id']}")

    await login(client, "lan@saigon.example")
    with Statements(engine) as sent:
        assert (await client.get(views[0])).status_code == 200
    assert inserts(sent) == 1  # the first view of the day
    for _ in range(2):
        for url in (*views, f"/booths/{booth['id']}/products/{product['id']}"):
            with Statements(engine) as sent:
                assert (await client.get(url)).status_code == 200
            first_product_view = url.endswith(product["id"]) and _ == 0
            assert inserts(sent) == (1 if first_product_view else 0), (url, sent.listing())
    async with make_client(app) as anonymous:
        for agent in ("Browser A", "Browser A", "Browser B"):
            answer = await anonymous.get(views[0], headers={"User-Agent": agent})
            assert answer.status_code == 200
    for email in ("kenji@tsubame.example", "organizer@example.com"):  # never counted
        await login(client, email)
        with Statements(engine) as sent:
            assert (await client.get(views[1])).status_code == 200
        assert inserts(sent) == 0

    # The next day is a new visit.
    stopped_clock.advance(timedelta(days=1))
    await login(client, "lan@saigon.example")
    with Statements(engine) as sent:
        assert (await client.get(views[1])).status_code == 200
    assert inserts(sent) == 1

    for email in ("kenji@tsubame.example", "organizer@example.com"):
        await login(client, email)
        report = (await client.get(f"/api/booths/{booth['id']}/analytics")).json()
        assert report["booth_views"] == 4, email  # Lan on two days, two browsers
        assert (report["unique_visitors"], report["signed_in_visitors"]) == (3, 1)
        assert (report["buyer_visitors"], report["anonymous_views"]) == (1, 2)
        assert [(d["views"], d["buyer_views"], d["anonymous_views"]) for d in report["daily"]] == [
            (3, 1, 2),
            (1, 1, 0),
        ]
        assert [p["views"] for p in report["product_views"]] == [1]
        assert [(v["company"], v["days"]) for v in report["visitors"]] == [
            ("Saigon Trading JSC", 2)
        ]
    daily = select(VisitDay.visits, VisitDay.anonymous_views).order_by(VisitDay.day)
    assert (await session.execute(daily)).all() == [(1, 2), (1, 0)]
    await session.rollback()


async def test_only_a_committed_visit_is_remembered(app, client, session, engine):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth_id = (await create_booth(client))["id"]
    await approve(client, session, booth_id)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    lan_id, key = lan.id, analytics.visitor_key(lan, "", "")

    async def view() -> int:
        """Record Lan's view; how many inserts it sent."""
        booth = await session.get(Booth, booth_id)  # read again after each rollback
        buyer = await session.get(User, lan_id)
        with Statements(engine) as sent:
            await analytics.record_visit(
                session,
                kind=VisitKind.BOOTH,
                booth=booth,
                subject_id=booth_id,
                viewer=buyer,
                key=key,
            )
        return inserts(sent)

    async def another_transaction() -> None:
        """A transaction of the same session that records nothing, committed."""
        await session.execute(select(func.count()).select_from(Visit))
        await session.commit()

    assert await view() == 1
    await session.rollback()  # the request failed: its visit is not there, nor remembered
    await another_transaction()
    assert await view() == 1
    await session.close()  # closed without a commit: the same
    await another_transaction()
    savepoint = await session.begin_nested()
    assert await view() == 1
    await savepoint.commit()  # a savepoint's release commits nothing yet
    await session.rollback()
    await another_transaction()
    assert await view() == 1
    await session.commit()
    assert await view() == 0  # now it is there
    await session.commit()
    visits = select(func.count()).select_from(Visit).where(Visit.subject_id == booth_id)
    assert await read_scalar(session, visits) == 1
    assert await read_scalar(session, select(VisitDay.visits)) == 1
