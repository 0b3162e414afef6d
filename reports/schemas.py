"""Request shapes: the conversion report's query parameters (``fair``, ``from``, ``to``,
``group_by``) and exchange rates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from fair.i18n import lazy
from fair.schemas import CurrencyCode, Schema, parse
from reports.service import GROUPINGS

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
PARAMETERS = ("fair", "from", "to", "group_by")
FIRST_YEAR, LAST_YEAR = 2000, 9000


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (pydantic alone would also take a Unix time or a date-time)."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError(lazy("Not a valid date (use YYYY-MM-DD)."))
    return value


def _within_years(value: date) -> date:
    """Clear of the date arithmetic's edges (year 1 minus Japan's offset, year 9999 plus a
    day overflow); no meeting is there."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(lazy("Not a valid date (use YYYY-MM-DD)."))
    return value


def _grouping(value: str) -> str:
    if value not in GROUPINGS:
        raise ValueError(
            lazy(
                "Unknown grouping. Group by one of: fair, month, booth, category, "
                "buyer_country, language, interpreter, source."
            )
        )
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_within_years)]
Grouping = Annotated[
    str, AfterValidator(_grouping), Field(json_schema_extra={"enum": list(GROUPINGS)})
]


class ReportQuery(Schema):
    """``GET /api/reports/conversion``'s query; ``from`` and ``to`` are meeting dates in
    Japan time, inclusive."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, populate_by_name=True
    )

    fair: str | None = Field(default=None, max_length=64)
    from_: IsoDay | None = Field(default=None, alias="from")
    to: IsoDay | None = None
    group_by: Grouping = "fair"


def parse_query(params: Mapping[str, str]) -> ReportQuery:
    """The report's parameters from a query string: others (``lang``, ``tz``) are left to
    whoever reads them, and an empty value means the parameter was not given. Invalid
    values raise ``ValidationFailed`` (422) with a message per field."""
    given = {name: params[name] for name in PARAMETERS if params.get(name)}
    return parse(ReportQuery, given)


class RateEntry(Schema):
    currency: CurrencyCode
    valid_from: date
    jpy_per_unit: Decimal = Field(gt=0, le=Decimal("1000000"), decimal_places=6)


class RateKey(Schema):
    currency: CurrencyCode
    valid_from: date
