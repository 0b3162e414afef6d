"""``GET /api/meetings?fair=&status=&from=&to=``: a fair's meetings for its organizers and
staff, one's own for everyone else; filters, paging and bad input (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from booth_helpers import approve, create_booth, exhibitor
from helpers import login, make_user
from meeting_helpers import WEEKDAYS_9_TO_17, at_tokyo, book, booth_with_hours, buyer, next_weekday

from fair.fairs.models import Fair


async def programme(client: Any, session: Any) -> dict[str, Any]:
    """Two booths of fair 2027-06 (Tsubame, Kyoto), two buyers with two meetings each (one
    cancelled), and a draft fair."""
    day = next_weekday()
    tsubame = await booth_with_hours(client, session, first=day)
    await exhibitor(client, session, "mika@kyoto.example", "Kyoto Kiln")
    kyoto = await create_booth(client, company={"ja": "京都窯", "en": "Kyoto Kiln"})
    hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
    assert (await client.put(f"/api/booths/{kyoto['id']}/availability", json=hours)).is_success
    await approve(client, session, kyoto["id"])
    session.add(
        Fair(
            slug="draft-fair",
            title={"en": "Draft"},
            starts_on=day + timedelta(days=60),
            ends_on=day + timedelta(days=62),
            booking_opens_on=day,
            status="draft",
        )
    )
    await session.commit()
    meetings: dict[str, str] = {}
    for who, hour in (("lan@saigon.example", 10), ("wang@hengtai.example", 14)):
        await buyer(client, session, who)
        for name, booth in (("tsubame", tsubame), ("kyoto", kyoto)):
            made = await book(client, booth["id"], at_tokyo(day, hour if name == "tsubame" else 16))
            assert made.status_code == 201, made.text
            meetings[f"{who.split('@')[0]}-{name}"] = made.json()["id"]
        cancel = f"/api/meetings/{meetings[who.split('@')[0] + '-kyoto']}/cancel"
        assert (await client.post(cancel, json={"reason": "Plans changed"})).is_success
    await make_user(session, "organizer", "aiko@city.example")
    await make_user(session, "staff", "kenji@city.example")
    return {"day": day, "meetings": meetings}


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["meetings"]}


async def test_organizers_and_staff_list_a_fairs_meetings_others_only_their_own(client, session):
    world = await programme(client, session)
    every = set(world["meetings"].values())
    for insider in ("aiko@city.example", "kenji@city.example"):
        await login(client, insider)
        listed = await client.get("/api/meetings", params={"fair": "2027-06"})
        assert ids(listed) == every
        assert listed.json()["total"] == 4
        item = listed.json()["meetings"][0]
        assert item["start_utc"] < item["end_utc"]
        assert {"id", "booth_id", "buyer_id", "start", "end", "status", "join_url"} <= set(item)
        # Without a fair an insider has no meetings of their own.
        assert ids(await client.get("/api/meetings")) == set()
    await login(client, "lan@saigon.example")
    own = {world["meetings"]["lan-tsubame"], world["meetings"]["lan-kyoto"]}
    assert ids(await client.get("/api/meetings", params={"fair": "2027-06"})) == own
    assert ids(await client.get("/api/meetings")) == own
    await login(client, "mika@kyoto.example")
    kyoto = {world["meetings"]["lan-kyoto"], world["meetings"]["wang-kyoto"]}
    assert ids(await client.get("/api/meetings", params={"fair": "2027-06"})) == kyoto


async def test_status_and_time_filters_and_paging(client, session):
    world = await programme(client, session)
    day, meetings = world["day"], world["meetings"]
    await login(client, "aiko@city.example")

    def fair(**params: str) -> Any:
        return client.get("/api/meetings", params={"fair": "2027-06", **params})

    cancelled = {meetings["lan-kyoto"], meetings["wang-kyoto"]}
    assert ids(await fair(status="cancelled")) == cancelled
    assert ids(await fair(status="confirmed,cancelled")) == set(meetings.values())
    # 10:00 and 14:00 Tokyo at Tsubame, 16:00 at Kyoto: the window [12:00, 15:00) Tokyo.
    window = await fair(**{"from": at_tokyo(day, 12), "to": at_tokyo(day, 15)})
    assert ids(window) == {meetings["wang-tsubame"]}
    # A date is midnight in the viewer's zone (tz, else their own).
    next_day = (day + timedelta(days=1)).isoformat()
    assert ids(await fair(**{"from": next_day})) == set()
    assert ids(await fair(**{"to": next_day, "tz": "Asia/Tokyo"})) == set(meetings.values())
    first = await fair(per_page="3")
    second = await fair(per_page="3", page="2")
    assert (len(ids(first)), len(ids(second))) == (3, 1)
    assert ids(first) | ids(second) == set(meetings.values())
    assert (second.json()["page"], second.json()["per_page"], second.json()["total"]) == (2, 3, 4)
    starts = [m["start_utc"] for m in first.json()["meetings"]]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"status": "held"}, 400, "status"),
        ({"from": "yesterday"}, 400, "from"),
        ({"from": "2027-06-01T10:00"}, 400, "from"),
        ({"from": "0001-01-01"}, 400, "from"),
        ({"to": "9999-12-31T23:59:59-12:00"}, 400, "to"),
        ({"from": "2027-06-02", "to": "2027-06-01"}, 400, "to"),
        ({"per_page": "0"}, 400, "per_page"),
        ({"per_page": "100000"}, 400, "per_page"),
        ({"page": "-1"}, 400, "page"),
        ({"tz": "America/Argentina"}, 400, "tz"),
        ({"fair": "no-such-fair"}, 404, None),
        ({"fair": "draft-fair"}, 404, None),
    ],
)
async def test_bad_filters_are_refused_in_the_error_shape(client, session, params, status, field):
    await programme(client, session)
    await login(client, "lan@saigon.example")
    response = await client.get("/api/meetings", params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error["fields"], error


async def test_anonymous_gets_401(client, session):
    await programme(client, session)
    client.cookies.clear()
    assert (await client.get("/api/meetings", params={"fair": "2027-06"})).status_code == 401
