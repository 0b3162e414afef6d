"""The conversion report on the fixed data set of ``report_helpers`` (see its tables): every
expected figure below was worked out by hand from those tables, never copied from output.

Figures are written ``fig(visits, booked, cancelled, held, no_show, follow_up, open,
contracts, contract JPY, unconverted values, median days to contract)``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from helpers import login
from report_helpers import (
    BUYERS,
    EXHIBITOR_A,
    INTERPRETER,
    NOW,
    ORGANIZER,
    STAFF,
    build_report_data,
    by_key,
)
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql

from fair.errors import BadRequest, Forbidden, NotAuthenticated
from fair.fairs.errors import FairNotFound
from fair.i18n import use_language
from reports.service import Figures, Targets, conversion_report, meeting_statements


def fig(visits, booked, cancelled, held, no_show, follow_up, open_, contracts, yen, unconv, med):
    return Figures(
        visits=visits,
        booked=booked,
        cancelled=cancelled,
        held=held,
        no_show=no_show,
        follow_up=follow_up,
        open=open_,
        contracts=contracts,
        contract_value_jpy=Decimal(yen),
        unconverted_values=unconv,
        median_days_to_contract=med,
    )


# 15 booked (m4, m17 cancelled; m10 never confirmed), 9 held, 4 no-shows (m6 too short is
# neither), 7 follow-ups (m3 came back from a contract), m3 and m9 open, 6 contracts.
# Yen: 1,000,000 (m1) + 10,000 × 140.123456 (m2) + 200,000,000 × 0.0061 (m7)
#      + 2,000.55 × 140.123456 (m12) + 350,000 (m14) = 4,251,558.5399008 → 4,251,559;
# m8's EUR has no rate. Days: 10, 20, 7, 12, 14, 4 → median (10 + 12) / 2 = 11.
TOTAL = fig(12, 15, 2, 9, 4, 7, 2, 6, 4251559, 1, 11.0)

BY_FAIR = {
    "2025-11": fig(2, 2, 1, 0, 1, 0, 0, 0, 0, 0, None),
    # m1–m10: 3,621,234.56 yen; days 7, 10, 12, 20.
    "2026-03": fig(6, 8, 1, 6, 1, 5, 2, 4, 3621235, 1, 11.0),
    # m11–m15: 630,323.9799008 yen; days 4, 14.
    "2026-05": fig(4, 5, 0, 3, 2, 2, 0, 2, 630324, 0, 9.0),
}
FAIR_TITLES = {
    "2025-11": "November Fair 2025",
    "2026-03": "March Fair 2026",
    "2026-05": "May Fair 2026",
}

# Japan dates: m2 and m8 start on 03-31 at 23:30 UTC, so they are April meetings.
BY_MONTH = {
    "2025-11": fig(2, 2, 1, 0, 1, 0, 0, 0, 0, 0, None),
    "2026-03": fig(5, 5, 1, 4, 0, 3, 2, 2, 2220000, 0, 8.5),
    "2026-04": fig(1, 3, 0, 2, 1, 2, 0, 2, 1401235, 1, 16.0),
    "2026-05": fig(4, 5, 0, 3, 2, 2, 0, 2, 630324, 0, 9.0),
}

BY_BOOTH = {
    "A1": fig(4, 5, 1, 3, 1, 3, 1, 2, 2401235, 0, 15.0),
    "B1": fig(2, 3, 0, 3, 0, 2, 1, 2, 1220000, 1, 9.5),
    "A2": fig(3, 3, 0, 2, 1, 1, 0, 1, 280324, 0, 14.0),
    "B2": fig(1, 2, 0, 1, 1, 1, 0, 1, 350000, 0, 4.0),
    "C3": fig(2, 2, 1, 0, 1, 0, 0, 0, 0, 0, None),
}
BOOTH_LABELS = {
    "A1": "Tsubame Migaki Kogyo",
    "A2": "Tsubame Migaki Kogyo",
    "B1": "Kyoto Toubou Ceramics",
    "B2": "Kyoto Toubou Ceramics",
    "C3": "Hokkaido Foods",
}

# Each booth's meetings count under each of its categories: 22 bookings in all, not 15.
BY_CATEGORY = {
    "ceramics": fig(3, 5, 0, 4, 1, 3, 1, 3, 1570000, 1, 7.0),  # B1 + B2
    "cutlery_tools": fig(4, 5, 1, 3, 1, 3, 1, 2, 2401235, 0, 15.0),  # A1
    "food_beverage": fig(1, 2, 0, 1, 1, 1, 0, 1, 350000, 0, 4.0),  # B2
    "metal_parts": fig(7, 8, 1, 5, 2, 4, 1, 3, 2681559, 0, 14.0),  # A1 + A2
    "none": fig(2, 2, 1, 0, 1, 0, 0, 0, 0, 0, None),  # C3
}
CATEGORY_LABELS = {
    "ceramics": "Ceramics & Porcelain",
    "cutlery_tools": "Cutlery & Hand Tools",
    "food_beverage": "Food & Beverages",
    "metal_parts": "Metal Parts & Metalworking",
    "none": "No category",
}

BY_COUNTRY = {
    "CN": fig(None, 5, 1, 3, 1, 2, 0, 2, 1000000, 1, 11.0),  # m1 m6 m8 m11 m15 m17
    "TW": fig(None, 4, 0, 3, 0, 2, 2, 1, 350000, 0, 4.0),  # m3 m9 m14 m18
    "US": fig(None, 2, 1, 0, 2, 0, 0, 0, 0, 0, None),  # m4 m5 m10 m13: nothing held
    "VN": fig(None, 4, 0, 3, 1, 3, 0, 3, 2901559, 0, 14.0),  # m2 m7 m12 m16
}
COUNTRY_LABELS = {"CN": "China", "TW": "Taiwan", "US": "United States", "VN": "Vietnam"}

# The buyer's UI language: the Taiwanese buyer reads English, like the American one.
BY_LANGUAGE = {
    "en": fig(None, 6, 1, 3, 2, 2, 2, 1, 350000, 0, 4.0),
    "vi": BY_COUNTRY["VN"],
    "zh_Hans": BY_COUNTRY["CN"],
}
LANGUAGE_LABELS = {"en": "English", "vi": "Vietnamese", "zh_Hans": "Chinese (Simplified)"}

BY_INTERPRETER = {
    "none": fig(None, 10, 2, 5, 3, 4, 2, 3, 630324, 1, 12.0),
    "vi": fig(None, 3, 0, 2, 1, 2, 0, 2, 2621235, 0, 13.5),  # m2 m7 m16
    "zh_Hans": fig(None, 2, 0, 2, 0, 1, 0, 1, 1000000, 0, 10.0),  # m1 m11
}
INTERPRETER_LABELS = {
    "none": "No interpreter",
    "vi": "Vietnamese",
    "zh_Hans": "Chinese (Simplified)",
}

# 2026: the March and May fairs held 9 meetings, 6 of them contracts.
TARGETS_2026 = Targets(
    year=2026, fairs_this_year=2, meetings_this_year=9, conversion_this_year=6 / 9
)


@pytest.fixture
async def data(session):
    return await build_report_data(session)


async def report(session, actor, **kwargs):
    kwargs.setdefault("now", NOW)
    try:
        with use_language("en"):
            return await conversion_report(session, actor=actor, **kwargs)
    finally:
        # End the read transaction (SQLite's BEGIN IMMEDIATE holds the write lock); a
        # commit keeps the data set's objects loaded, where a rollback would expire them.
        await session.commit()


# --- the service --------------------------------------------------------------------


async def test_totals_by_fair_and_the_trend(session, data):
    result = await report(session, data.users["staff"])
    assert result.total == TOTAL
    assert result.total.conversion_rate == pytest.approx(6 / 9)
    assert result.total.visit_to_booking == pytest.approx(15 / 12)
    assert result.total.booking_to_held == pytest.approx(9 / 15)
    assert result.booth_ids is None
    assert (result.group_by, result.fair_slug, result.start, result.end) == (
        "fair",
        None,
        None,
        None,
    )
    # Fairs in date order, not by slug or title.
    assert [g.key for g in result.groups] == ["2025-11", "2026-03", "2026-05"]
    assert {g.key: g.figures for g in result.groups} == BY_FAIR
    assert {g.key: g.label for g in result.groups} == FAIR_TITLES
    # Nothing held in November: the rate is undefined, not zero.
    november = by_key(result.groups)["2025-11"].figures
    assert november.conversion_rate is None
    assert november.median_days_to_contract is None
    assert by_key(result.groups)["2026-03"].figures.conversion_rate == pytest.approx(4 / 6)
    assert by_key(result.groups)["2026-05"].figures.conversion_rate == pytest.approx(2 / 3)

    assert [(t.fair_slug, t.fair_title, t.starts_on) for t in result.trend] == [
        ("2025-11", "November Fair 2025", date(2025, 11, 10)),
        ("2026-03", "March Fair 2026", date(2026, 3, 30)),
        ("2026-05", "May Fair 2026", date(2026, 5, 18)),
    ]
    assert [t.figures for t in result.trend] == list(BY_FAIR.values())
    assert result.targets == TARGETS_2026
    assert (result.targets.conversion_rate, result.targets.fairs_per_year) == (0.30, 12)
    assert result.targets.meetings_per_year == 500


async def test_by_month_uses_the_date_in_japan(session, data):
    result = await report(session, data.users["organizer"], group_by="month")
    assert [g.key for g in result.groups] == list(BY_MONTH)
    assert {g.key: g.figures for g in result.groups} == BY_MONTH
    assert {g.key: g.label for g in result.groups} == {k: k for k in BY_MONTH}
    assert result.total == TOTAL
    assert [t.figures for t in result.trend] == list(BY_FAIR.values())
    assert by_key(result.groups)["2026-04"].figures.conversion_rate == 1.0


async def test_by_booth(session, data):
    result = await report(session, data.users["staff"], group_by="booth")
    ids = {name: booth.id for name, booth in data.booths.items()}
    assert [g.key for g in result.groups] == sorted(ids.values())
    assert {g.key: g.figures for g in result.groups} == {ids[n]: f for n, f in BY_BOOTH.items()}
    assert {g.key: g.label for g in result.groups} == {
        ids[n]: label for n, label in BOOTH_LABELS.items()
    }
    assert result.total == TOTAL


async def test_by_category_counts_a_meeting_under_each_category(session, data):
    result = await report(session, data.users["staff"], group_by="category")
    assert [g.key for g in result.groups] == list(BY_CATEGORY)
    assert {g.key: g.figures for g in result.groups} == BY_CATEGORY
    assert {g.key: g.label for g in result.groups} == CATEGORY_LABELS
    assert sum(g.figures.booked for g in result.groups) == 22
    # The total and the trend count each meeting once.
    assert result.total == TOTAL
    assert [t.figures for t in result.trend] == list(BY_FAIR.values())


async def test_by_buyer_country_language_and_interpreter(session, data):
    for group_by, expected, labels in (
        ("buyer_country", BY_COUNTRY, COUNTRY_LABELS),
        ("language", BY_LANGUAGE, LANGUAGE_LABELS),
        ("interpreter", BY_INTERPRETER, INTERPRETER_LABELS),
    ):
        result = await report(session, data.users["staff"], group_by=group_by)
        assert [g.key for g in result.groups] == list(expected), group_by
        assert {g.key: g.figures for g in result.groups} == expected, group_by
        assert {g.key: g.label for g in result.groups} == labels, group_by
        # Visits cannot be told apart by buyer: the groups have none, the total has all.
        assert all(g.figures.visit_to_booking is None for g in result.groups)
        assert result.total == TOTAL, group_by
        assert [t.figures for t in result.trend] == list(BY_FAIR.values()), group_by
    us = by_key((await report(session, data.users["staff"], group_by="buyer_country")).groups)
    assert us["US"].figures.conversion_rate is None
    assert us["US"].figures.booking_to_held == 0.0


async def test_from_to_filter_on_the_japan_date(session, data):
    staff = data.users["staff"]
    # m2 and m8 start on 31 March UTC but on 1 April in Japan: they are April's, with m5.
    april = await report(session, staff, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert april.total == fig(1, 3, 0, 2, 1, 2, 0, 2, 1401235, 1, 16.0)
    assert [g.key for g in april.groups] == ["2026-03"]
    assert april.groups[0].figures == april.total
    assert [t.fair_slug for t in april.trend] == ["2026-03"]
    assert (april.start, april.end) == (date(2026, 4, 1), date(2026, 4, 30))
    # The window does not cover 2026: the year's actuals are counted apart, the same.
    assert april.targets == TARGETS_2026

    # Both ends inclusive; visits on 29 March fall outside.
    two_days = await report(session, staff, start=date(2026, 3, 30), end=date(2026, 3, 31))
    assert two_days.total == fig(3, 5, 1, 4, 0, 3, 2, 2, 2220000, 0, 8.5)

    # A window around the whole year: the year's actuals come with the main statement.
    year = await report(session, staff, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert year.total == fig(10, 13, 1, 9, 3, 7, 2, 6, 4251559, 1, 11.0)
    assert year.targets == TARGETS_2026

    only_start = await report(session, staff, start=date(2026, 5, 1))
    assert only_start.total == BY_FAIR["2026-05"]
    only_end = await report(session, staff, end=date(2025, 12, 31))
    assert only_end.total == BY_FAIR["2025-11"]


async def test_one_fair(session, data):
    result = await report(session, data.users["staff"], fair_slug="2026-05", group_by="booth")
    assert result.fair_slug == "2026-05"
    assert result.total == BY_FAIR["2026-05"]
    ids = {name: booth.id for name, booth in data.booths.items()}
    assert {g.key: g.figures for g in result.groups} == {
        ids["A2"]: BY_BOOTH["A2"],
        ids["B2"]: BY_BOOTH["B2"],
    }
    assert [t.fair_slug for t in result.trend] == ["2026-05"]
    assert result.targets == TARGETS_2026


async def test_an_exhibitor_sees_only_their_own_booths(session, data):
    kenji = data.users["A"]
    a1, a2 = data.booths["A1"].id, data.booths["A2"].id
    result = await report(session, kenji)
    assert result.booth_ids == tuple(sorted((a1, a2)))
    # A1 + A2: days 10, 20, 14; 2,401,234.56 + 280,323.9799008 yen.
    assert result.total == fig(7, 8, 1, 5, 2, 4, 1, 3, 2681559, 0, 14.0)
    assert {g.key: g.figures for g in result.groups} == {
        "2026-03": BY_BOOTH["A1"],
        "2026-05": BY_BOOTH["A2"],
    }
    assert [t.fair_slug for t in result.trend] == ["2026-03", "2026-05"]
    assert result.targets == Targets(
        year=2026, fairs_this_year=2, meetings_this_year=5, conversion_this_year=3 / 5
    )

    in_may = await report(session, kenji, fair_slug="2026-05", group_by="booth")
    assert in_may.booth_ids == (a2,)
    assert [(g.key, g.figures) for g in in_may.groups] == [(a2, BY_BOOTH["A2"])]

    # An exhibitor without a booth in scope gets an empty report, not everything.
    aki = await report(session, data.users["C"], fair_slug="2026-03")
    assert aki.booth_ids == ()
    assert aki.total == fig(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None)
    assert aki.groups == [] and aki.trend == []


async def test_who_may_not_see_it(session, data):
    for who in ("CN", "interpreter"):
        with pytest.raises(Forbidden):
            await report(session, data.users[who])
    with pytest.raises(NotAuthenticated):
        await report(session, None)


async def test_bad_arguments(session, data):
    staff = data.users["staff"]
    with pytest.raises(BadRequest) as unknown:
        await report(session, staff, group_by="industry")
    assert unknown.value.field == "group_by"
    with pytest.raises(BadRequest):
        await report(session, staff, start=date(2026, 5, 2), end=date(2026, 5, 1))
    with pytest.raises(FairNotFound):
        await report(session, staff, fair_slug="2099-01")


async def test_labels_follow_the_language(session, data):
    with use_language("ja"):
        result = await conversion_report(
            session, actor=data.users["staff"], group_by="category", now=NOW
        )
        by_fair = await conversion_report(session, actor=data.users["staff"], now=NOW)
    await session.commit()
    labels = {g.key: g.label for g in result.groups}
    assert labels["ceramics"] == "陶磁器"
    assert labels["metal_parts"] == "金属部品・金属加工"
    # A title without Japanese falls back to English.
    assert [g.label for g in by_fair.groups] == [
        "November Fair 2025",
        "2026年3月展示会",
        "May Fair 2026",
    ]


def test_the_statements_for_review():
    counts, medians, visits = meeting_statements("postgresql", group_by="fair", booths=True)
    sql = str(counts.compile(dialect=postgresql.dialect()))
    # The counts come from the cells the triggers keep, never from the meetings.
    assert "FROM report_cells" in sql and "FROM report_deltas" in sql
    assert "meetings" not in sql
    assert "FILTER (WHERE" in sql
    # The medians read the contracts once; the stage is the meeting's own copy.
    medians_sql = str(medians.compile(dialect=postgresql.dialect()))
    assert medians_sql.count("FROM meetings") == 1
    assert "meetings.attendance = %(attendance_1)s AND meetings.stage = %(stage_1)s" in medians_sql
    assert "timezone('Asia/Tokyo', meetings.starts_at)" in medians_sql
    assert "meeting_outcomes" not in medians_sql
    # Visits are added up from the daily counts, never counted row by row.
    visits_sql = str(visits.compile(dialect=postgresql.dialect()))
    assert "FROM booth_visit_days" in visits_sql
    assert "FROM visits" not in visits_sql


# --- the API --------------------------------------------------------------------------


async def test_api_as_staff(client, data):
    await login(client, STAFF)
    response = await client.get("/api/reports/conversion")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "all"
    assert (body["group_by"], body["fair"], body["from"], body["to"]) == ("fair", None, None, None)
    assert {k: body[k] for k in ("booked", "held", "no_show", "contracts", "cancelled")} == {
        "booked": 15,
        "held": 9,
        "no_show": 4,
        "contracts": 6,
        "cancelled": 2,
    }
    assert body["conversion_rate"] == pytest.approx(6 / 9)
    assert body["contract_value_jpy"] == 4251559
    assert body["unconverted_values"] == 1
    assert body["median_days_to_contract"] == 11.0
    assert (body["visits"], body["follow_up"], body["open"]) == (12, 7, 2)
    assert body["visit_to_booking"] == pytest.approx(1.25)
    assert body["booking_to_held"] == pytest.approx(0.6)
    groups = by_key(body["groups"])
    assert list(groups) == ["2025-11", "2026-03", "2026-05"]
    assert groups["2025-11"]["conversion_rate"] is None
    assert groups["2025-11"]["held"] == 0
    assert groups["2026-03"] == {
        "key": "2026-03",
        "label": "March Fair 2026",
        "booked": 8,
        "held": 6,
        "no_show": 1,
        "contracts": 4,
        "conversion_rate": pytest.approx(4 / 6),
        "cancelled": 1,
        "visits": 6,
        "follow_up": 5,
        "open": 2,
        "visit_to_booking": pytest.approx(8 / 6),
        "booking_to_held": pytest.approx(6 / 8),
        "median_days_to_contract": 11.0,
        "contract_value_jpy": 3621235,
        "unconverted_values": 1,
    }
    assert [(t["fair"], t["title"], t["starts_on"]) for t in body["trend"]] == [
        ("2025-11", "November Fair 2025", "2025-11-10"),
        ("2026-03", "March Fair 2026", "2026-03-30"),
        ("2026-05", "May Fair 2026", "2026-05-18"),
    ]
    assert [t["contracts"] for t in body["trend"]] == [0, 4, 2]
    assert set(body["targets"]) == {
        "conversion_rate",
        "fairs_per_year",
        "meetings_per_year",
        "year",
        "fairs_this_year",
        "meetings_this_year",
        "conversion_this_year",
    }
    assert body["targets"]["conversion_rate"] == 0.3


async def test_api_as_organizer_in_japanese_by_month(client, data):
    await login(client, ORGANIZER)  # the organizer reads Japanese
    response = await client.get(
        "/api/reports/conversion",
        params={"group_by": "month", "from": "2026-03-30", "to": "2026-04-01", "fair": ""},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["fair"]) == ("2026-03-30", "2026-04-01", None)
    groups = by_key(body["groups"])
    assert list(groups) == ["2026-03", "2026-04"]
    assert (groups["2026-03"]["booked"], groups["2026-03"]["held"]) == (5, 4)
    assert (groups["2026-04"]["booked"], groups["2026-04"]["contracts"]) == (3, 2)
    assert groups["2026-04"]["contract_value_jpy"] == 1401235
    assert groups["2026-04"]["median_days_to_contract"] == 16.0
    # Visits of 30 March to 1 April: A1 twice, B1 twice.
    assert (groups["2026-03"]["visits"], groups["2026-04"]["visits"]) == (3, 1)
    assert [t["title"] for t in body["trend"]] == ["2026年3月展示会"]


async def test_api_as_exhibitor(client, data):
    await login(client, EXHIBITOR_A)
    response = await client.get("/api/reports/conversion", params={"group_by": "category"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "own_booths"
    assert (body["booked"], body["held"], body["contracts"]) == (8, 5, 3)
    assert body["contract_value_jpy"] == 2681559
    groups = by_key(body["groups"])
    # A1 is metal parts and cutlery; A2 metal parts: Kyoto's ceramics stay out of sight.
    assert list(groups) == ["cutlery_tools", "metal_parts"]
    assert (groups["metal_parts"]["booked"], groups["metal_parts"]["visits"]) == (8, 7)
    assert (groups["cutlery_tools"]["held"], groups["cutlery_tools"]["contracts"]) == (3, 2)


async def test_api_refuses_buyers_interpreters_and_strangers(client, data):
    response = await client.get("/api/reports/conversion")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    # Bad parameters do not get a stranger further.
    response = await client.get("/api/reports/conversion", params={"group_by": "nope"})
    assert response.status_code == 401
    for email in (BUYERS["VN"][0], INTERPRETER):
        await login(client, email)
        response = await client.get("/api/reports/conversion")
        assert response.status_code == 403, email
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"group_by": "industry"}, 422, "group_by"),
        ({"from": "2026-13-01"}, 422, "from"),
        ({"from": "yesterday"}, 422, "from"),
        ({"to": "1700000000"}, 422, "to"),
        ({"to": "2026-05-01T00:00:00"}, 422, "to"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, 400, "from"),
        ({"fair": "2099-01"}, 404, None),
        ({"fair": "x" * 200}, 422, "fair"),
    ],
)
async def test_api_bad_input(client, data, params, status, field):
    await login(client, STAFF)
    response = await client.get("/api/reports/conversion", params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert field in error["fields"]


async def test_api_ignores_other_parameters(client, data):
    await login(client, STAFF)
    response = await client.get(
        "/api/reports/conversion", params={"lang": "vi", "group_by": "interpreter"}
    )
    assert response.status_code == 200, response.text
    assert [g["key"] for g in response.json()["groups"]] == ["none", "vi", "zh_Hans"]
    assert all(g["visits"] is None for g in response.json()["groups"])


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_planner_settings_apply_to_the_report_alone(engine, session, data):
    sent: list[str] = []

    def capture(conn, cursor, statement, *_):
        sent.append(statement)

    settings = text("SELECT current_setting('jit'), current_setting('work_mem')")
    before = (await session.execute(settings)).one()
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await conversion_report(session, actor=data.users["staff"], group_by="booth", now=NOW)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert any("set_config('work_mem', '64MB'" in s and "'jit', 'off'" in s for s in sent)
    # The same transaction goes on with the settings it had.
    assert (await session.execute(settings)).one() == before
    await session.commit()
