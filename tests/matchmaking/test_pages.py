"""The buyer's page of needs: entered through the form, shown with the booths recommended for
them in the buyer's language; a bad form stores nothing; another buyer's need stays."""

from __future__ import annotations

from helpers import login, make_user, read_scalar
from match_helpers import world
from sqlalchemy import func, select

from matchmaking.models import Need

CSRF = "csrf-of-the-needs-page"


def form(**fields):
    return {"csrf_token": CSRF, "visible_to_exhibitors": "1", **fields}


async def count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Need))


async def test_a_buyer_enters_a_need_and_sees_the_booth_recommended_with_its_reasons(
    client, session
):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    client.cookies.set("kk_csrf", CSRF)
    empty = await client.get("/my/needs")
    assert empty.status_code == 200
    sent = await client.post(
        "/my/needs",
        data=form(
            text="ต้องการกระติกน้ำสแตนเลส",
            fair="2027-06",
            hs_codes="9617.00",
            quantity_amount="1,000",
            quantity_unit="piece",
            markets="th",
        ),
    )
    assert sent.status_code == 303, sent.text
    shown = await client.get("/my/needs")
    assert f'href="/booths/{ids["tsubame"]}/book?source=recommended"' in shown.text
    assert "ผลิต HS 9617.00 ที่คุณต้องการ" in shown.text  # the reason, in Thai
    assert "燕ミガキ工業株式会社" in shown.text or "Tsubame" in shown.text
    assert ids["hasami"] not in shown.text and ids["pending"] not in shown.text
    assert await count(session) == 1


async def test_a_bad_form_is_refused_and_stores_nothing(client, session):
    await make_user(session, "buyer", "lan@saigon.example", locale="vi")
    await login(client, "lan@saigon.example")
    client.cookies.set("kk_csrf", CSRF)
    for fields in (
        {"text": "trà", "hs_codes": "123"},
        {"text": ""},
        {"text": "x", "markets": "XX"},
    ):
        response = await client.post("/my/needs", data=form(**fields))
        assert response.status_code == 422, fields
        assert 'class="form-errors"' in response.text
    assert await count(session) == 0


async def test_another_buyers_need_cannot_be_removed(client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "buyer", "wei@shanghai.example")
    await login(client, "lan@saigon.example")
    created = await client.post("/api/needs", json={"text": "green tea"})
    need_id = created.json()["id"]
    await login(client, "wei@shanghai.example")
    client.cookies.set("kk_csrf", CSRF)
    response = await client.post(f"/my/needs/{need_id}/delete", data={"csrf_token": CSRF})
    assert response.status_code == 404
    assert await count(session) == 1
    await login(client, "lan@saigon.example")
    client.cookies.set("kk_csrf", CSRF)
    response = await client.post(f"/my/needs/{need_id}/delete", data={"csrf_token": CSRF})
    assert response.status_code == 303
    assert await count(session) == 0


async def test_a_buyer_enters_a_time_frame_and_a_target_price_on_the_form(client, session):
    await make_user(session, "buyer", "yui@osaka.example", locale="ja")
    await login(client, "yui@osaka.example")
    client.cookies.set("kk_csrf", CSRF)
    page = await client.get("/my/needs")
    assert 'name="time_from"' in page.text and 'name="time_until"' in page.text
    assert 'name="price_amount"' in page.text
    refused = await client.post(
        "/my/needs",
        data=form(text="green tea", time_from="2099-06-30", time_until="2099-01-01"),
    )
    assert refused.status_code == 422
    assert "開始日は終了日より後にできません。" in refused.text
    assert await count(session) == 0
    sent = await client.post(
        "/my/needs",
        data=form(
            text="green tea",
            time_until="2099-06-30",
            price_amount="12.50",
            price_currency="usd",
        ),
    )
    assert sent.status_code == 303, sent.text
    (need,) = (await client.get("/api/needs")).json()["items"]
    assert need["time_frame"] == {"from": None, "until": "2099-06-30"}
    assert need["target_price"] == {"amount": "12.50", "currency": "USD"}
    shown = await client.get("/my/needs")
    assert "購入時期 2099/06/30まで" in shown.text


async def test_a_buyer_changes_a_need_on_its_page(client, session):
    await make_user(session, "buyer", "lan@saigon.example", locale="vi")
    await login(client, "lan@saigon.example")
    created = await client.post(
        "/api/needs",
        json={"text": "green tea", "hs_codes": ["0902"], "quantity": {"amount": 500, "unit": "kg"}},
    )
    need_id = created.json()["id"]
    client.cookies.set("kk_csrf", CSRF)
    edit = await client.get(f"/my/needs/{need_id}/edit")
    assert edit.status_code == 200
    assert ">green tea</textarea>" in edit.text and 'value="0902"' in edit.text
    assert f'action="/my/needs/{need_id}"' in edit.text

    # The quantity left empty is cleared; the words and codes take the new values.
    sent = await client.post(
        f"/my/needs/{need_id}", data=form(text="matcha powder", hs_codes="090210")
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/my/needs?done=changed"
    need = (await client.get("/api/needs")).json()["items"][0]
    assert need["text"] == "matcha powder" and need["hs_codes"] == ["090210"]
    assert need["quantity"] is None
    assert need["visible_to_exhibitors"] is True
    listed = await client.get("/my/needs?done=changed")
    assert 'role="status"' in listed.text and "matcha powder" in listed.text


async def test_a_bad_change_keeps_the_need_and_another_buyer_cannot_change_it(client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "buyer", "wei@shanghai.example")
    await login(client, "lan@saigon.example")
    need_id = (await client.post("/api/needs", json={"text": "green tea"})).json()["id"]
    client.cookies.set("kk_csrf", CSRF)
    refused = await client.post(f"/my/needs/{need_id}", data=form(text="", hs_codes="12345"))
    assert refused.status_code == 422 and 'class="form-errors"' in refused.text
    assert (await client.get("/api/needs")).json()["items"][0]["text"] == "green tea"

    await login(client, "wei@shanghai.example")
    client.cookies.set("kk_csrf", CSRF)
    assert (await client.get(f"/my/needs/{need_id}/edit")).status_code == 404
    taken = await client.post(f"/my/needs/{need_id}", data=form(text="stolen"))
    assert taken.status_code == 404
    await login(client, "lan@saigon.example")
    assert (await client.get("/api/needs")).json()["items"][0]["text"] == "green tea"
