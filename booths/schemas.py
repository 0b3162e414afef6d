"""Request shapes for booths, products and media."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import MISSING, AfterValidator, BaseModel, Field, model_validator

from booths.taxonomy import CATEGORIES, MOQ_UNITS
from fair.i18n import LANGUAGES, lazy
from fair.schemas import CountryCode, CurrencyCode, LanguageCode, Schema

HS_CODE = re.compile(r"^[0-9]{6}$")


def _translated(max_chars: int, *, required: bool) -> AfterValidator:
    """A text per language: known languages only, each at most ``max_chars``; once any
    language is given, Japanese must be among them (the programme's working language)."""

    def check(value: dict[str, str]) -> dict[str, str]:
        if set(value) - set(LANGUAGES):
            raise ValueError(lazy("Unsupported language."))
        cleaned = {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
        if any(len(v) > max_chars for v in cleaned.values()):
            raise ValueError(lazy("This is too long."))
        if (cleaned or required) and "ja" not in cleaned:
            raise ValueError(lazy("Give this text in Japanese too."))
        return cleaned

    return AfterValidator(check)


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(lazy("Unknown category."))
    return value


def _hs_code(value: str) -> str:
    value = value.replace(".", "").replace(" ", "")
    if value and not HS_CODE.match(value):
        raise ValueError(lazy("An HS code has 6 digits, e.g. 961700."))
    return value


def _website(value: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        raise ValueError(lazy("Give a web address starting with https://."))
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


ShortText = Annotated[dict[str, str], _translated(200, required=False)]
LongText = Annotated[dict[str, str], _translated(5000, required=False)]
NameText = Annotated[dict[str, str], _translated(200, required=True)]
Category = Annotated[str, AfterValidator(_category)]
Certification = Annotated[str, Field(min_length=1, max_length=60)]
HsCode = Annotated[str, Field(max_length=12), AfterValidator(_hs_code)]
Website = Annotated[str, Field(max_length=300), AfterValidator(_website)]
Categories = Annotated[list[Category], Field(max_length=3), AfterValidator(_distinct)]
Markets = Annotated[list[CountryCode], Field(max_length=30), AfterValidator(_distinct)]
Languages = Annotated[list[LanguageCode], Field(max_length=6), AfterValidator(_distinct)]
Certifications = Annotated[list[Certification], Field(max_length=12), AfterValidator(_distinct)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999"), decimal_places=2)]
MoqUnit = Literal[tuple(MOQ_UNITS)]  # type: ignore[valid-type]


class MinimumOrder(Schema):
    """The smallest order the company takes, for products that give no minimum of their own
    (the match engine compares it with a buyer's wanted quantity in the same unit)."""

    amount: int = Field(ge=1, le=1_000_000_000)
    unit: MoqUnit


class BoothCreate(Schema):
    company: NameText
    tagline: ShortText = Field(default_factory=dict)
    description: LongText = Field(default_factory=dict)
    categories: Categories = Field(default_factory=list)
    markets: Markets = Field(default_factory=list)
    # "Buyers we want": the markets the exhibitor wants buyers who sell there, and its
    # minimum order.
    wanted_markets: Markets = Field(default_factory=list)
    minimum_order: MinimumOrder | None = None
    languages: Languages = Field(default_factory=lambda: ["ja"])
    certifications: Certifications = Field(default_factory=list)
    website: Website = ""
    city: str = Field(default="", max_length=120)


class BoothUpdate(Schema):
    """PATCH: only the fields sent change (``minimum_order`` null removes it)."""

    company: NameText | None = None
    tagline: ShortText | None = None
    description: LongText | None = None
    categories: Categories | None = None
    markets: Markets | None = None
    wanted_markets: Markets | None = None
    minimum_order: MinimumOrder | None = None
    languages: Languages | None = None
    certifications: Certifications | None = None
    website: Website | None = None
    city: str | None = Field(default=None, max_length=120)


class Rejection(Schema):
    reason: str = Field(min_length=1, max_length=1000)


class CopyRequest(Schema):
    fair: str = Field(min_length=1, max_length=64)


def _price_range(data: ProductCreate | ProductUpdate) -> None:
    low, high = data.price_min, data.price_max
    if low is not None and high is not None and low > high:
        raise ValueError(lazy("The lowest price must not be above the highest."))


class ProductCreate(Schema):
    name: NameText
    description: LongText = Field(default_factory=dict)
    hs_code: HsCode = ""
    moq: int | None = Field(default=None, ge=1, le=100_000_000)
    moq_unit: MoqUnit = "piece"
    price_min: Money | None = None
    price_max: Money | None = None
    currency: CurrencyCode = "JPY"
    lead_time_days: int | None = Field(default=None, ge=0, le=730)

    @model_validator(mode="after")
    def _check_prices(self) -> ProductCreate:
        _price_range(self)
        return self


class ProductUpdate(Schema):
    name: NameText | None = None
    description: LongText | None = None
    hs_code: HsCode | None = None
    moq: int | None = Field(default=None, ge=1, le=100_000_000)
    moq_unit: MoqUnit | None = None
    price_min: Money | None = None
    price_max: Money | None = None
    currency: CurrencyCode | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=730)

    @model_validator(mode="after")
    def _check_prices(self) -> ProductUpdate:
        _price_range(self)
        return self


class Ordering(Schema):
    ids: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(max_length=500)


class MediaUpdate(Schema):
    title: ShortText | None = None
    product_id: str | None = Field(default=None, max_length=32)


class MediaUpload(BaseModel):
    """An upload, sent as multipart/form-data: read as it streams in (by
    booths.media.receive_upload), other fields ignored."""

    file: bytes
    product_id: str | MISSING = MISSING
