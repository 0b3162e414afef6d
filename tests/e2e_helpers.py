"""What the browser tests share: the demo's fairs found by phase, the phases of a month,
catalog texts, signing in.

Imported only by tests/e2e/, which skip when playwright is missing."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from demo.loader import DEMO_PASSWORD
from fair.fairs.phase import monthly_dates
from meetings.goodhours import Party, holiday

LOCALE_DIR = Path(__file__).resolve().parents[1] / "fair/locale"
TOKYO = ZoneInfo("Asia/Tokyo")
MONTHLY = re.compile(r"\d{4}-\d{2}")
OPEN = {"booking", "live"}
# The demo's booths are in Japan; the meeting tests' buyer is in China.
PARTIES = (Party("Asia/Tokyo", "JP"), Party("Asia/Shanghai", "CN"))


def fairs(page: Page) -> list[dict[str, Any]]:
    """The published fairs, soonest first, with their phase at the server's now."""
    listed = page.request.get("/api/fairs").json()["fairs"]
    return sorted(listed, key=lambda f: (f["starts_on"], f["slug"]))


def current_fair(page: Page) -> dict[str, Any]:
    """The demo's current fair: the first monthly fair not over yet."""
    return next(f for f in fairs(page) if MONTHLY.fullmatch(f["slug"]) and f["phase"] != "closed")


def following_fair(page: Page) -> dict[str, Any]:
    """The monthly fair after the current one (some of its booths wait for review)."""
    monthly = [f for f in fairs(page) if MONTHLY.fullmatch(f["slug"]) and f["phase"] != "closed"]
    return monthly[1]


def bookable_fair(page: Page) -> dict[str, Any]:
    """Where the demo's buyers book now: the current fair once its booking has opened, else
    the open day (live whenever the demo was loaded)."""
    current = current_fair(page)
    if current["phase"] in OPEN:
        return current
    return next(f for f in fairs(page) if f["slug"].startswith("open-day-") and f["phase"] in OPEN)


def fair_title(fair: dict[str, Any], lang: str) -> str:
    return str(fair["title"].get(lang) or fair["title"]["en"])


# The phases of a month ---------------------------------------------------------------------


def _working_day(day: date) -> bool:
    return day.isoweekday() <= 5 and all(holiday(party, day) is None for party in PARTIES)


def _any_working(first: date, last: date) -> bool:
    return any(_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def month_phases(today: date) -> dict[str, datetime]:
    """An instant after ``today`` in each phase of the programme's month, the first one whose
    bookable days leave a working day in both Japan and China (so that the picker has best
    times for both): a fair taking bookings before it starts, a fair's first day, and a day
    between a fair's end and the next fair's booking opening (the demo's open day is then the
    only fair taking bookings; it runs a week)."""
    found: dict[str, datetime] = {}
    year, month = today.year, today.month
    for _ in range(36):
        starts, ends, opens = monthly_dates(year, month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        following_opens = monthly_dates(year, month)[2]
        if opens + timedelta(days=3) > today and _any_working(starts, ends):
            found.setdefault("booking", _at(opens + timedelta(days=3), 11))
        if starts > today and _any_working(starts + timedelta(days=1), ends):
            found.setdefault("fair-day", _at(starts, 10, 30))
        gap = ends + timedelta(days=1)
        if gap > today and gap < following_opens and _any_working(gap, gap + timedelta(days=6)):
            found.setdefault("no-fair-booking", _at(gap, 11))
        if len(found) == 3:
            return found
    raise AssertionError(f"no instant for every phase in the three years after {today}")


def translate(lang: str, msgid: str) -> str:
    """``msgid`` in ``lang`` from the catalog; English is the msgid itself."""
    if lang == "en":
        return msgid
    catalog_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with catalog_path.open("rb") as fp:
        message = read_po(fp, locale=lang).get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated in {lang}"
    return str(message.string)


def page_language(page: Page) -> str:
    """The catalog name of the page's language: html lang "zh-Hans" is catalog "zh_Hans"."""
    return (page.locator("html").get_attribute("lang") or "en").replace("-", "_")


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    form = page.locator("form[action='/login']")
    form.get_by_label("E-mail address", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.site-header form[action='/logout']")).to_be_visible()
