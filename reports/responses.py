"""The reports API's response shapes (``fair.api``): the conversion report flattens the
figures (``reports.figures``) into the report, each group and each fair of the trend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.dataclasses import dataclass

from fair import money
from reports.figures import Figures, MatchingSuccess, Targets, counted
from reports.schemas import Grouping
from reports.service import Report

ANONYMOUS_VIEWS = Field(
    description="booth views by visitors not signed in (each address and browser once a "
    "day; known bots left out): beside the funnel, not in visits"
)


@dataclass(frozen=True)
class ReportGroup(Figures):
    key: Annotated[
        str,
        Field(
            description="fair slug, YYYY-MM, booth id, category code, ISO country, "
            "language code, interpreter language or 'none', or how the meetings came about "
            "(self, recommended, invited, proposed)"
        ),
    ]
    label: str


@dataclass(frozen=True)
class ReportTrend(Figures):
    fair: str
    title: str
    starts_on: date
    anonymous_views: Annotated[int, ANONYMOUS_VIEWS]


@dataclass(frozen=True)
class ConversionReport(Figures):
    group_by: Grouping
    fair: str | None
    from_: Annotated[date | None, Field(serialization_alias="from")]
    to: date | None
    scope: Literal["all", "own_booths"]
    anonymous_views: Annotated[int, ANONYMOUS_VIEWS]
    groups: Annotated[
        list[ReportGroup],
        Field(
            description="sorted by key (fairs and months in date order; sources as self, "
            "recommended, invited, proposed); by category a meeting counts under each of "
            "its booth's categories, so the groups may add up to more than the total"
        ),
    ]
    trend: Annotated[list[ReportTrend], Field(description="oldest first")]
    targets: Targets
    matching_success: Annotated[
        MatchingSuccess,
        Field(
            description="the partner-matching success rate in the same scope as the "
            "conversion figures (fair, dates, own booths): contracts ÷ held among meetings "
            "from a match (recommended, invited or proposed)"
        ),
    ]

    @classmethod
    def of(cls, report: Report) -> ConversionReport:
        """The report as the API sends it (labels in the current language)."""
        return cls(
            **counted(report.total),
            group_by=report.group_by,
            fair=report.fair_slug,
            from_=report.start,
            to=report.end,
            scope="all" if report.booth_ids is None else "own_booths",
            anonymous_views=report.anonymous_views,
            groups=[
                ReportGroup(**counted(group.figures), key=group.key, label=group.label)
                for group in report.groups
            ],
            trend=[
                ReportTrend(
                    **counted(row.figures),
                    fair=row.fair_slug,
                    title=row.fair_title,
                    starts_on=row.starts_on,
                    anonymous_views=row.anonymous_views,
                )
                for row in report.trend
            ],
            targets=report.targets,
            matching_success=report.matching,
        )


def _decimal_text(value: Decimal) -> str:
    # The same text on both databases whatever the column's scale: 150, 151.25, 0.0061.
    return format(Decimal(value).normalize(), "f")


class ExchangeRate(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    valid_from: date
    jpy_per_unit: Annotated[
        Decimal,
        PlainSerializer(_decimal_text, return_type=str, when_used="json"),
        Field(description="decimal yen per unit"),
    ]

    @classmethod
    def of(cls, rate: money.ExchangeRate) -> ExchangeRate:
        return cls.model_validate(rate)


class ExchangeRates(BaseModel):
    rates: list[ExchangeRate]

    @classmethod
    def of(cls, rows: list[money.ExchangeRate]) -> ExchangeRates:
        return cls(rates=[ExchangeRate.of(rate) for rate in rows])
