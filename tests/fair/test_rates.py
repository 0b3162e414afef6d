"""Exchange rates that staff keep: who may change them, bad input, the page."""

from __future__ import annotations

import re

from helpers import login, make_user


async def test_staff_keep_the_rates_and_others_cannot(client, session):
    await make_user(session, "staff", "staff@example.com")
    await login(client, "staff@example.com")
    assert (await client.get("/api/exchange-rates")).json() == {"rates": []}
    put = await client.put(
        "/api/exchange-rates",
        json={"currency": "usd", "valid_from": "2027-06-01", "jpy_per_unit": "151.25"},
    )
    assert put.status_code == 200
    assert put.json() == {
        "currency": "USD",
        "valid_from": "2027-06-01",
        "jpy_per_unit": "151.25",
    }
    corrected = await client.put(
        "/api/exchange-rates",
        json={"currency": "USD", "valid_from": "2027-06-01", "jpy_per_unit": "150"},
    )
    assert corrected.json()["jpy_per_unit"] == "150"
    await client.put(
        "/api/exchange-rates",
        json={"currency": "VND", "valid_from": "2027-06-01", "jpy_per_unit": "0.0061"},
    )
    listed = (await client.get("/api/exchange-rates")).json()["rates"]
    assert [(r["currency"], r["jpy_per_unit"]) for r in listed] == [
        ("USD", "150"),
        ("VND", "0.0061"),
    ]
    for body in (
        {"currency": "XYZ", "valid_from": "2027-06-01", "jpy_per_unit": "1"},
        {"currency": "USD", "valid_from": "June", "jpy_per_unit": "1"},
        {"currency": "USD", "valid_from": "2027-06-01", "jpy_per_unit": "0"},
        {"currency": "USD", "valid_from": "2027-06-01", "jpy_per_unit": "-3"},
        {"currency": "USD", "valid_from": "2027-06-01", "jpy_per_unit": "1.1234567"},
        {"currency": "USD", "valid_from": "2027-06-01"},
    ):
        assert (await client.put("/api/exchange-rates", json=body)).status_code == 422, body
    assert (await client.delete("/api/exchange-rates/VND/2027-06-01")).status_code == 204
    assert (await client.delete("/api/exchange-rates/VND/2027-06-01")).status_code == 404
    assert (await client.delete("/api/exchange-rates/VND/someday")).status_code == 422
    await make_user(session, "exhibitor", "kenji@tsubame.example")
    await login(client, "kenji@tsubame.example")
    assert (await client.get("/api/exchange-rates")).status_code == 403
    body = {"currency": "USD", "valid_from": "2027-07-01", "jpy_per_unit": "1"}
    assert (await client.put("/api/exchange-rates", json=body)).status_code == 403
    assert (await client.delete("/api/exchange-rates/USD/2027-06-01")).status_code == 403


async def test_the_rates_page_adds_and_removes(client, session):
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    html = (await client.get("/reports/rates?lang=en")).text
    assert "No rates yet." in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    added = await client.post(
        "/reports/rates",
        data={
            "csrf_token": csrf,
            "currency": "thb",
            "valid_from": "2027-06-01",
            "jpy_per_unit": "4.35",
        },
    )
    assert added.status_code == 303
    html = (await client.get("/reports/rates?lang=en")).text
    assert "THB" in html and "4.35" in html
    bad = await client.post(
        "/reports/rates",
        data={"csrf_token": csrf, "currency": "THB", "valid_from": "", "jpy_per_unit": "4"},
    )
    assert bad.status_code == 422
    removed = await client.post(
        "/reports/rates",
        data={
            "csrf_token": csrf,
            "action": "remove",
            "currency": "THB",
            "valid_from": "2027-06-01",
        },
    )
    assert removed.status_code == 303
    assert "No rates yet." in (await client.get("/reports/rates?lang=en")).text
