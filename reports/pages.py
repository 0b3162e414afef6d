"""The conversion dashboard and its downloads: ``/reports``, ``/reports/conversion.csv`` and
``/reports/conversion.xlsx``, all filtered by the query (``fair``, ``from``, ``to``,
``group_by``, as the JSON API), so that every view is a shareable URL.

Thin: parse the query (422 for a bad one), ask ``conversion_report`` (which decides who
sees what: 401, 403, 404 for an unknown fair), format in the viewer's language, render.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.units import format_unit
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import i18n
from fair.fairs.service import list_fairs
from fair.web import db, page, user_of
from reports import charts, export
from reports.figures import FUNNEL, Figures, headings
from reports.schemas import parse_query
from reports.service import GROUPINGS, Report, check_viewer, conversion_report

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNDEFINED = "\u2013"  # "–"


# ---------- the query ----------


def query_filters(request: Request) -> dict[str, Any]:
    """The report's filters from the query string, parsed as the JSON API parses them
    (422 with a message per field when one is invalid)."""
    query = parse_query(request.query_params)
    return {
        "fair_slug": query.fair,
        "start": query.from_,
        "end": query.to,
        "group_by": query.group_by,
    }


def query_string(report: Report) -> str:
    """The query that gives this report again (for the download links)."""
    pairs = {
        "fair": report.fair_slug or "",
        "from": report.start.isoformat() if report.start else "",
        "to": report.end.isoformat() if report.end else "",
        "group_by": report.group_by,
    }
    return urlencode({k: v for k, v in pairs.items() if v})


def filename(report: Report, extension: str) -> str:
    """``kakehashi-conversion-2027-06-by-booth.csv``: the filters in a safe file name."""
    parts = ["kakehashi-conversion"]
    if report.fair_slug:
        parts.append(re.sub(r"[^a-z0-9-]+", "-", report.fair_slug.lower()).strip("-") or "fair")
    if report.start:
        parts.append(f"from-{report.start.isoformat()}")
    if report.end:
        parts.append(f"to-{report.end.isoformat()}")
    parts.append(f"by-{report.group_by.replace('_', '-')}")
    return "-".join(parts) + f".{extension}"


async def _report(request: Request) -> Report:
    # Who asks comes first: nobody gets 401 and a buyer 403, whatever the parameters.
    viewer = check_viewer(user_of(request))
    return await conversion_report(db(request), actor=viewer, **query_filters(request))


# ---------- formatting in the viewer's language ----------


def fmt_rate(value: float | None) -> str:
    """ "33.3%", "30%" (no needless decimal), "–" when undefined."""
    if value is None:
        return UNDEFINED
    return babel_numbers.format_percent(value, "#,##0.#%", locale=i18n.babel_locale())


def fmt_count(value: int | None) -> str:
    return UNDEFINED if value is None else i18n.format_number(value)


def fmt_days(value: float | None) -> str:
    if value is None:
        return UNDEFINED
    return format_unit(round(value, 1), "day", "short", locale=i18n.babel_locale())


def fmt_month(day: date) -> str:
    return babel_dates.format_skeleton("yMMM", day, locale=i18n.babel_locale())


def undefined(reason: str) -> Markup:
    """An undefined figure: "–" on screen, the reason for a screen reader and on hover."""
    return Markup(
        '<span class="report-undefined" title="{0}"><span aria-hidden="true">–</span>'
        '<span class="visually-hidden">{0}</span></span>'
    ).format(reason)


def rate_cell(value: float | None, reason: str | None = None) -> Markup:
    if value is None:
        return undefined(reason or i18n.gettext("Not defined: nothing to divide by"))
    return escape(fmt_rate(value))


def target_status(actual: float | int | None, goal: float | int, *, rate: bool) -> str:
    _ = i18n.gettext
    if actual is None:
        return _("No held meetings yet")
    if actual >= goal:
        return _("Target met")
    return _("Below target") if rate else _("Not reached yet")


# ---------- the page ----------


def _charts(report: Report) -> dict[str, Markup]:
    _ = i18n.gettext
    total = report.total
    target = report.targets.conversion_rate
    grouping = export.grouping_label(report.group_by)
    return {
        "funnel": charts.funnel(
            funnel_steps(total),
            title=_("From booth visits to contracts"),
            fmt_count=fmt_count,
            fmt_rate=fmt_rate,
            rate_label=_("%(rate)s of the step before"),
            id_prefix="chart-funnel",
        ),
        "bars": charts.bars(
            [(g.label, g.figures.conversion_rate) for g in report.groups],
            target,
            title=_("Conversion by group") + f": {grouping}",
            fmt_rate=fmt_rate,
            details=[of_held(g.figures) for g in report.groups],
            target_label=_("Target %(rate)s"),
            undefined=UNDEFINED + " " + _("no held meetings"),
            id_prefix="chart-groups",
        ),
        "trend": charts.trend(
            [
                (fmt_month(t.starts_on), t.figures.conversion_rate, t.figures.held)
                for t in report.trend
            ],
            target,
            title=_("Conversion over the fairs"),
            fmt_rate=fmt_rate,
            fmt_count=fmt_count,
            held_label=_("%(count)s held"),
            target_label=_("Target %(rate)s"),
            id_prefix="chart-trend",
        ),
    }


def funnel_steps(figures: Figures) -> list[tuple[str, int | None]]:
    return [(i18n.gettext(headings()[name]), getattr(figures, name)) for name in FUNNEL]


def of_held(figures: Figures) -> str:
    """ "3 of 9 held": the contracts behind a conversion rate."""
    return i18n.gettext("%(contracts)s of %(held)s held") % {
        "contracts": fmt_count(figures.contracts),
        "held": fmt_count(figures.held),
    }


def _funnel_rows(figures: Figures) -> list[tuple[str, int | None, float | None]]:
    rows: list[tuple[str, int | None, float | None]] = []
    previous: int | None = None
    for index, (label, count) in enumerate(funnel_steps(figures)):
        share = None
        if index and count is not None and previous:
            share = count / previous
        rows.append((label, count, share))
        previous = count
    return rows


async def dashboard_page(request: Request) -> Response:
    report = await _report(request)
    fairs = await list_fairs(db(request), viewer=user_of(request))
    total = report.total
    has_activity = bool(total.visits or total.booked or total.cancelled or total.held)
    return page(
        request,
        "reports/conversion.html",
        {
            "report": report,
            "total": total,
            "targets": report.targets,
            "matching": report.matching,
            "fairs": fairs,
            "groupings": [(g, export.grouping_label(g)) for g in GROUPINGS],
            "grouping": export.grouping_label(report.group_by),
            "charts": _charts(report),
            "has_activity": has_activity,
            "trend_activity": any(t.figures.held for t in report.trend),
            "funnel_rows": _funnel_rows(total),
            "definitions": export.DEFINITIONS,
            "query": query_string(report),
            "only_own_booths": report.booth_ids is not None,
            "fmt_rate": fmt_rate,
            "fmt_count": fmt_count,
            "fmt_days": fmt_days,
            "rate_cell": rate_cell,
            "undefined": undefined,
            "of_held": of_held,
            "target_status": target_status,
            "yen": lambda value: i18n.format_currency(value, "JPY"),
        },
    )


# ---------- downloads ----------


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "private, no-store",
        },
    )


async def csv_download(request: Request) -> Response:
    report = await _report(request)
    return _download(
        export.to_csv(report).encode("utf-8"), "text/csv; charset=utf-8", filename(report, "csv")
    )


async def xlsx_download(request: Request) -> Response:
    report = await _report(request)
    title = None
    if report.fair_slug:
        for fair in await list_fairs(db(request), viewer=user_of(request)):
            if fair.slug == report.fair_slug:
                title = i18n.pick_text(fair.title)[0]
    return _download(export.to_xlsx(report, fair_title=title), XLSX_TYPE, filename(report, "xlsx"))


routes = [
    Route("/reports", dashboard_page, methods=["GET"]),
    Route("/reports/conversion.csv", csv_download, methods=["GET"]),
    Route("/reports/conversion.xlsx", xlsx_download, methods=["GET"]),
]
