"""The report as files: the CSV read back with the csv module, the XLSX read back from its
sheet XML (zipfile + ElementTree), field by field against a hand-built report."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from fair import i18n
from reports import export
from reports.service import Figures, Group, MatchingSuccess, Report, Targets, Trend

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def figures(**overrides: object) -> Figures:
    values: dict[str, object] = {
        "visits": 0,
        "booked": 0,
        "cancelled": 0,
        "held": 0,
        "no_show": 0,
        "follow_up": 0,
        "open": 0,
        "contracts": 0,
        "contract_value_jpy": Decimal(0),
        "unconverted_values": 0,
        "median_days_to_contract": None,
    }
    values.update(overrides)
    return Figures(**values)  # type: ignore[arg-type]


KITCHEN = figures(
    visits=120,
    booked=12,
    cancelled=2,
    held=9,
    no_show=1,
    follow_up=5,
    open=4,
    contracts=3,
    contract_value_jpy=Decimal(1_250_000),
    unconverted_values=1,
    median_days_to_contract=12.5,
)
# A booth whose name a spreadsheet would run as a formula, with nothing held yet.
FORMULA = figures(visits=None, booked=2, cancelled=1)
# The kitchen booth's figures plus the other booth's bookings and 30 visits of its own.
TOTAL = replace(KITCHEN, visits=150, booked=14, cancelled=3)


def report(**overrides: object) -> Report:
    values: dict[str, object] = {
        "group_by": "booth",
        "fair_slug": "2027-06",
        "start": date(2027, 6, 1),
        "end": date(2027, 6, 30),
        "booth_ids": None,
        "total": TOTAL,
        "groups": [
            Group("b1", "燕研磨 Tsubame Polishing", KITCHEN),
            Group("b2", '=HYPERLINK("http://evil")', FORMULA),
        ],
        "trend": [
            Trend("2027-05", "Kitchen May 2027", date(2027, 5, 18), figures(booked=1)),
            Trend("2027-06", "Kitchen June 2027", date(2027, 6, 15), TOTAL),
        ],
        "targets": Targets(
            year=2027, fairs_this_year=5, meetings_this_year=210, conversion_this_year=0.25
        ),
    }
    values.update(overrides)
    return Report(**values)  # type: ignore[arg-type]


# ---------- CSV ----------


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text[1:], newline=""))
    assert tuple(reader.fieldnames or ()) == export.CSV_COLUMNS
    return list(reader)


def test_csv_one_row_per_group_and_a_total_with_machine_values() -> None:
    text = export.to_csv(report())
    assert "\r\n" in text
    kitchen, formula, total = read_csv(text)
    assert kitchen == {
        "key": "b1",
        "label": "燕研磨 Tsubame Polishing",
        "visits": "120",
        "booked": "12",
        "cancelled": "2",
        "held": "9",
        "no_show": "1",
        "follow_up": "5",
        "open": "4",
        "contracts": "3",
        "conversion_rate": "0.333333",
        "contract_value_jpy": "1250000",
        "median_days_to_contract": "12.5",
        "unconverted_values": "1",
    }
    assert float(kitchen["conversion_rate"]) == pytest.approx(3 / 9, abs=1e-6)
    # Undefined is empty, never 0; visits not attributable are empty too.
    assert formula["conversion_rate"] == ""
    assert formula["visits"] == ""
    assert formula["median_days_to_contract"] == ""
    assert formula["contract_value_jpy"] == "0"
    # A label starting with "=" is kept as text.
    assert formula["label"] == '\'=HYPERLINK("http://evil")'
    assert total["key"] == "total"
    assert total["label"] == "Total"
    assert (total["visits"], total["booked"], total["held"]) == ("150", "14", "9")


# OWASP's CSV injection cases: a formula at the start, after a separator a spreadsheet may
# split at (comma, semicolon, tab, line break), after leading tab, CR or spaces, and in
# full-width forms.
INJECTIONS = {
    '=HYPERLINK("http://evil")': '\'=HYPERLINK("http://evil")',
    "Kyoto Kiln,=cmd|' /C calc'!A0": "Kyoto Kiln,'=cmd|' /C calc'!A0",
    "Osaka;+1+1": "Osaka;'+1+1",
    "Nagoya\t-2+3": "Nagoya\t'-2+3",
    "Kobe\r\n@SUM(A1)": "Kobe\r\n'@SUM(A1)",
    "Sendai, =1+1": "Sendai, '=1+1",
    'Sapporo,"=1+1': "Sapporo,\"'=1+1",
    "\t=1+1": "'\t'=1+1",
    "\r=1+1": "'\r'=1+1",
    "  =1+1": "'  =1+1",
    "\uff1d1+1": "'\uff1d1+1",
    "Fukuoka 2027-06": "Fukuoka 2027-06",
    "Naha (+81)": "Naha (+81)",
}


def test_csv_quotes_every_text_cell_and_guards_formulas_after_separators() -> None:
    groups = [Group(f"k{n}", label, FORMULA) for n, label in enumerate(INJECTIONS)]
    text = export.to_csv(report(groups=groups))
    rows = read_csv(text)
    assert [row["label"] for row in rows[:-1]] == list(INJECTIONS.values())
    # Every key and label is quoted in the file itself; figures are bare numbers.
    for row in rows[:-1]:
        quoted_label = '"' + row["label"].replace('"', '""') + '"'
        assert f'\r\n"{row["key"]}",{quoted_label},,2,1,0,0,0,0,0,,0,,0\r\n' in text, row
    # No cell, and no piece of one split at any separator, starts a formula.
    for row in rows:
        for cell in (row["key"], row["label"]):
            for piece in re.split(r"[,;\t\r\n|]", cell):
                start = piece.lstrip(' "')[:1]
                assert not start or start not in "=+-@\uff1d\uff0b\uff0d\uff20", (cell, piece)


def test_csv_bytes_are_utf8_with_bom_for_excel() -> None:
    raw = export.to_csv(report()).encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "燕研磨".encode() in raw


def test_csv_headers_stay_english_in_every_language() -> None:
    with i18n.use_language("ja"):
        text = export.to_csv(report())
    assert text[1:].splitlines()[0] == ",".join(export.CSV_COLUMNS)


def test_csv_of_an_empty_report_is_the_total_only() -> None:
    rows = read_csv(export.to_csv(report(groups=[], total=figures())))
    assert [r["key"] for r in rows] == ["total"]
    assert rows[0]["conversion_rate"] == ""


# ---------- XLSX ----------


class Workbook:
    """Just enough of an .xlsx reader: sheets by name, cell values and number formats."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        shared = self.xml("xl/sharedStrings.xml")
        self.strings = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
            for si in shared.findall("x:si", NS)
        ]
        book = self.xml("xl/workbook.xml")
        rels = self.xml("xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target") for r in rels}
        self.sheets = {
            s.get("name"): "xl/" + targets[s.get(REL)].lstrip("/").removeprefix("xl/")
            for s in book.find("x:sheets", NS)
        }
        styles = self.xml("xl/styles.xml")
        codes = {
            int(f.get("numFmtId")): f.get("formatCode")
            for f in styles.findall("x:numFmts/x:numFmt", NS)
        }
        self.formats = [
            codes.get(int(xf.get("numFmtId", "0")), "General")
            for xf in styles.findall("x:cellXfs/x:xf", NS)
        ]

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.zip.read(name))  # noqa: S314 (our own workbook)

    def cells(self, sheet: str) -> dict[str, tuple[object, str]]:
        """``{"B3": (value, number format)}``; strings as str, numbers as float."""
        out: dict[str, tuple[object, str]] = {}
        for cell in self.xml(self.sheets[sheet]).iter(f"{{{NS['x']}}}c"):
            value_el = cell.find("x:v", NS)
            if value_el is None:
                continue
            raw = value_el.text or ""
            value: object = self.strings[int(raw)] if cell.get("t") == "s" else float(raw)
            out[cell.get("r")] = (value, self.formats[int(cell.get("s", "0"))])
        return out


def row_of(cells: dict[str, tuple[object, str]], label: str) -> int:
    [ref] = [ref for ref, (value, _fmt) in cells.items() if value == label and ref[0] == "A"]
    return int(re.sub(r"\D", "", ref))


def test_xlsx_report_sheet_has_filters_groups_formats_and_total() -> None:
    book = Workbook(export.to_xlsx(report(), fair_title="Kitchen June 2027"))
    assert list(book.sheets) == ["Report", "Trend", "Definitions"]
    cells = book.cells("Report")
    value = {ref: v for ref, (v, _f) in cells.items()}
    fmt = {ref: f for ref, (_v, f) in cells.items()}
    assert value["A1"] == "Conversion report"
    assert (value["A2"], value["B2"]) == ("Fair", "Kitchen June 2027 (2027-06)")
    assert (value["A3"], value["B3"]) == ("Start date", "Jun 1, 2027")
    assert (value["A4"], value["B4"]) == ("End date", "Jun 30, 2027")
    assert (value["A5"], value["B5"]) == ("Grouped by", "Booth")
    head = row_of(cells, "Booth")
    headings = [value[f"{col}{head}"] for col in "ABCDEFGHIJKLM"]
    assert headings == [
        "Booth",
        "Booth visits",
        "Booked",
        "Cancelled",
        "Held",
        "No-show",
        "Follow-up",
        "Still open",
        "Contracts",
        "Conversion",
        "Contract value (JPY)",
        "Median days to contract",
        "Values without an exchange rate",
    ]
    k = head + 1
    assert [value[f"{c}{k}"] for c in "ABCDEFGHIJKLM"] == [
        "燕研磨 Tsubame Polishing",
        120,
        12,
        2,
        9,
        1,
        5,
        4,
        3,
        pytest.approx(1 / 3),
        1_250_000,
        12.5,
        1,
    ]
    assert fmt[f"J{k}"] == "0.0%"
    assert fmt[f"K{k}"] == '"¥"#,##0'
    assert fmt[f"B{k}"] == "#,##0"
    f = k + 1
    # A formula-looking label stays a string; undefined figures are "–", never 0.
    assert value[f"A{f}"] == '=HYPERLINK("http://evil")'
    assert (value[f"B{f}"], value[f"J{f}"], value[f"L{f}"]) == ("–", "–", "–")
    t = f + 1
    assert value[f"A{t}"] == "Total"
    assert (value[f"B{t}"], value[f"E{t}"], value[f"I{t}"]) == (150, 9, 3)
    assert value[f"J{t}"] == pytest.approx(1 / 3)
    assert fmt[f"J{t}"] == "0.0%"
    for ref in book.xml(book.sheets["Report"]).iter(f"{{{NS['x']}}}f"):
        pytest.fail(f"no formulas expected, found {ref.text}")


def test_xlsx_targets_block() -> None:
    cells = Workbook(export.to_xlsx(report())).cells("Report")
    value = {ref: v for ref, (v, _f) in cells.items()}
    r = row_of(cells, "Conversion")
    assert (value[f"B{r}"], value[f"C{r}"]) == (pytest.approx(0.3), pytest.approx(0.25))
    r = row_of(cells, "Fairs a year")
    assert (value[f"B{r}"], value[f"C{r}"]) == (12, 5)
    r = row_of(cells, "Meetings held a year")
    assert (value[f"B{r}"], value[f"C{r}"]) == (500, 210)


def test_xlsx_partner_matching_block() -> None:
    data = export.to_xlsx(report(matching=MatchingSuccess(7, 4)))
    cells = Workbook(data).cells("Report")
    value = {ref: v for ref, (v, _f) in cells.items()}
    r = row_of(cells, "Partner-matching success in this selection")
    assert (value[f"A{r + 1}"], value[f"B{r + 1}"], value[f"C{r + 1}"]) == (
        "Measure",
        "Target",
        "In this selection",
    )
    r = row_of(cells, "Partner-matching success")
    assert (value[f"B{r}"], value[f"C{r}"]) == (pytest.approx(0.4), pytest.approx(4 / 7))
    assert cells[f"C{r}"][1] == "0.0%"
    assert value[f"C{row_of(cells, 'Held meetings from a match')}"] == 7
    assert value[f"C{row_of(cells, 'Contracts from a match')}"] == 4
    # Nothing held from a match: "–", never 0 %.
    cells = Workbook(export.to_xlsx(report())).cells("Report")
    assert cells[f"C{row_of(cells, 'Partner-matching success')}"][0] == "–"


def test_xlsx_trend_and_definitions() -> None:
    book = Workbook(export.to_xlsx(report()))
    trend = {ref: v for ref, (v, _f) in book.cells("Trend").items()}
    assert (trend["A1"], trend["B1"], trend["K1"]) == ("Fair", "Starts on", "Conversion")
    assert trend["A2"] == "Kitchen May 2027"
    assert trend["B2"] == 46525  # 2027-05-18 as an Excel serial day
    assert book.cells("Trend")["B2"][1] == "yyyy-mm-dd"
    assert (trend["D2"], trend["F2"]) == (1, 0)  # booked, held
    assert trend["K2"] == "–"  # nothing held in May
    assert trend["K3"] == pytest.approx(1 / 3)
    terms = {ref: v for ref, (v, _f) in book.cells("Definitions").items()}
    assert terms["A2"] == "Conversion"
    assert terms["B2"].startswith("Contracts ÷ held meetings")


def test_xlsx_speaks_the_current_language_and_says_whose_booths() -> None:
    with i18n.use_language("ja"):
        data = export.to_xlsx(report(booth_ids=("b1",), start=None, end=None, fair_slug=None))
    cells = {ref: v for ref, (v, _f) in Workbook(data).cells("Report").items()}
    # "Booth visits" is translated already; the new headings follow with the catalog.
    assert "ブース訪問数" in cells.values()
    assert cells["B3"] == "–"  # no start date
    assert [
        v
        for k, v in cells.items()
        if k.startswith("A") and v == i18n.translations("ja").ugettext("Booths")
    ]
