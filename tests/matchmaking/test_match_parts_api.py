"""The parts added to the match engine, through the API on both databases: the booth's
"buyers we want" (wanted markets, minimum order), a need's time frame, the price compared
with the staff's exchange rates, and good-for-both times."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_user
from match_helpers import TUMBLER_JA, add_product, new_need
from meeting_helpers import booth_with_hours

from fair import clock
from fair.money import ExchangeRate
from matchmaking.models import Need

METAL_NEED = {"fair": "2027-06", "categories": ["metal_parts"], "languages": ["en"]}


async def english_buyer(session, email="ann@sydney.example", **extra):
    extra.setdefault("country", "AU")
    extra.setdefault("timezone", "Australia/Sydney")
    return await make_user(
        session, "buyer", email, name="Ann", company="Sydney Goods", locale="en", **extra
    )


async def reasons_of(client):
    response = await client.get("/api/fairs/2027-06/recommendations")
    assert response.status_code == 200, response.text
    return [
        {r["code"]: r["text"] for r in item["reasons"]} | {"score": item["score"]}
        for item in response.json()["items"]
    ]


async def test_buyers_we_want_on_the_booth_apply_at_once_and_show(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client, wanted_markets=["TH"], minimum_order=None)
    assert booth["wanted_markets"] == ["TH"]
    assert booth["minimum_order"] is None
    await approve(client, session, booth["id"])
    await login(client, "kenji@tsubame.example")
    body = {"wanted_markets": ["AU", "th"], "minimum_order": {"amount": 500, "unit": "piece"}}
    edited = await client.patch(f"/api/booths/{booth['id']}", json=body)
    assert edited.status_code == 200, edited.text
    # Choices from a list and numbers publish nothing new: no review waits for them.
    assert edited.json()["pending_changes"] is None
    shown = (await client.get(f"/api/booths/{booth['id']}")).json()
    assert shown["wanted_markets"] == ["AU", "TH"]
    assert shown["minimum_order"] == {"amount": 500, "unit": "piece"}
    page = await client.get(f"/booths/{booth['id']}")
    assert "Wants buyers who sell in" in page.text and "500 pieces" in page.text
    # Bad input: a clear 422, nothing changed.
    bad = await client.patch(
        f"/api/booths/{booth['id']}", json={"minimum_order": {"amount": 0, "unit": "crate"}}
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) >= {"minimum_order.amount", "minimum_order.unit"}
    cleared = await client.patch(f"/api/booths/{booth['id']}", json={"minimum_order": None})
    assert cleared.json()["minimum_order"] is None
    assert cleared.json()["wanted_markets"] == ["AU", "TH"]


async def test_the_booth_editor_page_edits_buyers_we_want(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    page = await client.get(f"/booths/{booth['id']}/edit")
    assert 'name="wanted_markets"' in page.text and 'name="minimum_order_amount"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {
        "csrf_token": token,
        "company.ja": "燕ミガキ工業株式会社",
        "categories": "metal_parts",
        "wanted_markets": "TH",
        "wanted_markets_other": "au",
        "languages": "ja",
        "minimum_order_amount": "1,000",
        "minimum_order_unit": "kg",
    }
    saved = await client.post(f"/booths/{booth['id']}/edit", data=form)
    assert saved.status_code == 303, saved.text
    shown = (await client.get(f"/api/booths/{booth['id']}")).json()
    assert shown["wanted_markets"] == ["TH", "AU"]
    assert shown["minimum_order"] == {"amount": 1000, "unit": "kg"}


async def test_a_need_has_a_time_frame(client, session):
    await make_fair(session)
    await english_buyer(session)
    await login(client, "ann@sydney.example")
    today = clock.now().date()
    until = (today + timedelta(days=90)).isoformat()
    need = await new_need(client, {**METAL_NEED, "time_frame": {"until": until}})
    assert need["time_frame"] == {"from": None, "until": until}
    start = (today + timedelta(days=30)).isoformat()
    moved = await client.patch(
        f"/api/needs/{need['id']}", json={"time_frame": {"from": start, "until": until}}
    )
    assert moved.json()["time_frame"] == {"from": start, "until": until}
    # Unchanged by a PATCH of another field; null clears it.
    kept = await client.patch(f"/api/needs/{need['id']}", json={"text": "polished steel"})
    assert kept.json()["time_frame"] == {"from": start, "until": until}
    cleared = await client.patch(f"/api/needs/{need['id']}", json={"time_frame": None})
    assert cleared.json()["time_frame"] is None
    for frame, field in (
        ({"from": until, "until": start}, "time_frame"),
        ({}, "time_frame"),
        ({"until": (today - timedelta(days=1)).isoformat()}, "time_frame"),
        ({"from": "2027-13-01"}, "time_frame.from"),
    ):
        response = await client.post("/api/needs", json={**METAL_NEED, "time_frame": frame})
        assert response.status_code == 422, frame
        assert field in response.json()["error"]["fields"], response.text


async def test_a_passed_time_frame_stops_matching(client, session, stopped_clock):
    await make_fair(session, days_from_now=40)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    await english_buyer(session)
    await login(client, "ann@sydney.example")
    until = clock.now().date() + timedelta(days=60)
    need = await new_need(client, {**METAL_NEED, "time_frame": {"until": until.isoformat()}})
    (item,) = await reasons_of(client)
    assert item["time_frame"] == f"the fair comes in time for you: buying until {until:%b} " + (
        f"{until.day}, {until.year}"
    )
    stopped_clock.advance(timedelta(days=61))
    await login(client, "ann@sydney.example")
    assert await reasons_of(client) == []
    # The time frame alone kept it out.
    await client.patch(f"/api/needs/{need['id']}", json={"time_frame": None})
    assert len(await reasons_of(client)) == 1


async def test_price_fits_after_conversion_and_a_missing_rate_is_unknown(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await add_product(
        client,
        booth["id"],
        {**TUMBLER_JA, "price_min": "1200", "price_max": "1500", "currency": "JPY"},
    )
    await approve(client, session, booth["id"])
    session.add(ExchangeRate(currency="USD", valid_from=date(2020, 1, 1), jpy_per_unit=140))
    session.add(ExchangeRate(currency="USD", valid_from=date(2026, 1, 1), jpy_per_unit=150))
    await session.commit()
    await english_buyer(session)
    await login(client, "ann@sydney.example")
    price = {"amount": "10", "currency": "USD"}
    need = await new_need(client, {**METAL_NEED, "hs_codes": ["9617"], "target_price": price})
    (item,) = await reasons_of(client)
    assert item["price"] == "price 1,200–1,500 JPY fits your 10 USD"
    # 7 USD is 1,050 JPY at today's rate: below the lowest price, no reason.
    await client.patch(f"/api/needs/{need['id']}", json={"target_price": {**price, "amount": "7"}})
    (item,) = await reasons_of(client)
    assert "price" not in item
    low_score = item["score"]
    # No rate for the euro: the price is unknown (half a fit), not an error.
    await client.patch(
        f"/api/needs/{need['id']}", json={"target_price": {"amount": "7", "currency": "EUR"}}
    )
    (item,) = await reasons_of(client)
    assert "price" not in item
    assert item["score"] > low_score


async def test_wanted_markets_and_the_booths_minimum_order_give_reasons(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(
        client, wanted_markets=["AU"], minimum_order={"amount": 200, "unit": "piece"}
    )
    await approve(client, session, booth["id"])
    await english_buyer(session)
    await login(client, "ann@sydney.example")
    await new_need(client, {**METAL_NEED, "quantity": {"amount": 1000, "unit": "piece"}})
    (item,) = await reasons_of(client)
    assert item["wanted_market"] == "wants buyers for Australia, where you sell"
    assert item["minimum_order"] == "minimum order 200 ≤ your 1,000 pieces"
    # The exhibitor reads the same about the buyer.
    await login(client, "kenji@tsubame.example")
    (lead,) = (await client.get(f"/api/booths/{booth['id']}/leads")).json()["items"]
    codes = {r["code"]: r["text"] for r in lead["reasons"]}
    assert codes["wanted_market"] == "wants buyers for Australia, where the buyer sells"


async def test_good_times_for_both_are_counted_for_the_best_matches(client, session):
    booth = await booth_with_hours(client, session)
    # A Vietnamese buyer's working day (9:00–18:00 in Ho Chi Minh City) meets Tokyo's
    # 9:00–17:00 from 11:00 to 17:00 Tokyo time.
    await make_user(
        session,
        "buyer",
        "lan@saigon.example",
        name="Lan",
        country="VN",
        timezone="Asia/Ho_Chi_Minh",
        locale="en",
    )
    # A New York buyer's working day is Tokyo's night: no good time.
    await make_user(
        session,
        "buyer",
        "bob@newyork.example",
        name="Bob",
        country="US",
        timezone="America/New_York",
        locale="en",
    )
    await login(client, "lan@saigon.example")
    await new_need(client, METAL_NEED)
    (saigon,) = await reasons_of(client)
    count = int(re.match(r"(\d+) good times for both", saigon["good_times"]).group(1))
    assert count >= 3
    await login(client, "bob@newyork.example")
    await new_need(client, METAL_NEED)
    (new_york,) = await reasons_of(client)
    assert "good_times" not in new_york
    assert new_york["score"] < saigon["score"]
    # The organizers' console reads the same parts.
    await login(client, "organizer@example.com")
    matches = (await client.get("/api/fairs/2027-06/matches")).json()["items"]
    by_buyer = {m["buyer_id"]: {r["code"] for r in m["reasons"]} for m in matches}
    assert sorted("good_times" in codes for codes in by_buyer.values()) == [False, True]
    assert booth["id"] in {m["booth_id"] for m in matches}


async def test_a_need_without_a_time_frame_is_stored_with_none(session, client):
    await make_fair(session)
    await english_buyer(session)
    await login(client, "ann@sydney.example")
    need = await new_need(client, METAL_NEED)
    assert need["time_frame"] is None
    row = await session.get(Need, need["id"])
    assert (row.time_from, row.time_until) == (None, None)
    assert Decimal(0) == Decimal(0)
