"""Request shapes of sourcing needs."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from booths.schemas import Category, Certification, Money, MoqUnit
from fair.i18n import lazy
from fair.schemas import CountryCode, CurrencyCode, LanguageCode, Schema, TimeZoneName

HS_PREFIX = re.compile(r"^[0-9]{2}(?:[0-9]{2}){0,2}$")
MAX_TEXT_CHARS = 2000
MAX_QUANTITY = 1_000_000_000


def _hs_prefix(value: str) -> str:
    value = value.replace(".", "").replace(" ", "")
    if not HS_PREFIX.match(value):
        raise ValueError(lazy("An HS code here has 2, 4 or 6 digits, e.g. 96, 9617 or 961700."))
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


HsPrefix = Annotated[str, Field(max_length=12), AfterValidator(_hs_prefix)]
Categories = Annotated[list[Category], Field(max_length=6), AfterValidator(_distinct)]
HsCodes = Annotated[list[HsPrefix], Field(max_length=10), AfterValidator(_distinct)]
Certifications = Annotated[list[Certification], Field(max_length=10), AfterValidator(_distinct)]
Markets = Annotated[list[CountryCode], Field(max_length=20), AfterValidator(_distinct)]
Languages = Annotated[list[LanguageCode], Field(max_length=6), AfterValidator(_distinct)]
FairSlug = Annotated[str, Field(min_length=1, max_length=64)]


class QuantityIn(Schema):
    amount: int = Field(ge=1, le=MAX_QUANTITY)
    unit: MoqUnit


class PriceIn(Schema):
    amount: Money
    currency: CurrencyCode


def _plausible_day(value: date) -> date:
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise ValueError(lazy("Give a date between 2000 and 2100."))
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]


class TimeFrameIn(Schema):
    """When the buyer buys: ``from`` and ``until`` are days (ISO 8601), either may be left
    open, not both. A buyer says "until the end of June" or "from next spring": dates, not
    a choice of durations, so the need keeps its meaning however long it stands."""

    from_: Day | None = Field(default=None, alias="from")
    until: Day | None = None

    @model_validator(mode="after")
    def _in_order(self) -> TimeFrameIn:
        if self.from_ is None and self.until is None:
            raise ValueError(lazy("Give the first day, the last day or both."))
        if self.from_ is not None and self.until is not None and self.from_ > self.until:
            raise ValueError(lazy("The first day must not be after the last."))
        return self


class NeedCreate(Schema):
    """A need: ``fair`` a fair's slug, or null for a standing need (every fair)."""

    fair: FairSlug | None = None
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    categories: Categories = Field(default_factory=list)
    hs_codes: HsCodes = Field(default_factory=list)
    quantity: QuantityIn | None = None
    target_price: PriceIn | None = None
    time_frame: TimeFrameIn | None = None
    certifications: Certifications = Field(default_factory=list)
    markets: Markets = Field(default_factory=list)
    languages: Languages = Field(default_factory=list)
    visible_to_exhibitors: bool = True

    @model_validator(mode="after")
    def _says_what(self) -> NeedCreate:
        # Without one of these nothing could match it (markets and languages alone are no
        # product).
        if not (self.text or self.categories or self.hs_codes):
            raise ValueError(lazy("Say what you are looking for: a text, categories or HS codes."))
        return self


class NeedUpdate(Schema):
    """PATCH: only the fields sent change (null clears ``fair``, ``quantity``,
    ``target_price`` and ``time_frame``); the need as changed must still say what is looked
    for."""

    fair: FairSlug | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    categories: Categories | None = None
    hs_codes: HsCodes | None = None
    quantity: QuantityIn | None = None
    target_price: PriceIn | None = None
    time_frame: TimeFrameIn | None = None
    certifications: Certifications | None = None
    markets: Markets | None = None
    languages: Languages | None = None
    visible_to_exhibitors: bool | None = None


class ProposalCreate(Schema):
    """A meeting proposed to a buyer and a booth of ``fair`` (its slug); ``need_id``: the
    buyer's need it answers, if any."""

    fair: FairSlug
    buyer_id: str = Field(min_length=1, max_length=32)
    booth_id: str = Field(min_length=1, max_length=32)
    need_id: str | None = Field(default=None, min_length=1, max_length=32)
    note: str = Field(default="", max_length=1000)


class ProposeTop(Schema):
    """Propose each admitted buyer's ``n`` best booths of the fair."""

    n: int = Field(ge=1, le=10)


class ProposalAccept(Schema):
    """The buyer gives ``start`` (ISO 8601; without an offset it is read in ``timezone``)
    and may ask for an interpreter; the booth's side sends ``{}``."""

    start: datetime | None = None
    timezone: TimeZoneName | None = None
    interpreter_language: LanguageCode | None = None


class ProposalDecline(Schema):
    reason: str = Field(default="", max_length=1000)
