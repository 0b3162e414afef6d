"""A report's figures, declared once: their names, types, headings (``title``, a msgid) and
meanings here serve the JSON API and its document, the dashboard, and the CSV and XLSX files.
The definitions behind them are docs/features.md's ("Outcomes and the conversion report:
definitions")."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, TypeAdapter, computed_field
from pydantic.dataclasses import dataclass

from fair.i18n import lazy

Rate = float | None  # a fraction, None (shown as "–") when its divisor is 0


@dataclass(frozen=True)
class Figures:
    visits: Annotated[
        int | None,
        Field(
            title=lazy("Booth visits"),
            description="booth visits by signed-in buyers, each once a day per booth (views "
            "without signing in are in anonymous_views); null in groups visits cannot be "
            "attributed to (buyer_country, language, interpreter)",
        ),
    ]
    booked: Annotated[int, Field(title=lazy("Booked"), description="confirmed and not cancelled")]
    cancelled: Annotated[
        int, Field(title=lazy("Cancelled"), description="confirmed, then cancelled")
    ]
    held: Annotated[int, Field(title=lazy("Held"))]
    no_show: Annotated[int, Field(title=lazy("No-show"))]
    follow_up: Annotated[int, Field(title=lazy("Follow-up"))]
    open: Annotated[int, Field(title=lazy("Still open"))]
    contracts: Annotated[
        int, Field(title=lazy("Contracts"), description="held, current stage contract")
    ]
    contract_value_jpy: Annotated[
        Decimal,
        PlainSerializer(int, return_type=int, when_used="json"),
        Field(
            title=lazy("Contract value (JPY)"),
            description="contract values at the rate of the meeting's date, whole yen",
        ),
    ]
    unconverted_values: Annotated[
        int,
        Field(
            title=lazy("Values without an exchange rate"),
            description="contract values left out: no rate for their currency on that date",
        ),
    ]
    median_days_to_contract: Annotated[float | None, Field(title=lazy("Median days to contract"))]

    @computed_field(title=lazy("Conversion"), description="contracts ÷ held; null if none held")
    @property
    def conversion_rate(self) -> Rate:
        return ratio(self.contracts, self.held)

    @computed_field(title=lazy("Visits → booking"), description="booked ÷ visits")
    @property
    def visit_to_booking(self) -> Rate:
        return ratio(self.booked, self.visits)

    @computed_field(title=lazy("Booking → held"), description="held ÷ booked")
    @property
    def booking_to_held(self) -> Rate:
        return ratio(self.held, self.booked)


# The figures the CSV file and the workbook have, in their order (the step rates are the
# dashboard's only).
# The meetings counted by what became of them: figures here, columns of the report's cells.
MEETING_COUNTS: tuple[str, ...] = (
    "booked",
    "cancelled",
    "held",
    "no_show",
    "follow_up",
    "open",
    "contracts",
)
EXPORTED: tuple[str, ...] = (
    "visits",
    *MEETING_COUNTS,
    "conversion_rate",
    "contract_value_jpy",
    "median_days_to_contract",
    "unconverted_values",
)
# The dashboard's funnel, from booth visits to contracts.
FUNNEL: tuple[str, ...] = ("visits", "booked", "held", "follow_up", "contracts")


def ratio(part: int, whole: int | None) -> Rate:
    return part / whole if whole else None


@cache
def headings() -> dict[str, str]:
    """Each figure's heading, a msgid (translated where it is shown)."""
    schema = TypeAdapter(Figures).json_schema(mode="serialization")
    return {name: field["title"] for name, field in schema["properties"].items()}


def counted(figures: Figures) -> dict[str, Any]:
    """The figures as counted, by name (the rates follow from them)."""
    return {field.name: getattr(figures, field.name) for field in fields(Figures)}


@dataclass(frozen=True)
class Targets:
    """The programme's targets and this calendar year's actuals (in the viewer's scope)."""

    conversion_rate: float = 0.30
    fairs_per_year: int = 12
    meetings_per_year: int = 500
    year: int = 0
    fairs_this_year: int = Field(
        default=0, description="fairs with at least one held meeting dated in that year"
    )
    meetings_this_year: int = Field(default=0, description="held meetings dated in that year")
    conversion_this_year: Rate = None


MATCHING_TARGET = 0.40  # the programme's partner-matching success rate


@dataclass(frozen=True)
class MatchingSuccess:
    """The programme's partner-matching success rate in the report's scope (fair, dates,
    an exhibitor's own booths): of the held meetings that came from a match (recommended,
    exhibitor-invited or organizer-proposed, not self-booked), those whose current stage
    is contract."""

    held_from_match: Annotated[
        int,
        Field(
            title=lazy("Held meetings from a match"),
            description="held meetings whose source is recommended, invited or proposed",
        ),
    ] = 0
    contracts_from_match: Annotated[
        int,
        Field(
            title=lazy("Contracts from a match"),
            description="of those, the ones whose current stage is contract",
        ),
    ] = 0
    target: Annotated[
        float, Field(description="the programme's target rate (0.4: at least 40 %)")
    ] = MATCHING_TARGET

    @computed_field(
        title=lazy("Partner-matching success"),
        description="contracts_from_match ÷ held_from_match; null if none held",
    )
    @property
    def rate(self) -> Rate:
        return ratio(self.contracts_from_match, self.held_from_match)
