"""Input that once reached a 500: a folder of the time-zone database given as a zone
(``America/Argentina`` is no zone, and ``ZoneInfo`` raises ``IsADirectoryError`` for it),
and dates at the calendar's edges whose arithmetic overflows. Every path answers a 4xx in
the error shape instead, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import login, make_user, registration
from meeting_helpers import booth_with_hours, buyer

FOLDERS = ("America/Argentina", "America/Indiana", "Europe", "America/", "/etc/passwd")
JSON = {"accept": "application/json"}


def assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture
async def world(client: Any, session: Any) -> dict[str, Any]:
    booth = await booth_with_hours(client, session)
    await buyer(client, session)
    return {"booth": booth}


async def test_a_zone_folder_as_tz_is_refused_on_every_page_and_api(client, world):
    booth_id = world["booth"]["id"]
    paths = (
        f"/api/booths/{booth_id}/slots",
        "/api/meetings",
        "/fairs/2027-06/booths",
        f"/booths/{booth_id}/book",
    )
    for folder in FOLDERS:
        for path in paths:
            response = await client.get(path, params={"tz": folder}, headers=JSON)
            error = assert_error_shape(response, 400)
            assert error["code"] == "bad_request", (path, error)
            assert error["fields"] == {"tz": error["message"]}, (path, error)
        # The same pages as a browser asks for them: the error page, not a 500.
        page = await client.get(f"/booths/{booth_id}/book", params={"tz": folder})
        assert page.status_code == 400 and "text/html" in page.headers["content-type"]


async def test_a_zone_folder_is_no_time_zone_for_an_account(client, session, world):
    for folder in FOLDERS:
        response = await client.post(
            "/api/auth/register",
            json=registration(email="someone@example.org", timezone=folder),
        )
        assert "timezone" in assert_error_shape(response, 422)["fields"]
    hours = {"timezone": "America/Argentina", "weekly": [], "min_notice_minutes": 0}
    await login(client, "kenji@tsubame.example")
    response = await client.put(f"/api/booths/{world['booth']['id']}/availability", json=hours)
    assert "timezone" in assert_error_shape(response, 422)["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"to": "0001-01-01"},
    ],
)
async def test_report_dates_at_the_calendars_edges_are_refused(client, session, query):
    await make_user(session, "organizer", "aiko@city.example")
    await login(client, "aiko@city.example")
    response = await client.get("/api/reports/conversion", params=query)
    fields = assert_error_shape(response)["fields"]
    assert set(fields) <= {"from", "to"} and fields, fields
    for export in ("/reports/conversion.csv", "/reports/conversion.xlsx", "/reports"):
        response = await client.get(export, params=query, headers=JSON)
        assert_error_shape(response)
