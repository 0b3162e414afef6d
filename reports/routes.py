"""Report API: ``GET /api/reports/conversion`` (organizers, staff; exhibitors for their
own booths)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fair.api import Endpoint, Param, Scope
from fair.web import db, json_response, user_of
from reports import responses, service
from reports.schemas import parse_query
from reports.service import GROUPINGS


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
    return json_response(responses.ConversionReport.of(report))


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """An empty value means the parameter was not given (as an HTML form sends it)."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


DAY = {"type": "string", "format": "date"}

API = [
    Endpoint(
        "GET",
        "/api/reports/conversion",
        api_conversion,
        "Meeting-to-contract conversion (organizers and staff: everything; "
        "exhibitors: their own booths)",
        responses.ConversionReport,
        query=(
            Param("fair", description="a fair's slug; all fairs when left out"),
            Param("from", _or_empty(DAY), "first meeting date (Japan time), inclusive"),
            Param("to", _or_empty(DAY), "last meeting date (Japan time), inclusive"),
            Param(
                "group_by",
                {**_or_empty({"type": "string", "enum": list(GROUPINGS)}), "default": "fair"},
                "how the groups are cut",
            ),
        ),
        errors=(401, 403, 404, 422),
        scope=Scope.REPORTS,
    )
]
