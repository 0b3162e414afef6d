"""How meetings came about, in the conversion report: the ``source`` grouping and the
programme's partner-matching success rate, on ``report_helpers``' data set with these
sources given to its meetings (worked out by hand from its tables, never copied from
output):

    source        meetings              held (stage)                        not held
    self          m4 m6 m8 m14 m15 m17  m8 (contract EUR), m14 (contract)   m4 m17 cancelled,
                  m18                                                       m6 too short,
                                                                            m15 no-show, m18
    recommended   m1 m3 m5 m16          m1 (contract), m3 (follow_up)       m5 m16 no-shows
    invited       m2 m9 m11             m2 (contract), m9 (none), m11       -
                                        (no_deal)
    proposed      m7 m10 m12 m13        m7 (contract), m12 (contract)       m10 never
                                                                            confirmed, m13
                                                                            no-show

Partner-matching success: held from a match m1 m3 m2 m9 m11 m7 m12 = 7, of which
contracts m1 m2 m7 m12 = 4: 4 ÷ 7. The self-booked contracts m8 and m14 are not counted.

Figures are written as in test_conversion.py: ``fig(visits, booked, cancelled, held,
no_show, follow_up, open, contracts, contract JPY, unconverted values, median days)``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import asdict
from datetime import date
from decimal import Decimal

import pytest
from helpers import login
from report_helpers import EXHIBITOR_A, NOW, STAFF, add_outcomes, build_report_data
from sqlalchemy import text, update

from fair import i18n
from fair.i18n import use_language
from fair.migrate import downgrade, upgrade
from meetings.models import Meeting, MeetingSource, Stage
from reports import cells
from reports.export import CSV_COLUMNS
from reports.figures import Figures, MatchingSuccess
from reports.service import GROUPINGS, conversion_report

SOURCES = {
    MeetingSource.RECOMMENDED: ("m1", "m3", "m5", "m16"),
    MeetingSource.INVITED: ("m2", "m9", "m11"),
    MeetingSource.PROPOSED: ("m7", "m10", "m12", "m13"),
}  # every other meeting stays self-booked


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


# Visits cannot be told apart by source (a visit comes before any meeting): None.
BY_SOURCE = {
    # m8's euros have no rate; days to contract 12 (m8) and 4 (m14).
    "self": fig(None, 5, 2, 2, 1, 2, 0, 2, 350000, 1, 8.0),
    # m1: 1,000,000 yen after 10 days.
    "recommended": fig(None, 4, 0, 2, 2, 2, 1, 1, 1000000, 0, 10.0),
    # m2: 10,000 USD × 140.123456 = 1,401,234.56 after 20 days.
    "invited": fig(None, 3, 0, 3, 0, 1, 1, 1, 1401235, 0, 20.0),
    # m7: 200,000,000 VND × 0.0061 + m12: 2,000.55 USD × 140.123456 = 1,500,323.98;
    # days 7 and 14.
    "proposed": fig(None, 3, 0, 2, 1, 2, 0, 2, 1500324, 0, 10.5),
}
SOURCE_LABELS = {
    "self": "Self-booked",
    "recommended": "From a recommendation",
    "invited": "Invited by the exhibitor",
    "proposed": "Proposed by the organizer",
}
# The whole data set, as test_conversion.py's TOTAL: sources move nothing in it.
TOTAL = fig(12, 15, 2, 9, 4, 7, 2, 6, 4251559, 1, 11.0)


async def give_sources(session, data, sources=SOURCES) -> None:
    """Set the sources as the database sees a change (the triggers move the counts)."""
    for source, names in sources.items():
        ids = [data.meetings[name].id for name in names]
        await session.execute(update(Meeting).where(Meeting.id.in_(ids)).values(source=source))
    await session.commit()


@pytest.fixture
async def data(session):
    built = await build_report_data(session)
    await give_sources(session, built)
    return built


async def report(session, actor, **kwargs):
    kwargs.setdefault("now", NOW)
    try:
        with use_language("en"):
            return await conversion_report(session, actor=actor, **kwargs)
    finally:
        # End the read transaction (SQLite's BEGIN IMMEDIATE holds the write lock).
        await session.commit()


def groups_of(result) -> dict[str, Figures]:
    return {group.key: group.figures for group in result.groups}


def matching(held: int, contracts: int) -> MatchingSuccess:
    return MatchingSuccess(held_from_match=held, contracts_from_match=contracts)


# --- the service --------------------------------------------------------------------


async def test_grouped_by_source(session, data):
    result = await report(session, data.users["staff"], group_by="source")
    # In the order a meeting gets more guided, not alphabetically.
    assert [group.key for group in result.groups] == list(BY_SOURCE)
    assert groups_of(result) == BY_SOURCE
    assert {g.key: g.label for g in result.groups} == SOURCE_LABELS
    assert result.total == TOTAL
    assert result.matching == matching(7, 4)
    assert result.matching.rate == pytest.approx(4 / 7)
    assert result.matching.target == 0.4


async def test_labels_in_the_viewers_language(session, data):
    with use_language("ja"):
        result = await conversion_report(
            session, actor=data.users["staff"], group_by="source", now=NOW
        )
    await session.commit()
    japanese = i18n.translations("ja")
    assert {g.key: g.label for g in result.groups} == {
        key: japanese.ugettext(label) for key, label in SOURCE_LABELS.items()
    }
    assert result.groups[0].label != "Self-booked"  # translated


async def test_matching_success_follows_the_filters(session, data):
    staff = data.users["staff"]
    # March: m1 m2 m3 (A1) and m7 m9 (B1) held from a match; m1 m2 m7 contracts.
    assert (await report(session, staff, fair_slug="2026-03")).matching == matching(5, 3)
    # May: m11 m12 (A2); m14 is self-booked. m12 a contract.
    assert (await report(session, staff, fair_slug="2026-05")).matching == matching(2, 1)
    # November: nothing held, so no rate (never 0 %).
    november = await report(session, staff, fair_slug="2025-11")
    assert november.matching == matching(0, 0)
    assert november.matching.rate is None
    # Japan dates 03-30 and 03-31: m1 m3 m7 m9 (m2 is on 04-01 in Japan).
    window = await report(session, staff, start=date(2026, 3, 30), end=date(2026, 3, 31))
    assert window.matching == matching(4, 2)
    # The exhibitor of A1 and A2: m1 m2 m3 m11 m12 held from a match; m1 m2 m12 contracts.
    own = await report(session, data.users["A"], group_by="source")
    assert own.matching == matching(5, 3)
    assert own.matching.rate == pytest.approx(0.6)
    assert set(groups_of(own)) == {"self", "recommended", "invited", "proposed"}


async def test_every_other_grouping_is_unchanged_by_sources(session):
    built = await build_report_data(session)
    staff = built.users["staff"]
    before = {g: await report(session, staff, group_by=g) for g in GROUPINGS if g != "source"}
    await give_sources(session, built)
    for grouping, was in before.items():
        now = await report(session, staff, group_by=grouping)
        assert (now.total, now.groups, now.trend, now.targets) == (
            was.total,
            was.groups,
            was.trend,
            was.targets,
        ), grouping
    # With every meeting self-booked there was no match to count.
    assert before["fair"].matching == matching(0, 0)


async def test_a_stage_change_and_a_self_booked_contract(session, data):
    staff = data.users["staff"]
    # m7 (proposed) goes back from contract to a quote: 3 contracts of 7 from a match.
    await add_outcomes(session, data.meetings["m7"], (Stage.QUOTE, date(2026, 4, 20), None, None))
    await session.commit()
    result = await report(session, staff, group_by="source")
    assert result.matching == matching(7, 3)
    assert groups_of(result)["proposed"].contracts == 1
    # m8 (self-booked) loses its contract: the rate does not move, the self group does.
    await add_outcomes(session, data.meetings["m8"], (Stage.NO_DEAL, date(2026, 4, 20), None, None))
    await session.commit()
    result = await report(session, staff, group_by="source")
    assert result.matching == matching(7, 3)
    assert groups_of(result)["self"].contracts == 1
    assert result.total.contracts == 4


async def test_a_meeting_whose_source_changes_moves_before_and_after_a_fold(session, data):
    staff = data.users["staff"]
    # m14 (a self-booked contract of 350,000 yen) is put down as proposed by the organizer.
    await give_sources(session, data, {MeetingSource.PROPOSED: ("m14",)})
    result = await report(session, staff, group_by="source")
    assert result.matching == matching(8, 5)
    assert groups_of(result)["proposed"] == fig(None, 4, 0, 3, 1, 3, 0, 3, 1850324, 0, 7.0)
    assert groups_of(result)["self"] == fig(None, 4, 2, 1, 1, 1, 0, 1, 0, 1, 12.0)
    assert result.total == TOTAL
    assert await cells.fold(session) > 0
    assert await report(session, staff, group_by="source") == result


async def test_the_migration_refills_the_cells_with_the_sources(engine, session, data):
    """0022 makes the cells again from the meetings: down to 0021 (no sources in the cells)
    and up again, the report is the same."""
    staff = data.users["staff"]
    before = await report(session, staff, group_by="source")
    await session.close()
    await downgrade(engine, "0021proposals")
    try:
        # 0009's cells (this code reads 0022's): every meeting still counted, once.
        async with engine.connect() as connection:
            sums = await connection.execute(
                text(
                    "SELECT sum(booked), sum(held), sum(contracts) FROM (SELECT booked, held, "
                    "contracts FROM report_cells UNION ALL SELECT booked, held, contracts "
                    "FROM report_deltas) AS c"
                )
            )
            assert tuple(sums.one()) == (15, 9, 6)
    finally:
        await session.close()
        await upgrade(engine)
    assert await report(session, staff, group_by="source") == before


# --- the API, the page, the files ---------------------------------------------------


async def test_api_by_source_with_matching_success(client, data):
    await login(client, STAFF)
    response = await client.get("/api/reports/conversion", params={"group_by": "source"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == "source"
    assert [g["key"] for g in body["groups"]] == ["self", "recommended", "invited", "proposed"]
    invited = body["groups"][2]
    assert (invited["label"], invited["visits"], invited["held"], invited["contracts"]) == (
        "Invited by the exhibitor",
        None,
        3,
        1,
    )
    assert invited["conversion_rate"] == pytest.approx(1 / 3)
    assert body["matching_success"] == {
        "held_from_match": 7,
        "contracts_from_match": 4,
        "rate": pytest.approx(4 / 7),
        "target": 0.4,
    }
    # Beside the conversion figures, in the same scope: one fair.
    response = await client.get("/api/reports/conversion", params={"fair": "2026-05"})
    assert response.json()["matching_success"]["rate"] == 0.5


async def test_api_exhibitor_sees_their_own_booths(client, data):
    await login(client, EXHIBITOR_A)
    body = (await client.get("/api/reports/conversion?group_by=source")).json()
    assert body["scope"] == "own_booths"
    assert body["matching_success"]["held_from_match"] == 5
    assert body["matching_success"]["contracts_from_match"] == 3


async def test_api_unknown_grouping_names_source(client, data):
    await login(client, STAFF)
    response = await client.get("/api/reports/conversion", params={"group_by": "origin"})
    assert response.status_code == 422
    assert "source" in response.text


async def test_dashboard_shows_the_rate_beside_its_target(client, data, stopped_clock):
    stopped_clock.at(NOW)
    await login(client, STAFF)
    response = await client.get("/reports?group_by=source", headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    page = response.text
    assert '<option value="source" selected>Meeting source</option>' in page
    matching_section = page.split('id="matching-title"')[1].split("</section>")[0]
    assert "57.1%" in matching_section  # 4 ÷ 7
    assert "Target: 40%" in matching_section and "Target met" in matching_section
    assert ">7<" in matching_section and ">4<" in matching_section
    for label in SOURCE_LABELS.values():
        assert f'<th scope="row">{label}</th>' in page
    targets = page.split('id="targets-title"')[1].split("</section>")[0]
    assert "Partner-matching success: target 40%; 57.1% for the fair and dates" in targets


async def test_dashboard_without_a_rate_and_below_target(client, data, session):
    await login(client, STAFF)
    # November 2025 has nothing held: no rate, said in words.
    page = (await client.get("/reports?fair=2025-11", headers={"accept": "text/html"})).text
    section = page.split('id="matching-title"')[1].split("</section>")[0]
    assert "No held meetings from a match, so no rate" in section
    # m2 and m7 go back from contract to a quote: 1 contract (m1) of 5 in March.
    for name in ("m2", "m7"):
        await add_outcomes(
            session, data.meetings[name], (Stage.QUOTE, date(2026, 4, 22), None, None)
        )
    await session.commit()
    page = (await client.get("/reports?fair=2026-03", headers={"accept": "text/html"})).text
    section = page.split('id="matching-title"')[1].split("</section>")[0]
    assert "20%" in section and "Below target" in section
    assert "is-below" in section


async def test_csv_and_xlsx_by_source(client, data):
    await login(client, STAFF)
    response = await client.get("/reports/conversion.csv?group_by=source")
    assert response.status_code == 200, response.text
    assert (
        'filename="kakehashi-conversion-by-source.csv"' in response.headers["content-disposition"]
    )
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    rows = {r["key"]: r for r in reader}
    assert list(rows) == ["self", "recommended", "invited", "proposed", "total"]
    assert rows["proposed"]["label"] == "Proposed by the organizer"
    assert [rows["proposed"][c] for c in CSV_COLUMNS[2:]] == [
        "", "3", "0", "2", "1", "2", "0", "2", "1.0", "1500324", "10.5", "0",
    ]  # fmt: skip

    response = await client.get("/reports/conversion.xlsx?group_by=source")
    assert response.status_code == 200, response.text
    book = zipfile.ZipFile(io.BytesIO(response.content))
    strings = book.read("xl/sharedStrings.xml").decode()
    for label in (
        "Meeting source",
        "Invited by the exhibitor",
        "Partner-matching success in this selection",
        "Held meetings from a match",
    ):
        assert f">{label}<" in strings, label


def test_matching_success_as_json():
    assert asdict(matching(0, 0)) == {
        "held_from_match": 0,
        "contracts_from_match": 0,
        "target": 0.4,
    }
    assert matching(5, 2).rate == pytest.approx(0.4)
    assert matching(0, 0).rate is None
