"""The reports part of ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from fair.openapi import operation, ref
from reports.service import GROUPINGS

NULLABLE_RATE = {"type": ["number", "null"], "minimum": 0}

FIGURES: dict[str, Any] = {
    "booked": {"type": "integer", "description": "confirmed and not cancelled"},
    "held": {"type": "integer"},
    "no_show": {"type": "integer"},
    "contracts": {"type": "integer", "description": "held, current stage contract"},
    "conversion_rate": {**NULLABLE_RATE, "description": "contracts ÷ held; null if none held"},
    "cancelled": {"type": "integer", "description": "confirmed, then cancelled"},
    "visits": {
        "type": ["integer", "null"],
        "description": "booth visits by signed-in buyers, each once a day per booth (views "
        "without signing in are in anonymous_views); null in groups visits cannot be "
        "attributed to (buyer_country, language, interpreter)",
    },
    "follow_up": {"type": "integer"},
    "open": {"type": "integer"},
    "visit_to_booking": {**NULLABLE_RATE, "description": "booked ÷ visits"},
    "booking_to_held": {**NULLABLE_RATE, "description": "held ÷ booked"},
    "median_days_to_contract": {"type": ["number", "null"]},
    "contract_value_jpy": {
        "type": "integer",
        "description": "contract values at the rate of the meeting's date, whole yen",
    },
    "unconverted_values": {
        "type": "integer",
        "description": "contract values left out: no rate for their currency on that date",
    },
}
FIGURE_NAMES = list(FIGURES)
ANONYMOUS_VIEWS = {
    "type": "integer",
    "description": "booth views by visitors not signed in (each address and browser once a "
    "day; known bots left out): beside the funnel, not in visits",
}

REPORT_GROUP = {
    "type": "object",
    "required": ["key", "label", *FIGURE_NAMES],
    "properties": {
        "key": {
            "type": "string",
            "description": "fair slug, YYYY-MM, booth id, category code, ISO country, "
            "language code, interpreter language or 'none'",
        },
        "label": {"type": "string"},
        **FIGURES,
    },
}
REPORT_TREND = {
    "type": "object",
    "required": ["fair", "title", "starts_on", *FIGURE_NAMES],
    "properties": {
        "fair": {"type": "string"},
        "title": {"type": "string"},
        "starts_on": {"type": "string", "format": "date"},
        **FIGURES,
        "anonymous_views": ANONYMOUS_VIEWS,
    },
}
REPORT_TARGETS = {
    "type": "object",
    "properties": {
        "conversion_rate": {"type": "number"},
        "fairs_per_year": {"type": "integer"},
        "meetings_per_year": {"type": "integer"},
        "year": {"type": "integer"},
        "fairs_this_year": {"type": "integer"},
        "meetings_this_year": {"type": "integer"},
        "conversion_this_year": NULLABLE_RATE,
    },
}
CONVERSION_REPORT = {
    "type": "object",
    "required": ["group_by", "scope", *FIGURE_NAMES, "groups", "trend", "targets"],
    "properties": {
        "group_by": {"type": "string", "enum": list(GROUPINGS)},
        "fair": {"type": ["string", "null"]},
        "from": {"type": ["string", "null"], "format": "date"},
        "to": {"type": ["string", "null"], "format": "date"},
        "scope": {"type": "string", "enum": ["all", "own_booths"]},
        **FIGURES,
        "anonymous_views": ANONYMOUS_VIEWS,
        "groups": {
            "type": "array",
            "items": ref("ReportGroup"),
            "description": "sorted by key (fairs and months in date order); by category a "
            "meeting counts under each of its booth's categories, so the groups may add up "
            "to more than the total",
        },
        "trend": {"type": "array", "items": ref("ReportTrend"), "description": "oldest first"},
        "targets": ref("ReportTargets"),
    },
}


def report_schemas() -> dict[str, Any]:
    return {
        "ConversionReport": CONVERSION_REPORT,
        "ReportGroup": REPORT_GROUP,
        "ReportTrend": REPORT_TREND,
        "ReportTargets": REPORT_TARGETS,
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """An empty value means the parameter was not given (as an HTML form sends it)."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


def report_paths() -> dict[str, Any]:
    params = [
        _query("fair", {"type": "string"}, "a fair's slug; all fairs when left out"),
        _query(
            "from",
            _or_empty({"type": "string", "format": "date"}),
            "first meeting date (Japan time), inclusive",
        ),
        _query(
            "to",
            _or_empty({"type": "string", "format": "date"}),
            "last meeting date (Japan time), inclusive",
        ),
        _query(
            "group_by",
            {**_or_empty({"type": "string", "enum": list(GROUPINGS)}), "default": "fair"},
            "how the groups are cut",
        ),
    ]
    return {
        "/api/reports/conversion": {
            "get": operation(
                "Meeting-to-contract conversion (organizers and staff: everything; "
                "exhibitors: their own booths)",
                (200, ref("ConversionReport")),
                errors=(400, 401, 403, 404, 422),
                params=params,
            )
        }
    }
