"""Shared request-shape helpers: validating with pydantic, reporting field errors our way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.numbers import get_territory_currencies
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from fair import clock
from fair.errors import ValidationFailed
from fair.i18n import LANGUAGES, lazy

# babel lists these as territories, but they are not countries a company is registered in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}


def _country_codes() -> frozenset[str]:
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


COUNTRIES = _country_codes()


def _currency_codes() -> frozenset[str]:
    """ISO 4217 currencies in use today somewhere (babel also lists withdrawn ones)."""
    today = clock.now().date()
    return frozenset(
        code
        for territory in Locale("en").territories
        for code in get_territory_currencies(territory, today)
    )


CURRENCIES = _currency_codes()


def check_timezone(value: str) -> str:
    if not isinstance(value, str) or not value or ("/" not in value and value != "UTC"):
        raise ValueError(lazy("Unknown time zone."))
    try:
        ZoneInfo(value)
    # A folder of the zone database ("America/Argentina") is no zone: IsADirectoryError.
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(lazy("Unknown time zone.")) from exc
    return value


def check_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValueError(lazy("Unknown country code (use ISO 3166, e.g. VN)."))
    return code


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(lazy("Unknown currency (use ISO 4217, e.g. JPY or USD)."))
    return code


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(lazy("Unsupported language."))
    return value


def check_translated(value: dict[str, str]) -> dict[str, str]:
    cleaned = {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(lazy("Unsupported language."))
    if not cleaned:
        raise ValueError(lazy("Give the text in at least one language."))
    return cleaned


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
CountryCode = Annotated[str, AfterValidator(check_country)]
LanguageCode = Annotated[str, AfterValidator(check_language)]
CurrencyCode = Annotated[str, AfterValidator(check_currency)]
TranslatedText = Annotated[dict[str, str], AfterValidator(check_translated)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


SchemaT = TypeVar("SchemaT", bound=Schema)

_GENERIC = {
    "missing": lazy("This field is required."),
    "string_too_short": lazy("This is too short."),
    "string_too_long": lazy("This is too long."),
    "extra_forbidden": lazy("Unknown field."),
    "value_error": None,  # our own validators: their message is the msgid
    "literal_error": lazy("Not one of the allowed values."),
    "string_pattern_mismatch": lazy("Use 3 to 64 lowercase letters, digits and hyphens."),
    "enum": lazy("Not one of the allowed values."),
    "date_from_datetime_parsing": lazy("Not a valid date (use YYYY-MM-DD)."),
    "date_parsing": lazy("Not a valid date (use YYYY-MM-DD)."),
    "date_type": lazy("Not a valid date (use YYYY-MM-DD)."),
    "greater_than_equal": lazy("This number is too small."),
    "greater_than": lazy("This number is too small."),
    "less_than_equal": lazy("This number is too large."),
    "too_long": lazy("Too many items."),
}


def field_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        kind = item["type"]
        if kind == "value_error":
            message = str(item.get("ctx", {}).get("error", item["msg"]))
        else:
            message = _GENERIC.get(kind) or lazy("Wrong type or format.")
        errors.setdefault(location, message)
    return errors


def parse(schema: type[SchemaT], data: Any) -> SchemaT:
    """Validate ``data`` against ``schema`` or raise ``ValidationFailed`` with field messages."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({"body": lazy("Expected a JSON object.")})
    try:
        return schema.model_validate(dict(data))
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
