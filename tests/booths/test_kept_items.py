"""A booth's public products and files are kept per fair version (``booths.kept_items``, issue
19): a repeated view reads neither, says the same, and a change (through the API or an
operator's SQL) shows on the next view; the exhibitor still sees what waits for review."""

from __future__ import annotations

from booth_helpers import TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import Statements, login
from sqlalchemy import update

from booths.models import Product
from fair.resources import of_app


async def approved_booth(client, session) -> dict:
    """An approved booth with one product; nobody signed in afterwards."""
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    added = await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
    assert added.status_code == 201, added.text
    booth["product"] = added.json()
    await approve(client, session, booth["id"])
    client.cookies.clear()
    return booth


async def public(client, booth_id: str) -> tuple[dict, str]:
    client.cookies.clear()
    api = await client.get(f"/api/booths/{booth_id}")
    page = await client.get(f"/booths/{booth_id}")
    assert api.status_code == 200 and page.status_code == 200, (api.text, page.status_code)
    return api.json(), page.text


async def test_a_repeated_view_reads_no_products_or_files_and_says_the_same(client, session, app):
    booth = await approved_booth(client, session)
    first_api, first_page = await public(client, booth["id"])
    assert [p["name"]["en"] for p in first_api["products"]] == ["Vacuum Tumbler 350 ml"]
    with Statements(of_app(app).engine) as sent:
        again_api, again_page = await public(client, booth["id"])
    assert not sent.reading("products") and not sent.reading("media"), sent.listing()
    assert again_api == first_api
    assert "Vacuum Tumbler 350 ml" in again_page
    assert again_page.count("Vacuum Tumbler 350 ml") == first_page.count("Vacuum Tumbler 350 ml")


async def test_a_price_changed_through_the_api_shows_on_the_next_view(client, session):
    booth = await approved_booth(client, session)
    seen, _page = await public(client, booth["id"])
    assert seen["products"][0]["price_min"] == "1800.00"
    await login(client, "kenji@tsubame.example")
    priced = await client.patch(
        f"/api/booths/{booth['id']}/products/{booth['product']['id']}",
        json={"price_min": "1500"},
    )
    assert priced.status_code == 200, priced.text
    api, page = await public(client, booth["id"])
    assert api["products"][0]["price_min"] == "1500.00"
    assert "1,500" in page and "1,800" not in page


async def test_an_operators_sql_shows_on_the_next_view(client, session):
    booth = await approved_booth(client, session)
    await public(client, booth["id"])
    await session.execute(
        update(Product)
        .where(Product.id == booth["product"]["id"])
        .values(name={"ja": "真空タンブラー", "en": "Vacuum Tumbler 500 ml"})
    )
    await session.commit()
    api, page = await public(client, booth["id"])
    assert api["products"][0]["name"]["en"] == "Vacuum Tumbler 500 ml"
    assert "Vacuum Tumbler 500 ml" in page


async def test_the_exhibitor_sees_what_waits_for_review_and_visitors_do_not(client, session):
    booth = await approved_booth(client, session)
    await public(client, booth["id"])  # kept for visitors
    await login(client, "kenji@tsubame.example")
    added = await client.post(
        f"/api/booths/{booth['id']}/products",
        json={"name": {"ja": "新製品ケトル", "en": "Brand-new Kettle"}},
    )
    assert added.json()["awaiting_review"] is True
    own = (await client.get(f"/api/booths/{booth['id']}")).json()
    assert [p["name"]["en"] for p in own["products"]] == [
        "Vacuum Tumbler 350 ml",
        "Brand-new Kettle",
    ]
    api, page = await public(client, booth["id"])
    assert [p["name"]["en"] for p in api["products"]] == ["Vacuum Tumbler 350 ml"]
    assert "Brand-new Kettle" not in page
