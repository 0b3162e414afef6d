"""The time-zone choice of the profile form: the programme's usual zones first, then every
IANA zone by region, each named by its city in the reader's language beside its IANA name."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location

from fair.i18n import babel_locale, current_language, gettext, lazy

# The zones of the programme's exhibitors and its buyers' main countries (Japan, China,
# Vietnam, Taiwan, Thailand, the US) and their neighbours, offered first.
COMMON_TIMEZONES = (
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Ho_Chi_Minh",
    "Asia/Taipei",
    "Asia/Bangkok",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Jakarta",
    "Asia/Manila",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)

# The IANA database's regions, in its own names; its other entries ("US/Eastern", "Japan",
# "Etc/GMT+5") are old aliases, accepted when typed but not offered.
REGIONS = {
    "Africa": lazy("Africa"),
    "America": lazy("Americas"),
    "Antarctica": lazy("Antarctica"),
    "Arctic": lazy("Arctic"),
    "Asia": lazy("Asia"),
    "Atlantic": lazy("Atlantic Ocean"),
    "Australia": lazy("Australia"),
    "Europe": lazy("Europe"),
    "Indian": lazy("Indian Ocean"),
    "Pacific": lazy("Pacific Ocean"),
}

Option = tuple[str, str]  # (IANA name, label)


def _label(zone: str) -> str:
    if zone == "UTC":
        return "UTC"
    city = get_timezone_location(ZoneInfo(zone), locale=babel_locale(), return_city=True)
    return f"{city} ({zone})"


@cache
def _groups(language: str) -> tuple[tuple[str, tuple[Option, ...]], ...]:
    by_region: dict[str, list[Option]] = {region: [] for region in REGIONS}
    for zone in available_timezones():
        region = zone.split("/")[0]
        if region in by_region:
            by_region[region].append((zone, _label(zone)))
    common = (gettext("Frequently used"), tuple((z, _label(z)) for z in COMMON_TIMEZONES))
    regions = (
        (gettext(REGIONS[region]), tuple(sorted(options, key=lambda option: option[1])))
        for region, options in by_region.items()
    )
    return (common, *regions)


def timezone_groups() -> tuple[tuple[str, tuple[Option, ...]], ...]:
    """(group label, ((zone, label), ...)) for a ``<select>`` with ``<optgroup>``s, in the
    current language (made once per language)."""
    return _groups(current_language())


@cache
def _offered() -> frozenset[str]:
    zones = {zone for zone in available_timezones() if zone.split("/")[0] in REGIONS}
    return frozenset(zones | set(COMMON_TIMEZONES))


def offered(zone: str) -> bool:
    """Whether the form lists ``zone`` (an account may hold an alias typed at sign-up)."""
    return zone in _offered()
