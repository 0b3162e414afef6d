from __future__ import annotations

from datetime import date

from helpers import login, make_user
from sqlalchemy import func, select

from fair.fairs.models import Fair
from fair.fairs.service import plan_year
from fair.fairs.themes import FAIR_THEMES


def fair_payload(**overrides):
    data = {
        "slug": "2027-06",
        "title": {"en": "Food & Craft Fair", "ja": "食と工芸のオンライン展示会"},
        "starts_on": "2027-06-15",
        "ends_on": "2027-06-17",
        "timezone": "Asia/Tokyo",
        "slot_minutes": 30,
    }
    data.update(overrides)
    return data


async def count_fairs(session) -> int:
    return await session.scalar(select(func.count()).select_from(Fair))


async def as_role(client, session, role):
    await make_user(session, role, f"{role}@example.com")
    await login(client, f"{role}@example.com")


async def test_organizer_creates_fair_with_defaults(client, session):
    await as_role(client, session, "organizer")
    payload = fair_payload()
    del payload["timezone"], payload["slot_minutes"]
    response = await client.post("/api/fairs", json=payload)
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["timezone"], body["slot_minutes"], body["status"]) == (
        "2027-06",
        "Asia/Tokyo",
        30,
        "published",
    )
    assert body["phase"] == "booking"  # booking opens the day it is created
    assert (await client.get("/api/fairs/2027-06")).json()["title"] == fair_payload()["title"]


async def test_buyer_cannot_create_fair_and_nothing_is_written(client, session):
    await as_role(client, session, "buyer")
    response = await client.post("/api/fairs", json=fair_payload())
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert await count_fairs(session) == 0


async def test_anonymous_create_is_401(client, session):
    response = await client.post("/api/fairs", json=fair_payload())
    assert response.status_code == 401
    assert await count_fairs(session) == 0


async def test_create_fair_bad_input_is_422(client, session):
    await as_role(client, session, "organizer")
    cases = [
        ({"slug": "Bad Slug!"}, "slug"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"slot_minutes": 25}, "slot_minutes"),
        ({"title": {}}, "title"),
        ({"title": {"fr": "Foire"}}, "title"),
        ({"starts_on": "2027-02-30"}, "starts_on"),
        ({"ends_on": "2027-06-01"}, "body"),
    ]
    for overrides, field in cases:
        response = await client.post("/api/fairs", json=fair_payload(**overrides))
        assert response.status_code == 422, overrides
        assert list(response.json()["error"]["fields"]) == [field], overrides
    assert await count_fairs(session) == 0


async def test_duplicate_slug_is_409(client, session):
    await as_role(client, session, "organizer")
    assert (await client.post("/api/fairs", json=fair_payload())).status_code == 201
    again = await client.post("/api/fairs", json=fair_payload())
    assert (again.status_code, again.json()["error"]["code"]) == (409, "slug_taken")
    assert await count_fairs(session) == 1


async def test_draft_fair_is_hidden_from_public_until_published(client, session, app):
    await as_role(client, session, "organizer")
    await client.post("/api/fairs", json=fair_payload(status="draft"))
    assert [f["slug"] for f in (await client.get("/api/fairs")).json()["fairs"]] == ["2027-06"]
    await client.post("/api/auth/logout")
    assert (await client.get("/api/fairs")).json()["fairs"] == []
    assert (await client.get("/api/fairs/2027-06")).status_code == 404
    assert (await client.get("/fairs/2027-06")).status_code == 404
    await login(client, "organizer@example.com")
    published = await client.post("/api/fairs/2027-06/publish")
    assert published.json()["status"] == "published"
    await client.post("/api/auth/logout")
    assert (await client.get("/api/fairs/2027-06")).status_code == 200


async def test_unknown_fair_is_404_json_and_html(client):
    api = await client.get("/api/fairs/no-such-fair")
    assert (api.status_code, api.json()["error"]["code"]) == (404, "fair_not_found")
    html = await client.get("/fairs/no-such-fair", headers={"accept": "text/html"})
    assert html.status_code == 404
    assert "text/html" in html.headers["content-type"]


async def test_plan_year_creates_twelve_fairs_once(session):
    created = await plan_year(session, year=2027, titles=FAIR_THEMES)
    await session.commit()
    assert [f.slug for f in created] == [f"2027-{m:02d}" for m in range(1, 13)]
    assert created[5].starts_on == date(2027, 6, 15)
    assert created[5].title["en"].endswith(" 2027")
    again = await plan_year(session, year=2027, titles=FAIR_THEMES)
    assert again == []
    assert await count_fairs(session) == 12
