"""The six UI languages: choosing one per request, gettext catalogs, babel formatting."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import NullTranslations, Translations
from babel.units import format_unit

LANGUAGES: tuple[str, ...] = ("ja", "en", "zh_Hans", "zh_Hant", "vi", "th")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: dict[str, str] = {
    "ja": "日本語",
    "en": "English",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
    "vi": "Tiếng Việt",
    "th": "ไทย",
}
LOCALE_DIR = Path(__file__).parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)

# Browsers send region tags; Chinese script follows the region when no script is given.
_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}


def html_lang(language: str) -> str:
    """BCP 47 tag for ``<html lang>``: ``zh_Hans`` → ``zh-Hans``."""
    return language.replace("_", "-")


def from_tag(tag: str) -> str | None:
    """Map one language tag (``zh-TW``, ``vi-VN``, ``zh_Hans``) to a supported language."""
    parts = [p.lower() for p in tag.replace("_", "-").split("-") if p]
    if not parts:
        return None
    primary = parts[0]
    if primary == "zh":
        rest = set(parts[1:])
        if "hant" in rest or rest & _TRADITIONAL_REGIONS:
            return "zh_Hant"
        return "zh_Hans"
    return primary if primary in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Supported languages from an Accept-Language header, best first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language = from_tag(tag.strip())
        if language and quality > 0:
            weighted.append((-quality, index, language))
    seen: list[str] = []
    for _q, _i, language in sorted(weighted):
        if language not in seen:
            seen.append(language)
    return seen


def choose_language(
    *,
    user_locale: str | None,
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
) -> str:
    """The signed-in user's choice, else ``?lang=``, else the switcher's cookie, else the
    browser's Accept-Language, else English."""
    for candidate in (user_locale, query, cookie):
        if candidate in LANGUAGES:
            return candidate
    preferred = parse_accept_language(accept_language)
    return preferred[0] if preferred else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as fp:
        return Translations(fp=fp, domain="messages")


def current_language() -> str:
    return _current.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def set_language(language: str) -> None:
    """Set the language for the rest of this task (one request)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    return translations(current_language()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ungettext(singular, plural, n)


def lazy(message: str) -> str:
    """Mark a msgid for extraction; it is translated where it is shown."""
    return message


_ = gettext


def pick_text(texts: Mapping[str, str] | None, language: str | None = None) -> tuple[str, str]:
    """A translated text in the viewer's language, else English, else Japanese.

    Returns the text and the language it is in, so a page can say "shown in Japanese".
    """
    if not texts:
        return "", language or current_language()
    for candidate in (language or current_language(), "en", "ja", *LANGUAGES):
        if texts.get(candidate):
            return texts[candidate], candidate
    return "", language or current_language()


def babel_locale(language: str | None = None) -> Locale:
    return _locale(language or current_language())


# Babel's locales and formatting are pure but slow (a page of prices asked babel hundreds
# of times for the same few answers): kept per process, keyed by everything they depend on.
@lru_cache(maxsize=64)
def _locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def format_datetime(value: datetime, tz: str, fmt: str = "medium") -> str:
    return babel_dates.format_datetime(value, fmt, tzinfo=ZoneInfo(tz), locale=babel_locale())


def format_when(value: datetime, tz: str, date_fmt: str = "full") -> str:
    """A meeting time as people write it: the date in ``date_fmt``, the time to the minute
    (babel's own date-time formats carry seconds), joined the locale's way."""
    # Kept: pages show the same few times again and again (the directory's next free
    # times, a booth's slots) and babel takes some 0.1 ms for each. Keyed by the UTC
    # instant: two local times that differ only in their fold (the hour a clock change
    # repeats) compare equal.
    return _format_when(value.astimezone(UTC), tz, date_fmt, current_language())


@lru_cache(maxsize=4096)
def _format_when(value: datetime, tz: str, date_fmt: str, language: str) -> str:
    local = value.astimezone(ZoneInfo(tz))
    locale = babel_locale(language)
    day = babel_dates.format_date(local.date(), date_fmt, locale=locale)
    clock = babel_dates.format_time(local, "short", tzinfo=ZoneInfo(tz), locale=locale)
    pattern = str(locale.datetime_formats.get(date_fmt, "{1} {0}"))
    return pattern.replace("'", "").format(clock, day)


def format_date(value: date, fmt: str = "medium") -> str:
    return babel_dates.format_date(value, fmt, locale=babel_locale())


def format_time(value: datetime, tz: str, fmt: str = "short") -> str:
    return babel_dates.format_time(value, fmt, tzinfo=ZoneInfo(tz), locale=babel_locale())


# The key of a number that babel's formatting depends on: an int itself, a float or Decimal
# by its text (Decimal("-0") == Decimal("0") and 0.0 == -0.0, and babel writes the sign);
# other kinds (a bool, a subclass) are not kept.
_KINDS = frozenset({int, float, Decimal})
Number = int | float | Decimal


def _key(value: Number) -> int | str:
    return value if type(value) is int else str(value)


def _value(kind: type[Number], key: int | str) -> Number:
    return key if kind is int else kind(key)  # type: ignore[return-value]


def format_number(value: Number) -> str:
    kind = type(value)
    if kind in _KINDS:
        return _number(kind, _key(value), current_language())
    return babel_numbers.format_decimal(value, locale=babel_locale())


@lru_cache(maxsize=4096)
def _number(kind: type[Number], key: int | str, language: str) -> str:
    return babel_numbers.format_decimal(_value(kind, key), locale=_locale(language))


def format_currency(value: Number, currency: str) -> str:
    kind = type(value)
    if kind in _KINDS:
        return _currency(kind, _key(value), currency, current_language())
    return babel_numbers.format_currency(value, currency, locale=babel_locale())


@lru_cache(maxsize=4096)
def _currency(kind: type[Number], key: int | str, currency: str, language: str) -> str:
    return babel_numbers.format_currency(_value(kind, key), currency, locale=_locale(language))


def format_percent(value: float | Decimal) -> str:
    return babel_numbers.format_percent(value, "#,##0.0%", locale=babel_locale())


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def format_size(size: int) -> str:
    """A file size in the viewer's units and digits: "850 kB", "2.4 MB"."""
    if size < 1_000_000:
        return format_unit(
            max(1, round(size / 1000)), "digital-kilobyte", "short", locale=babel_locale()
        )
    return format_unit(
        round(size / 1_000_000, 1), "digital-megabyte", "short", locale=babel_locale()
    )


def language_in_viewer(language: str) -> str:
    """A language's name in the viewer's language ("tiếng Anh" for a Vietnamese reader),
    where ``language_name`` gives each language's own name for the switcher."""
    return _language_in(language, current_language())


@lru_cache(maxsize=256)
def _language_in(language: str, viewer: str) -> str:
    try:
        name = Locale.parse(language).get_display_name(_locale(viewer))
    except (ValueError, TypeError):
        name = None
    return name or language_name(language)


def territory_name(code: str) -> str:
    return babel_locale().territories.get(code.upper(), code)


def timezone_label(tz: str) -> str:
    return _timezone_label(tz, current_language())


@lru_cache(maxsize=1024)
def _timezone_label(tz: str, language: str) -> str:
    return babel_dates.get_timezone_location(ZoneInfo(tz), locale=babel_locale(language))


def all_territories() -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 territories babel knows, named in the current language."""
    names = babel_locale().territories
    return sorted(
        ((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )
