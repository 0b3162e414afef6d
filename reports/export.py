"""The conversion report as files: CSV for machines, XLSX for people.

The CSV has stable English column names (``key``, ``label``, ``visits`` …) and plain
numbers (rates as decimal fractions, empty when undefined), UTF-8 with a byte-order mark
so that Excel opens Japanese labels correctly. The XLSX speaks the current language: the
filters on top, the groups with number formats, the trend over the fairs and the
definitions of every figure.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import xlsxwriter

from fair import i18n
from fair.i18n import lazy
from reports.figures import EXPORTED, Figures, headings

if TYPE_CHECKING:
    from reports.service import Report

BOM = "\ufeff"
DASH = "\u2013"

CSV_COLUMNS: tuple[str, ...] = ("key", "label", *EXPORTED)
TOTAL_KEY = "total"

# How each grouping is named in the filter form, the page and the workbook.
GROUPING_LABELS: dict[str, str] = {
    "fair": lazy("Fair"),
    "month": lazy("Month"),
    "booth": lazy("Booth"),
    "category": lazy("Industry"),
    "buyer_country": lazy("Buyer country"),
    "language": lazy("Buyer language"),
    "interpreter": lazy("Interpreter"),
    "source": lazy("Meeting source"),
}

# The definitions of docs/features.md, in words a reader of the dashboard or the workbook
# can follow.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        lazy("Conversion"),
        lazy(
            "Contracts ÷ held meetings. When nothing was held it is undefined and shown as "
            "“–”, never as zero."
        ),
    ),
    (
        lazy("Booth visits"),
        lazy(
            "One signed-in buyer on one booth page on one day. Views by visitors who were not "
            "signed in are counted apart, outside the funnel; known bots are not counted."
        ),
    ),
    (
        lazy("Booked"),
        lazy(
            "Meetings that were confirmed and are not cancelled. A cancelled meeting counts "
            "only as cancelled, so a cancel and a rebooking count as one booking."
        ),
    ),
    (
        lazy("Cancelled"),
        lazy("Meetings that were confirmed and then cancelled by either side, or released."),
    ),
    (
        lazy("Held"),
        lazy(
            "Meetings where both sides were in the room together long enough, or that an "
            "organizer settled as held."
        ),
    ),
    (lazy("No-show"), lazy("Meetings that one side or both missed. They never count as held.")),
    (
        lazy("Follow-up"),
        lazy("Held meetings whose latest outcome is follow-up, sample sent, quote or contract."),
    ),
    (
        lazy("Still open"),
        lazy(
            "Held meetings whose latest outcome is neither no deal nor contract, including "
            "those without an outcome yet."
        ),
    ),
    (lazy("Contracts"), lazy("Held meetings whose latest outcome is contract.")),
    (
        lazy("Visits → booking, booking → held"),
        lazy("Booked ÷ booth visits and held ÷ booked; “–” when the divisor is 0."),
    ),
    (
        lazy("Median days to contract"),
        lazy(
            "The median, over contracts, of the days from the meeting to the day the contract "
            "was recorded."
        ),
    ),
    (
        lazy("Contract value (JPY)"),
        lazy(
            "The contracts' values in yen at the exchange rate the staff set for the "
            "meeting's date. Values in a currency without a rate are counted apart, never "
            "guessed."
        ),
    ),
    (
        lazy("Meeting source"),
        lazy(
            "How a meeting came about: self-booked by the buyer, booked from a "
            "recommendation to the buyer, invited by the exhibitor, or proposed by the "
            "organizer to both sides."
        ),
    ),
    (
        lazy("Partner-matching success"),
        lazy(
            "Of the held meetings that came from a match (recommended, invited by the "
            "exhibitor or proposed by the organizer), the share whose latest outcome is "
            "contract. Self-booked meetings are not counted. The programme's target is at least "
            "40 percent."
        ),
    ),
    (
        lazy("Meeting dates"),
        lazy("A meeting's date is its start in Japan time; the date filters apply to it."),
    ),
)

# The workbook's columns: a figure's attribute and its heading (translated where shown).
XLSX_COLUMNS: tuple[tuple[str, str], ...] = tuple((name, headings()[name]) for name in EXPORTED)


def grouping_label(group_by: str) -> str:
    return i18n.gettext(GROUPING_LABELS.get(group_by, group_by))


# OWASP's CSV-injection guidance: a cell that starts with one of these (full-width forms
# too, which Japanese spreadsheets accept) is run as a formula; so is the part of a cell
# after a separator when a spreadsheet splits the line at a comma, semicolon or tab it
# takes for its own separator.
FORMULA_CHARACTERS = "=+-@\uff1d\uff0b\uff0d\uff20"
FORMULA_STARTS = FORMULA_CHARACTERS + "\t\r"
_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n|]\s*[\"']?)(?=[" + re.escape(FORMULA_CHARACTERS) + "])")


def _plain_text(value: str) -> str:
    """A text cell no spreadsheet runs as a formula (CSV injection): a ``'`` before a
    formula character at its start (after any spaces) and after every separator."""
    guarded = _AFTER_SEPARATOR.sub(r"\1'", value)
    start = guarded.lstrip(" ")[:1]
    return "'" + guarded if start and start in FORMULA_STARTS else guarded


def _quoted(value: str) -> str:
    """Every text cell quoted (quotes inside doubled), so no separator or line break in it
    ever splits it."""
    return '"' + value.replace('"', '""') + '"'


def _number(value: int | float | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _csv_row(key: str, label: str, figures: Figures) -> list[str]:
    """The cells as written: the two texts guarded and quoted, the figures bare (digits, a
    point or nothing, which no spreadsheet runs)."""
    values = [_number(getattr(figures, name)) for name in EXPORTED]
    return [_quoted(_plain_text(key)), _quoted(_plain_text(label)), *values]


def to_csv(report: Report) -> str:
    """One row per group, then the total (key ``total``); English machine headers."""
    rows = [_csv_row(group.key, group.label, group.figures) for group in report.groups]
    rows.append(_csv_row(TOTAL_KEY, i18n.gettext("Total"), report.total))
    lines = [",".join(CSV_COLUMNS), *(",".join(row) for row in rows)]
    return BOM + "".join(line + "\r\n" for line in lines)


def _filter_rows(report: Report, fair_title: str | None) -> list[tuple[str, str]]:
    _ = i18n.gettext
    fair = _("All fairs")
    if report.fair_slug:
        fair = f"{fair_title} ({report.fair_slug})" if fair_title else report.fair_slug
    rows = [
        (_("Fair"), fair),
        (_("Start date"), i18n.format_date(report.start) if report.start else DASH),
        (_("End date"), i18n.format_date(report.end) if report.end else DASH),
        (_("Grouped by"), grouping_label(report.group_by)),
    ]
    if report.booth_ids is not None:
        rows.append((_("Booths"), _("Only your own booths")))
    return rows


class _Formats:
    def __init__(self, book: Any) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.head = book.add_format(
            {"bold": True, "bg_color": "#E8EBF8", "bottom": 1, "text_wrap": True}
        )
        self.count = book.add_format({"num_format": "#,##0"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.yen = book.add_format({"num_format": '"¥"#,##0'})
        self.days = book.add_format({"num_format": "0.0"})
        self.day = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
        self.dash = book.add_format({"align": "right"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.total = {
            name: book.add_format({"bold": True, "top": 1, **extra})
            for name, extra in (
                ("count", {"num_format": "#,##0"}),
                ("percent", {"num_format": "0.0%"}),
                ("yen", {"num_format": '"¥"#,##0'}),
                ("days", {"num_format": "0.0"}),
                ("dash", {"align": "right"}),
                ("text", {}),
            )
        }

    def of(self, column: str, total: bool = False) -> Any:
        kind = {
            "conversion_rate": "percent",
            "contract_value_jpy": "yen",
            "median_days_to_contract": "days",
        }.get(column, "count")
        return self.total[kind] if total else getattr(self, kind)


def _write_figure(
    sheet: Any, row: int, col: int, column: str, figures: Any, fmt: Any, dash: Any
) -> None:
    value = getattr(figures, column)
    if value is None:
        sheet.write_string(row, col, DASH, dash)
    else:
        sheet.write_number(row, col, float(value), fmt)


def _write_table(
    sheet: Any,
    first_row: int,
    rows: Iterable[tuple[str, Any]],
    total: Any,
    formats: _Formats,
    label_heading: str,
) -> int:
    _ = i18n.gettext
    sheet.write_string(first_row, 0, label_heading, formats.head)
    for col, (_name, heading) in enumerate(XLSX_COLUMNS, start=1):
        sheet.write_string(first_row, col, _(heading), formats.head)
    row = first_row + 1
    for label, figures in rows:
        sheet.write_string(row, 0, label)
        for col, (name, _heading) in enumerate(XLSX_COLUMNS, start=1):
            _write_figure(sheet, row, col, name, figures, formats.of(name), formats.dash)
        row += 1
    sheet.write_string(row, 0, _("Total"), formats.total["text"])
    for col, (name, _heading) in enumerate(XLSX_COLUMNS, start=1):
        _write_figure(
            sheet, row, col, name, total, formats.of(name, total=True), formats.total["dash"]
        )
    return row + 1


def to_xlsx(report: Report, *, fair_title: str | None = None) -> bytes:
    """A workbook: "Report" (filters, groups, total, targets), "Trend" (one row per fair)
    and "Definitions", its texts in the current language."""
    _ = i18n.gettext
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    formats = _Formats(book)

    sheet = book.add_worksheet("Report")
    sheet.write_string(0, 0, _("Conversion report"), formats.title)
    row = 1
    for name, value in _filter_rows(report, fair_title):
        sheet.write_string(row, 0, name, formats.bold)
        sheet.write_string(row, 1, value)
        row += 1
    row += 1
    table_start = row
    row = _write_table(
        sheet,
        row,
        ((g.label, g.figures) for g in report.groups),
        report.total,
        formats,
        grouping_label(report.group_by),
    )
    sheet.freeze_panes(table_start + 1, 1)
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, len(XLSX_COLUMNS), 14)

    targets = report.targets
    row += 1
    sheet.write_string(
        row, 0, _("Programme targets for %(year)s") % {"year": targets.year}, formats.bold
    )
    row += 1
    for col, heading in enumerate((_("Measure"), _("Target"), _("So far this year"))):
        sheet.write_string(row, col, heading, formats.head)
    row += 1
    for label, goal, actual, fmt in (
        (_("Conversion"), targets.conversion_rate, targets.conversion_this_year, formats.percent),
        (_("Fairs a year"), targets.fairs_per_year, targets.fairs_this_year, formats.count),
        (
            _("Meetings held a year"),
            targets.meetings_per_year,
            targets.meetings_this_year,
            formats.count,
        ),
    ):
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, goal, fmt)
        if actual is None:
            sheet.write_string(row, 2, DASH, formats.dash)
        else:
            sheet.write_number(row, 2, actual, fmt)
        row += 1

    row = _write_matching(sheet, row + 1, report, formats)

    trend = book.add_worksheet("Trend")
    headings = [_("Fair"), _("Starts on")] + [_(h) for _n, h in XLSX_COLUMNS]
    for col, heading in enumerate(headings):
        trend.write_string(0, col, heading, formats.head)
    for index, point in enumerate(report.trend, start=1):
        trend.write_string(index, 0, point.fair_title or point.fair_slug)
        trend.write_datetime(index, 1, _as_datetime(point.starts_on), formats.day)
        for col, (name, _heading) in enumerate(XLSX_COLUMNS, start=2):
            _write_figure(trend, index, col, name, point.figures, formats.of(name), formats.dash)
    trend.freeze_panes(1, 1)
    trend.set_column(0, 0, 32)
    trend.set_column(1, len(headings), 14)

    terms = book.add_worksheet("Definitions")
    terms.write_string(0, 0, _("Figure"), formats.head)
    terms.write_string(0, 1, _("How it is counted"), formats.head)
    for index, (term, meaning) in enumerate(DEFINITIONS, start=1):
        terms.write_string(index, 0, _(term), formats.bold)
        terms.write_string(index, 1, _(meaning), formats.wrap)
    terms.set_column(0, 0, 30)
    terms.set_column(1, 1, 90)

    book.close()
    return out.getvalue()


def _write_matching(sheet: Any, row: int, report: Report, formats: _Formats) -> int:
    """The partner-matching success rate of the report's selection (fair, dates, own
    booths) against its target, with the counts behind it; the next free row."""
    _ = i18n.gettext
    matching = report.matching
    sheet.write_string(row, 0, _("Partner-matching success in this selection"), formats.bold)
    row += 1
    for col, heading in enumerate((_("Measure"), _("Target"), _("In this selection"))):
        sheet.write_string(row, col, heading, formats.head)
    row += 1
    sheet.write_string(row, 0, _("Partner-matching success"))
    sheet.write_number(row, 1, matching.target, formats.percent)
    if matching.rate is None:
        sheet.write_string(row, 2, DASH, formats.dash)
    else:
        sheet.write_number(row, 2, matching.rate, formats.percent)
    row += 1
    for label, count in (
        (_("Held meetings from a match"), matching.held_from_match),
        (_("Contracts from a match"), matching.contracts_from_match),
    ):
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 2, count, formats.count)
        row += 1
    return row


def _as_datetime(day: date) -> datetime:
    """A calendar day as the naive midnight Excel stores dates as."""
    return datetime(day.year, day.month, day.day)
