"""What the browser tests share: the demo's months, catalog texts, signing in.

Imported only by tests/e2e/, which skip when playwright is missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from fair.demo import DEMO_PASSWORD

LOCALE_DIR = Path(__file__).resolve().parents[1] / "fair/locale"


def this_month() -> datetime:
    return datetime.now(UTC).replace(day=1)


def next_month() -> datetime:
    """The first day of next month, the way the demo finds next month's fair."""
    return (datetime.now(UTC).replace(day=1) + timedelta(days=32)).replace(day=1)


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
    expect(page.locator("nav.site-nav form[action='/logout']")).to_be_visible()
