"""Report API: ``GET /api/reports/conversion`` (organizers, staff; exhibitors for their
own booths)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fair.web import db, user_of
from reports import service
from reports.schemas import parse_query
from reports.service import Figures, Report, Targets


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "booked": figures.booked,
        "held": figures.held,
        "no_show": figures.no_show,
        "contracts": figures.contracts,
        "conversion_rate": figures.conversion_rate,
        "cancelled": figures.cancelled,
        "visits": figures.visits,
        "follow_up": figures.follow_up,
        "open": figures.open,
        "visit_to_booking": figures.visit_to_booking,
        "booking_to_held": figures.booking_to_held,
        "median_days_to_contract": figures.median_days_to_contract,
        "contract_value_jpy": int(figures.contract_value_jpy),
        "unconverted_values": figures.unconverted_values,
    }


def targets_json(targets: Targets) -> dict[str, Any]:
    return {
        "conversion_rate": targets.conversion_rate,
        "fairs_per_year": targets.fairs_per_year,
        "meetings_per_year": targets.meetings_per_year,
        "year": targets.year,
        "fairs_this_year": targets.fairs_this_year,
        "meetings_this_year": targets.meetings_this_year,
        "conversion_this_year": targets.conversion_this_year,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report as the API sends it (labels in the current language)."""
    return {
        "group_by": report.group_by,
        "fair": report.fair_slug,
        "from": report.start.isoformat() if report.start else None,
        "to": report.end.isoformat() if report.end else None,
        "scope": "all" if report.booth_ids is None else "own_booths",
        **figures_json(report.total),
        "anonymous_views": report.anonymous_views,
        "groups": [
            {"key": group.key, "label": group.label, **figures_json(group.figures)}
            for group in report.groups
        ],
        "trend": [
            {
                "fair": row.fair_slug,
                "title": row.fair_title,
                "starts_on": row.starts_on.isoformat(),
                **figures_json(row.figures),
                "anonymous_views": row.anonymous_views,
            }
            for row in report.trend
        ],
        "targets": targets_json(report.targets),
    }


async def api_conversion(request: Request) -> Response:
    # Who asks comes first: nobody gets 401 and a buyer 403, whatever the parameters.
    service.check_viewer(user_of(request))
    query = parse_query(request.query_params)
    report = await service.conversion_report(
        db(request),
        actor=user_of(request),
        fair_slug=query.fair,
        start=query.from_,
        end=query.to,
        group_by=query.group_by,
    )
    return JSONResponse(report_json(report))


routes = [Route("/api/reports/conversion", api_conversion, methods=["GET"])]
