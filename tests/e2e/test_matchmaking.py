"""Matchmaking in the browser, on the demo server (issue 18): (a) a buyer says what they look
for and books a meeting from the fair page's recommendation, recorded as recommended; (b) an
organizer proposes a meeting from the matchmaking console, the exhibitor accepts, the buyer
picks a time and the meeting is booked, recorded as proposed. Each person's pages are in
their own language (the labels come from the catalogs)."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo.loader import ORGANIZER_EMAIL

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e_helpers import page_language, sign_in, translate
from e2e_server import new_context

BUYER = "dbrooks@hudson-home-imports.example"  # English
PROPOSED_BUYER = "chen.jianhua@huarui-components.example"  # Simplified Chinese
PROPOSED_BUYER_NAME = "陈建华"
EXHIBITOR = "info@kishu-chemical.example"  # Japanese
ROOM = re.compile(r"/meetings/(\w+)/room\?booked=1$")


def open_day(page: Page) -> dict[str, Any]:
    """The demo's open day: live now, its booths meeting every day."""
    fairs = page.request.get("/api/fairs").json()["fairs"]
    return next(f for f in fairs if f["slug"].startswith("open-day-") and f["phase"] == "live")


def booth_of(page: Page, slug: str, company: str) -> str:
    booths = page.request.get(f"/api/fairs/{slug}/booths").json()["booths"]
    return next(b["id"] for b in booths if b["company"]["en"].startswith(company))


def source_of(page: Page, meeting_id: str) -> str:
    answer = page.request.get(f"/api/meetings/{meeting_id}")
    assert answer.ok, answer.text()
    return answer.json()["source"]


def switch_to(page: Page, email: str) -> str:
    """Sign in as someone else in the same window; returns their pages' language."""
    page.context.clear_cookies()
    sign_in(page, email)
    return page_language(page)


def test_a_buyer_enters_a_need_and_books_from_a_recommendation(
    page: Page, live_server: str
) -> None:
    sign_in(page, BUYER)
    page.goto("/my/needs")
    form = page.locator("form[action='/my/needs']")
    form.get_by_label("What are you looking for? (any language)").fill(
        "Mirror-polished stainless tumblers"
    )
    form.get_by_label("HS codes").fill("9617.00")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{live_server}/my/needs")

    fair = open_day(page)
    page.goto(f"/fairs/{fair['slug']}")
    card = page.locator("section.recommended li.card", has_text="Tsubame")
    expect(card.locator("ul.reasons")).to_contain_text("makes HS 9617.00 that you asked for")
    card.get_by_role("link", name="Book a meeting").click()
    expect(page).to_have_url(re.compile(r"/book\?source=recommended$"))

    page.locator("form.slot-form").first.get_by_role("button").click()
    expect(page).to_have_url(ROOM)
    meeting_id = urlsplit(page.url).path.split("/")[2]
    assert source_of(page, meeting_id) == "recommended"


def test_an_organizer_proposes_from_the_console_and_both_sides_accept(
    page: Page, live_server: str
) -> None:
    sign_in(page, ORGANIZER_EMAIL)
    lang = page_language(page)
    fair = open_day(page)
    booth = booth_of(page, fair["slug"], "Kishu")
    page.goto(f"/organizer/fairs/{fair['slug']}/matchmaking?booth={booth}")
    row = page.locator("table.matches tbody tr", has_text=PROPOSED_BUYER_NAME)
    row.get_by_role("button", name=translate(lang, "Propose a meeting")).click()
    expect(page).to_have_url(re.compile(r"/matchmaking\?sent=1$"))
    expect(page.get_by_role("status")).to_have_text(translate(lang, "Your proposal has been sent."))
    tracked = page.locator("table.proposals tbody tr", has_text=PROPOSED_BUYER_NAME)
    expect(tracked).to_contain_text(translate(lang, "Waiting for answers"))

    # The exhibitor accepts with one button.
    lang = switch_to(page, EXHIBITOR)
    page.goto("/proposals")
    card = page.locator("li.card", has_text=PROPOSED_BUYER_NAME).filter(
        has=page.locator("form[action$='/accept']")
    )
    card.get_by_role("button", name=translate(lang, "Accept"), exact=True).click()
    expect(page).to_have_url(f"{live_server}/proposals")

    # The buyer picks a time: the meeting is booked.
    lang = switch_to(page, PROPOSED_BUYER)
    page.goto("/proposals")
    card = page.locator("li.card").filter(has=page.locator("fieldset.slot-choices"))
    card.locator("input[name=start]").first.check()
    card.get_by_role("button", name=translate(lang, "Accept"), exact=True).click()
    expect(page).to_have_url(ROOM)
    meeting_id = urlsplit(page.url).path.split("/")[2]
    assert source_of(page, meeting_id) == "proposed"

    # The organizer's console shows it booked.
    lang = switch_to(page, ORGANIZER_EMAIL)
    page.goto(f"/organizer/fairs/{fair['slug']}/matchmaking")
    tracked = page.locator("table.proposals tbody tr", has_text=PROPOSED_BUYER_NAME)
    expect(tracked.get_by_role("link", name=translate(lang, "Open the meeting"))).to_have_attribute(
        "href", f"/meetings/{meeting_id}/room"
    )


@pytest.mark.parametrize(
    ("email", "kind"),
    [(ORGANIZER_EMAIL, "console"), (EXHIBITOR, "leads"), (PROPOSED_BUYER, "fair")],
)
def test_the_match_pages_fit_a_phone(browser: Any, served: Any, email: str, kind: str) -> None:
    """The console, a booth's leads and the fair page's recommendations at 360 px, in Thai
    (long words) and Japanese: nothing is wider than the window."""
    context = new_context(browser, served, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, email)
        slug = open_day(page)["slug"]
        path = {
            "console": f"/organizer/fairs/{slug}/matchmaking",
            "leads": f"/booths/{booth_of(page, slug, 'Kishu')}/manage/leads",
            "fair": f"/fairs/{slug}",
        }[kind]
        for code in ("th", "ja"):
            page.goto(path)
            page.locator("#lang-select").select_option(code)
            page.locator("form.lang-switch button").click()
            expect(page.locator("h1")).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (code, path, width)
    finally:
        context.close()
