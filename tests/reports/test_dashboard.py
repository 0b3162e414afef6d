"""The conversion dashboard (/reports) and its downloads, through the app, on the fixed
data set of ``report_helpers``: every figure asserted below is worked out by hand from the
tables in that module's docstring (see also test_conversion.py).

The whole programme: 12 booth visits, 15 booked, 9 held, 6 contracts → conversion 6 ÷ 9
= 66.7 %, visits → booking 15 ÷ 12 = 125 %, booking → held 9 ÷ 15 = 60 %; contract value
1,000,000 + 1,401,234.56 + 1,220,000 + 280,323.98 + 350,000 = ¥4,251,559 (m8's euros
have no rate: 1 value apart); days to contract 4, 7, 10, 12, 14, 20 → median 11.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape

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
)

from fair import i18n
from reports.export import CSV_COLUMNS

HTML = {"accept": "text/html"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def data(session, stopped_clock):
    # The targets are this year's: the data set's year is 2026.
    stopped_clock.at(NOW)
    built = await build_report_data(session)
    await session.commit()
    return built


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def tiles(page: str) -> dict[str, list[str]]:
    """The key figures: each tile's label → its value and notes, as plain text."""
    block = re.search(r'<dl class="stat-tiles report-tiles">(.*?)</dl>', page, re.S)
    assert block, "no key figures"
    found = {}
    for tile in re.findall(r"<div[^>]*>(.*?)</div>", block.group(1), re.S):
        label = text_of(re.search(r"<dt>(.*?)</dt>", tile, re.S).group(1))
        found[label] = [text_of(dd) for dd in re.findall(r"<dd[^>]*>(.*?)</dd>", tile, re.S)]
    return found


