"""Sourcing needs through the API: a buyer's own, validated, capped; anyone else's is not
found and stays as it was."""

from __future__ import annotations

import pytest
from booth_helpers import make_fair
from helpers import login, make_user, read_scalar
from sqlalchemy import func, select

from matchmaking import service
from matchmaking.models import Need, NeedTag

NEED = {
    "fair": "2027-06",
    "text": "ต้องการกระติกน้ำสแตนเลส",
    "categories": ["metal_parts"],
    "hs_codes": ["9617.00", "7323"],
    "quantity": {"amount": 1000, "unit": "piece"},
    "target_price": {"amount": "12.50", "currency": "usd"},
    "certifications": ["ISO 9001"],
    "markets": ["th", "VN"],
    "languages": ["th", "en"],
    "visible_to_exhibitors": True,
}


async def buyer(client, session, email="somchai@bangkok-trading.example", **extra):
    user = await make_user(
        session, "buyer", email, company="Bangkok Trading", country="TH", locale="th", **extra
    )
    await login(client, email)
    return user


async def count(session, model=Need) -> int:
    return await read_scalar(session, select(func.count()).select_from(model))


async def snapshot(session) -> list[tuple]:
    rows = await session.execute(select(Need).order_by(Need.id))
    found = [
        (n.id, n.text, n.hs_codes, n.quantity_amount, n.price_amount, n.updated_at)
        for (n,) in rows.all()
    ]
    await session.rollback()
    return found


async def test_a_buyer_enters_changes_and_removes_a_need(client, session):
    await make_fair(session)
    await buyer(client, session)
    created = await client.post("/api/needs", json=NEED)
    assert created.status_code == 201, created.text
    need = created.json()
    assert need["fair"] == "2027-06"
    assert need["hs_codes"] == ["961700", "7323"]
    assert need["quantity"] == {"amount": 1000, "unit": "piece"}
    assert need["target_price"] == {"amount": "12.50", "currency": "USD"}
    assert need["markets"] == ["TH", "VN"]
    # Every prefix of each HS code, the categories and the markets are indexed for the leads.
    tags = await read_scalar(session, select(func.count()).select_from(NeedTag))
    assert tags == 3 + 2 + 1 + 2

    listed = (await client.get("/api/needs")).json()["items"]
    assert [n["id"] for n in listed] == [need["id"]]

    changed = await client.patch(
        f"/api/needs/{need['id']}",
        json={"text": "stainless tumblers", "quantity": None, "fair": None},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["text"], body["quantity"], body["fair"]) == ("stainless tumblers", None, None)
    assert body["hs_codes"] == ["961700", "7323"]  # not sent: as it was

    removed = await client.delete(f"/api/needs/{need['id']}")
    assert removed.status_code == 204
    assert await count(session) == 0
    assert await count(session, NeedTag) == 0


BAD = {
    "hs_codes": ["123"],
    "categories": ["spaceships"],
    "markets": ["XX"],
    "languages": ["de"],
    "target_price": {"amount": "10", "currency": "ZZZ"},
    "quantity": {"amount": 0, "unit": "piece"},
    "fair": "no-such-fair",
    "text": "x" * 2001,
    "certifications": [f"C{i}" for i in range(11)],
    "visible_to_exhibitors": "maybe",
}


@pytest.mark.parametrize(("field", "value"), BAD.items(), ids=list(BAD))
async def test_bad_fields_are_422_and_nothing_is_stored(client, session, field, value):
    await make_fair(session)
    await buyer(client, session)
    response = await client.post("/api/needs", json={**NEED, field: value})
    assert response.status_code == 422, response.text
    assert field in str(response.json()["error"]["fields"])
    assert await count(session) == 0


async def test_a_need_says_what_is_looked_for(client, session):
    await buyer(client, session)
    empty = {"fair": None, "text": "", "markets": ["TH"]}
    response = await client.post("/api/needs", json=empty)
    assert response.status_code == 422
    assert await count(session) == 0
    unknown = await client.post("/api/needs", json={"text": "tea", "colour": "green"})
    assert unknown.status_code == 422
    assert await count(session) == 0


async def test_a_bad_change_changes_nothing(client, session):
    await make_fair(session)
    await buyer(client, session)
    need = (await client.post("/api/needs", json=NEED)).json()
    before = await snapshot(session)
    for body in (
        {"hs_codes": ["96170"]},
        {"text": "", "categories": [], "hs_codes": []},
        {"quantity": {"amount": 5}},
        {"fair": "draft-or-missing"},
    ):
        response = await client.patch(f"/api/needs/{need['id']}", json=body)
        assert response.status_code == 422, body
    assert await snapshot(session) == before


async def test_needs_are_capped_per_buyer(client, session, monkeypatch):
    monkeypatch.setattr(service, "MAX_NEEDS_PER_BUYER", 2)
    await buyer(client, session)
    for _ in range(2):
        assert (await client.post("/api/needs", json={"text": "green tea"})).status_code == 201
    refused = await client.post("/api/needs", json={"text": "green tea"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_needs"
    assert await count(session) == 2


async def test_another_buyers_need_is_not_found_and_stays(client, session):
    await buyer(client, session)
    need = (await client.post("/api/needs", json={"text": "green tea"})).json()
    await buyer(client, session, email="lan@saigon.example")
    before = await snapshot(session)
    patched = await client.patch(f"/api/needs/{need['id']}", json={"text": "mine now"})
    deleted = await client.delete(f"/api/needs/{need['id']}")
    assert (patched.status_code, deleted.status_code) == (404, 404)
    assert (await client.get("/api/needs")).json()["items"] == []
    assert await snapshot(session) == before


async def test_only_buyers_have_needs(client, session):
    assert (await client.get("/api/needs")).status_code == 401
    assert (await client.post("/api/needs", json={"text": "tea"})).status_code == 401
    await make_user(session, "exhibitor", "kenji@tsubame.example")
    await login(client, "kenji@tsubame.example")
    assert (await client.get("/api/needs")).status_code == 403
    assert (await client.post("/api/needs", json={"text": "tea"})).status_code == 403
    assert await count(session) == 0
