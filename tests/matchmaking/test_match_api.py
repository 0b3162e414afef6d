"""Recommendations, leads and a fair's matches through the API, on data entered as people
enter it: the booths and products through the booth API, the needs through /api/needs."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import make_fair
from helpers import login, make_colleague, make_user, read_scalar
from match_helpers import THAI_NEED, new_need, world
from sqlalchemy import func, select

from booths.models import Booth
from fair import clock
from fair.accounts.models import User
from matchmaking.models import Need
from meetings.models import Attendance, Meeting, MeetingStatus


async def test_a_thai_buyer_is_recommended_a_japanese_product_by_its_hs_code(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    response = await client.get("/api/fairs/2027-06/recommendations")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    # The booth in review makes the same tumbler: never recommended.
    assert [item["booth_id"] for item in items] == [ids["tsubame"]]
    (item,) = items
    assert item["product_ids"] == [ids["tumbler"]]
    # hs 1 × 0.35, text 0 × 0.20 (Thai words, Japanese texts), minimum order 300 ≤ 1,000
    # × 0.05, market 0 × 0.10 (the booth sells to CN, VN, US; the buyer is in TH), English
    # × 0.05: 0.45 / 0.75.
    assert item["score"] == 0.6
    assert [r["code"] for r in item["reasons"]] == ["hs", "minimum_order", "language"]
    assert item["reasons"][0]["text"] == "ผลิต HS 9617.00 ที่คุณต้องการ"
    assert item["reasons"][1]["text"] == "สั่งขั้นต่ำ 300 ≤ 1,000 ชิ้น ที่คุณต้องการ"


async def test_a_chinese_need_meets_a_chinese_product_text(client, session):
    ids = await world(client, session)
    await login(client, "wei@shanghai.example")
    await new_need(client, {"text": "寻找瓷饭碗供应商", "markets": ["TH"]})
    items = (await client.get("/api/fairs/2027-06/recommendations")).json()["items"]
    assert [item["booth_id"] for item in items] == [ids["hasami"]]
    reasons = {r["code"]: r["text"] for r in items[0]["reasons"]}
    assert reasons == {"text": "提及 “瓷饭碗”", "market": "销往 泰国"}
    assert items[0]["product_ids"] == [ids["bowl"]]


async def closed_as_no_deal(session, booth_id: str, buyer_id: str, *, days_ago: int) -> None:
    """A held meeting of the Thai buyer at the booth, ``days_ago``, closed as no deal."""
    start = clock.now() - timedelta(days=days_ago)
    session.add(
        Meeting(
            booth_id=booth_id,
            buyer_id=buyer_id,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            status=MeetingStatus.CONFIRMED,
            buyer_timezone="Asia/Bangkok",
            attendance=Attendance.HELD,
            stage="no_deal",
        )
    )
    await session.commit()


async def test_a_pair_closed_as_no_deal_is_not_recommended_again(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    await closed_as_no_deal(session, ids["tsubame"], ids["thai"].id, days_ago=30)
    items = (await client.get("/api/fairs/2027-06/recommendations")).json()["items"]
    assert items == []


async def test_a_no_deal_at_another_booth_of_the_company_closes_the_pair(client, session):
    """The no deal was reached in last spring's fair at the company's booth, hosted by a
    colleague who owned it: the company, not the one member, closed with the buyer."""
    ids = await world(client, session)
    booth = await session.get(Booth, ids["tsubame"])
    owner = await session.get(User, booth.owner_id)
    colleague = await make_colleague(session, owner, "aiko@tsubame.example")
    spring = await make_fair(session, "2026-04", days_from_now=-240)
    earlier = Booth(
        fair_id=spring.id,
        owner_id=colleague.id,
        company_id=booth.company_id,
        company=booth.company,
        status="approved",
    )
    session.add(earlier)
    await session.flush()
    await closed_as_no_deal(session, earlier.id, ids["thai"].id, days_ago=230)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    items = (await client.get("/api/fairs/2027-06/recommendations")).json()["items"]
    assert ids["tsubame"] not in [item["booth_id"] for item in items]


async def test_recommendations_are_for_buyers(client, session):
    await world(client, session)
    client.cookies.clear()
    assert (await client.get("/api/fairs/2027-06/recommendations")).status_code == 401
    await login(client, "kenji@tsubame.example")
    assert (await client.get("/api/fairs/2027-06/recommendations")).status_code == 403
    await login(client, "somchai@bangkok.example")
    assert (await client.get("/api/fairs/no-such/recommendations")).status_code == 404
    # No needs yet: nothing to recommend.
    assert (await client.get("/api/fairs/2027-06/recommendations")).json() == {"items": []}


async def test_a_booth_sees_the_buyers_looking_for_what_it_makes_never_their_email(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    shown = await new_need(client, THAI_NEED)
    await new_need(client, {**THAI_NEED, "visible_to_exhibitors": False, "fair": None})
    await login(client, "kenji@tsubame.example")
    response = await client.get(f"/api/booths/{ids['tsubame']}/leads")
    assert response.status_code == 200, response.text
    (lead,) = response.json()["items"]
    assert lead["need_id"] == shown["id"]
    assert lead["buyer"] == {
        "id": ids["thai"].id,
        "name": "Somchai",
        "company": "Bangkok Trading",
        "country": "TH",
    }
    assert "@" not in response.text
    # The exhibitor reads the reasons about the buyer, in their own language (English here).
    assert lead["reasons"][0]["text"] == "makes HS 9617.00 that the buyer asked for"
    # Another exhibitor's booth: not theirs.
    assert (await client.get(f"/api/booths/{ids['hasami']}/leads")).status_code == 403
    await login(client, "somchai@bangkok.example")
    assert (await client.get(f"/api/booths/{ids['tsubame']}/leads")).status_code == 403


async def test_a_booth_in_review_has_no_leads(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    await login(client, "goro@pending.example")
    response = await client.get(f"/api/booths/{ids['pending']}/leads")
    assert response.json() == {"items": []}


async def test_organizers_see_a_fairs_matches_and_filter_them(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    thai_need = await new_need(client, {**THAI_NEED, "categories": ["ceramics"]})
    await login(client, "wei@shanghai.example")
    chinese_need = await new_need(client, {"text": "寻找瓷饭碗供应商", "markets": ["TH"]})
    await login(client, "organizer@example.com")
    everything = (await client.get("/api/fairs/2027-06/matches")).json()["items"]
    pairs = {(m["buyer_id"], m["booth_id"], m["need_id"]) for m in everything}
    assert pairs == {
        (ids["thai"].id, ids["tsubame"], thai_need["id"]),
        (ids["thai"].id, ids["hasami"], thai_need["id"]),
        (ids["chinese"].id, ids["hasami"], chinese_need["id"]),
    }
    scores = [m["score"] for m in everything]
    assert scores == sorted(scores, reverse=True)
    by_buyer = (await client.get(f"/api/fairs/2027-06/matches?buyer={ids['chinese'].id}")).json()
    assert [m["need_id"] for m in by_buyer["items"]] == [chinese_need["id"]]
    by_booth = (await client.get(f"/api/fairs/2027-06/matches?booth={ids['tsubame']}")).json()
    assert {m["booth_id"] for m in by_booth["items"]} == {ids["tsubame"]}
    top = max(scores)
    best = (await client.get(f"/api/fairs/2027-06/matches?min_score={top}")).json()["items"]
    assert [m["score"] for m in best] == [top]


async def test_bad_match_filters_are_422(client, session):
    await world(client, session)
    await login(client, "organizer@example.com")
    for query in ("min_score=2", "min_score=high", "min_score=nan", "buyer=" + "x" * 40):
        response = await client.get(f"/api/fairs/2027-06/matches?{query}")
        assert response.status_code == 422, query
    await login(client, "somchai@bangkok.example")
    assert (await client.get("/api/fairs/2027-06/matches")).status_code == 403


async def test_reading_matches_changes_nothing(client, session):
    await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    before = await read_scalar(session, select(func.count()).select_from(Need))
    await client.get("/api/fairs/2027-06/recommendations")
    await login(client, "organizer@example.com")
    await client.get("/api/fairs/2027-06/matches")
    assert await read_scalar(session, select(func.count()).select_from(Need)) == before


async def test_a_buyer_of_the_exhibitors_own_company_is_not_matched_with_it(client, session):
    ids = await world(client, session)
    await make_user(session, "buyer", "buyer@tsubame.example", company="TSUBAME MIGAKI")
    await login(client, "buyer@tsubame.example")
    await new_need(client, {**THAI_NEED, "fair": None})  # a standing need
    assert (await client.get("/api/fairs/2027-06/recommendations")).json() == {"items": []}
    await login(client, "somchai@bangkok.example")
    await new_need(client, {**THAI_NEED, "fair": None})
    items = (await client.get("/api/fairs/2027-06/recommendations")).json()["items"]
    assert [item["booth_id"] for item in items] == [ids["tsubame"]]


async def test_an_interpreter_of_the_programme_bridges_the_languages(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, {**THAI_NEED, "languages": ["th"]})
    await login(client, "kenji@tsubame.example")
    (lead,) = (await client.get(f"/api/booths/{ids['tsubame']}/leads")).json()["items"]
    assert "language" not in {r["code"] for r in lead["reasons"]}
    assert "interpreter" not in {r["code"] for r in lead["reasons"]}
    await make_user(session, "interpreter", "malee@interpreters.example", languages=["th", "ja"])
    (lead,) = (await client.get(f"/api/booths/{ids['tsubame']}/leads")).json()["items"]
    reasons = {r["code"]: r["text"] for r in lead["reasons"]}
    assert reasons["interpreter"] == "an interpreter between ไทย and 日本語 is available"