def row(page: str, label: str) -> list[str]:
    """The cells of the table row headed ``label`` (the first such row)."""
    match = re.search(
        rf'<tr><th scope="row">{re.escape(label)}</th>(.*?)</tr>', page, re.S
    ) or re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', page, re.S)
    assert match, f"no row {label!r}"
    return [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def tr(language: str, msgid: str) -> str:
    return i18n.translations(language).ugettext(msgid)


# ---------- who may see it ----------


async def test_strangers_sign_in_first(client, data) -> None:
    response = await client.get("/reports", headers=HTML)
    assert response.status_code == 401
    assert "Please sign in first." in response.text
    for path in ("/reports/conversion.csv", "/reports/conversion.xlsx?group_by=nope"):
        assert (await client.get(path)).status_code == 401, path


@pytest.mark.parametrize("email", [BUYERS["VN"][0], INTERPRETER])
async def test_buyers_and_interpreters_are_refused(client, data, email) -> None:
    await login(client, email)
    response = await client.get("/reports", headers=HTML)
    assert response.status_code == 403
    assert (await client.get("/reports/conversion.csv")).status_code == 403
    assert (await client.get("/reports/conversion.xlsx")).status_code == 403
    home = await client.get("/", headers=HTML)
    assert 'href="/reports"' not in home.text


# ---------- the dashboard ----------


async def test_organizer_sees_the_programme_in_japanese(client, data) -> None:
    await login(client, ORGANIZER)  # the organizer reads Japanese
    response = await client.get("/reports", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    assert '<html lang="ja">' in page
    assert 'href="/reports" aria-current="page"' in page

    figures = tiles(page)
    conversion, held, contracts, value, median, visit_booking, booking_held = figures.values()
    assert conversion[0] == "66.7%"
    assert "30%" in conversion[1]
    assert tr("ja", "Target met") in conversion[1]
    assert held == ["9", tr("ja", "of %(num)s booked") % {"num": "15"}]
    assert contracts == ["6"]
    # babel's Japanese yen sign is the full-width one.
    assert value == ["￥4,251,559", tr("ja", "+%(num)s without an exchange rate") % {"num": "1"}]
    assert median == ["11 日"]
    assert (visit_booking, booking_held) == (["125%"], ["60%"])

    # Three accessible charts: funnel, by fair, trend.
    assert page.count('role="img"') == 3
    assert page.count("<title id=") == page.count("<desc id=") == 3

    # By fair (the default): the Japanese title where there is one; nothing held in
    # November 2025, so its conversion is "–", never 0 %.
    march = row(page, "2026年3月展示会")
    assert march[:8] == ["6", "8", "1", "6", "1", "5", "2", "4"]
    assert march[8] == "66.7%"
    assert march[9].startswith("￥3,621,235")
    november = row(page, "November Fair 2025")
    assert november[:8] == ["2", "2", "1", "0", "1", "0", "0", "0"]
    assert november[8] == "– " + tr("ja", "No held meetings, so no conversion")
    # The trend table: dates in Japanese.
    assert "2026/03/30" in page and "2025/11/10" in page

    # The targets of 2026: 2 fairs and 9 meetings held, 6 ÷ 9 converted.
    assert re.search(r'id="targets-title">[^<]*2026', page)
    targets = re.search(
        r'<table class="data report-compact report-targets">(.*?)</table>', page, re.S
    )
    cells = [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", targets.group(1), re.S)]
    assert cells == [
        "30%",
        "66.7% " + tr("ja", "Target met"),
        "12",
        "2 " + tr("ja", "Not reached yet"),
        "500",
        "9 " + tr("ja", "Not reached yet"),
    ]
    # How the figures are counted, in the page's language.
    assert tr("ja", "How these figures are counted") in page
    assert tr("ja", "Booth visits") in page  # ブース訪問数: translated already


async def test_staff_in_vietnamese_by_buyer_country(client, data, session) -> None:
    data.users["staff"].locale = "vi"
    await session.commit()
    await login(client, STAFF)
    response = await client.get("/reports?group_by=buyer_country", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    figures = list(tiles(page).values())
    assert figures[0][0] == "66,7%"
    assert figures[3][0] == "4.251.559 ¥"
    assert figures[4] == ["11 ngày"]
    assert 'value="buyer_country" selected' in page
    # Vietnam's buyer: m2, m7, m12 held, all contracts; m16 a no-show. Visits cannot be
    # attributed to a buyer's country: "–", not 0.
    vietnam = row(page, i18n.Locale.parse("vi").territories["VN"])
    assert vietnam[0].startswith("–")
    assert vietnam[1:8] == ["4", "0", "3", "1", "3", "0", "3"]
    assert vietnam[8] == "100%"


async def test_exhibitor_sees_only_their_own_booths(client, data) -> None:
    await login(client, EXHIBITOR_A)
    response = await client.get("/reports?group_by=booth", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    assert "You see the figures of your own booths only." in page
    # A1 and A2: 8 booked, 5 held (m1, m2, m3, m11, m12), 3 contracts (m1, m2, m12).
    figures = list(tiles(page).values())
    assert figures[0][0] == "60%"
    assert "Target met" in figures[0][1]
    assert figures[1][0] == "5"
    assert figures[2] == ["3"]
    assert figures[3] == ["¥2,681,559"]  # 1,000,000 + 1,401,234.56 + 280,323.98
    assert "Tsubame Migaki Kogyo" in page
    assert "Kyoto Toubou" not in page and "Hokkaido Foods" not in page
    assert "Your booths' held meetings dated in 2026" in page


async def test_one_fair_between_two_dates(client, data) -> None:
    await login(client, STAFF)
    response = await client.get(
        "/reports?fair=2026-03&from=2026-03-31&to=2026-04-30&group_by=month", headers=HTML
    )
    assert response.status_code == 200, response.text
    page = response.text
    # 31 March (JST): m3, m6 booked, m3 held; 1 April (JST): m2, m5, m8 booked, m2, m8
    # held and both contracts.
    assert row(page, "2026-03")[1:4] == ["2", "0", "1"]
    assert row(page, "2026-04")[1:4] == ["3", "0", "2"]
    assert '<option value="2026-03" selected>' in page
    assert 'value="2026-03-31"' in page and 'value="2026-04-30"' in page
    # The download links carry the same filters.
    assert (
        'href="/reports/conversion.csv?fair=2026-03&amp;from=2026-03-31&amp;to=2026-04-30'
        '&amp;group_by=month"' in page
    )


async def test_an_empty_selection_explains_itself(client, data) -> None:
    await login(client, STAFF)
    response = await client.get("/reports?from=2024-01-01&to=2024-01-31", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    assert "No booth visits or meetings in this selection yet." in page
    assert "Nothing to group in this selection yet." in page
    assert "No fair in this selection yet." in page
    assert 'role="img"' not in page
    figures = list(tiles(page).values())
    assert figures[0][0] == "–"  # no conversion, never 0 %
    assert figures[1][0] == "0"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("from=yesterday", 422),
        ("group_by=weekday", 422),
        ("from=2026-05-02&to=2026-05-01", 400),
        ("fair=2099-01", 404),
    ],
)
async def test_bad_filters_get_an_error_page(client, data, query, status) -> None:
    await login(client, STAFF)
    response = await client.get(f"/reports?{query}", headers=HTML)
    assert response.status_code == status
    assert 'class="error-page"' in response.text


# ---------- downloads ----------


async def test_csv_download_of_one_fair_by_booth(client, data) -> None:
    await login(client, ORGANIZER)
    response = await client.get("/reports/conversion.csv?fair=2026-03&group_by=booth")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="kakehashi-conversion-2026-03-by-booth.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    rows = {r["label"] if r["key"] != "total" else "total": r for r in reader}
    assert set(rows) == {"燕ミガキ工業株式会社", "京都陶房", "total"}
    assert list(rows)[-1] == "total"
    a1, b1, total = rows["燕ミガキ工業株式会社"], rows["京都陶房"], rows["total"]
    # A1: m1–m6. m4 cancelled, m6 too short; m1, m2 contracts at 10 and 20 days.
    assert [a1[c] for c in CSV_COLUMNS[2:]] == [
        "4", "5", "1", "3", "1", "3", "1", "2", "0.666667", "2401235", "15.0", "0",
    ]  # fmt: skip
    # B1: m7–m10. m10 declined (never booked); m8's euros have no rate.
    assert [b1[c] for c in CSV_COLUMNS[2:]] == [
        "2", "3", "0", "3", "0", "2", "1", "2", "0.666667", "1220000", "9.5", "1",
    ]  # fmt: skip
    assert [total[c] for c in CSV_COLUMNS[2:]] == [
        "6", "8", "1", "6", "1", "5", "2", "4", "0.666667", "3621235", "11.0", "1",
    ]  # fmt: skip


async def test_xlsx_download_by_month(client, data) -> None:
    await login(client, STAFF)
    response = await client.get(
        "/reports/conversion.xlsx?from=2026-03-01&to=2026-04-30&group_by=month"
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="kakehashi-conversion-from-2026-03-01-to-2026-04-30-by-month.xlsx"'
    )
    book = zipfile.ZipFile(io.BytesIO(response.content))
    assert 'name="Report"' in book.read("xl/workbook.xml").decode()
    assert 'name="Definitions"' in book.read("xl/workbook.xml").decode()
    strings = book.read("xl/sharedStrings.xml").decode()
    for text in ("Conversion report", "2026-03", "2026-04", "Month"):
        assert f">{text}<" in strings, text


async def test_exhibitor_download_is_their_own(client, data) -> None:
    await login(client, EXHIBITOR_A)
    response = await client.get("/reports/conversion.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["key"] for r in rows] == ["2026-03", "2026-05", "total"]
    assert (rows[-1]["booked"], rows[-1]["held"], rows[-1]["contracts"]) == ("8", "5", "3")
