"""Products: validation that a buyer relies on (HS code, currency, prices), order, removal."""

from __future__ import annotations

from booth_helpers import TUMBLER, create_booth, exhibitor, make_fair
from helpers import read_scalar
from sqlalchemy import func, select

from booths.models import Product


async def booth_with_owner(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    return await create_booth(client)


async def product_count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Product))


async def test_product_round_trip_keeps_exact_prices(client, session):
    booth = await booth_with_owner(client, session)
    created = await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
    assert created.status_code == 201
    body = created.json()
    assert (body["hs_code"], body["price_min"], body["price_max"], body["currency"]) == (
        "961700",
        "1800.00",
        "2600.00",
        "JPY",
    )
    listed = (await client.get(f"/api/booths/{booth['id']}/products")).json()["products"]
    assert [p["name"]["en"] for p in listed] == ["Vacuum Tumbler 350 ml"]


async def test_bad_product_fields_are_422_and_nothing_is_stored(client, session):
    booth = await booth_with_owner(client, session)
    cases = {
        "hs_code": "12A",
        "currency": "ZZZ",
        "moq": 0,
        "lead_time_days": "soon",
        "moq_unit": "bucket",
    }
    for name, value in cases.items():
        response = await client.post(
            f"/api/booths/{booth['id']}/products", json={**TUMBLER, name: value}
        )
        assert response.status_code == 422, name
        assert name in response.json()["error"]["fields"], name
    inverted = await client.post(
        f"/api/booths/{booth['id']}/products",
        json={**TUMBLER, "price_min": "900", "price_max": "100"},
    )
    assert inverted.status_code == 422
    no_japanese = await client.post(
        f"/api/booths/{booth['id']}/products", json={**TUMBLER, "name": {"en": "Tumbler"}}
    )
    assert no_japanese.status_code == 422
    assert await product_count(session) == 0


async def test_hs_code_with_dots_is_normalised(client, session):
    booth = await booth_with_owner(client, session)
    response = await client.post(
        f"/api/booths/{booth['id']}/products", json={**TUMBLER, "hs_code": "9617.00"}
    )
    assert response.json()["hs_code"] == "961700"


async def test_patch_clears_price_and_refuses_inverted_range(client, session):
    booth = await booth_with_owner(client, session)
    product = (await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)).json()
    url = f"/api/booths/{booth['id']}/products/{product['id']}"
    inverted = await client.patch(url, json={"price_min": "5000"})
    assert inverted.status_code == 422
    cleared = await client.patch(url, json={"price_min": None, "price_max": None})
    assert (cleared.json()["price_min"], cleared.json()["price_max"]) == (None, None)
    emptied_name = await client.patch(url, json={"name": None})
    assert emptied_name.status_code == 422


async def test_reorder_needs_every_product_once(client, session):
    booth = await booth_with_owner(client, session)
    ids = []
    for name in ("一", "二", "三"):
        response = await client.post(
            f"/api/booths/{booth['id']}/products", json={"name": {"ja": name}}
        )
        ids.append(response.json()["id"])
    url = f"/api/booths/{booth['id']}/products/order"
    assert (await client.put(url, json={"ids": ids[:2]})).status_code == 400
    assert (await client.put(url, json={"ids": [ids[0], ids[0], ids[1]]})).status_code == 400
    reordered = await client.put(url, json={"ids": list(reversed(ids))})
    assert [p["name"]["ja"] for p in reordered.json()["products"]] == ["三", "二", "一"]
    listed = (await client.get(f"/api/booths/{booth['id']}/products")).json()["products"]
    assert [p["name"]["ja"] for p in listed] == ["三", "二", "一"]


async def test_delete_product_of_own_booth_only(client, session):
    booth = await booth_with_owner(client, session)
    product = (await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)).json()
    url = f"/api/booths/{booth['id']}/products/{product['id']}"
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    assert (await client.delete(url)).status_code == 403
    assert await product_count(session) == 1
    from helpers import login

    await login(client, "kenji@tsubame.example")
    assert (await client.delete(url)).status_code == 204
    assert (await client.delete(url)).status_code == 404
    assert await product_count(session) == 0
