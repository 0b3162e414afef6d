"""Meetings in a real browser: a buyer booking a time at a booth of the fair that takes
bookings and cancelling it, a visitor seeing the times in the browser's own zone, the
exhibitor closing a weekday. Screenshots land in var/screenshots/ (meetings-*.png).

Every test runs on four demo servers: one at the real time, and one loaded (and running) at
an instant in each phase of a month (a fair taking bookings, a fair's first day, a day no
monthly fair takes bookings, when the demo's open days do), so that none depends on today."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from demo.data import BUYERS, EXHIBITORS, Exhibitor

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e_helpers import bookable_fair, month_phases, page_language, sign_in, translate
from e2e_server import Served, demo_server, new_context

from fair import clock

# A Chinese buyer without demo meetings, so that no time of theirs is taken already.
BUYER = next(b for b in BUYERS if b.email == "zhao.min@kangning-medical.example")
# Bookings go to Seki; the hours test changes Tsubame's week, so neither disturbs the other.
BOOKED = next(e for e in EXHIBITORS if e.email == "sales@sekikaji.example")
HOURS_OWNER = next(e for e in EXHIBITORS if e.email == "info@tsubame-migaki.example")
EXHIBITOR_ZONE = "Asia/Tokyo"  # the demo booths' meeting hours
NOTE = "Samples for our 40 clinics, please."


PHASES = {"today": None, **month_phases(clock.now().astimezone(ZoneInfo("Asia/Tokyo")).date())}


@pytest.fixture(scope="module", params=list(PHASES))
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo server at the real time, then at an instant in each phase of a month (these
    without the past year, which the booking pages do not show)."""
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    instant = PHASES[request.param]
    with demo_server(tmp, tmp / "e2e.db", now=instant, history=instant is None) as server:
        yield server


def booth_path(page: Page, exhibitor: Exhibitor) -> str:
    """The exhibitor's booth in the fair that takes bookings now, through the directory."""
    page.goto(f"/fairs/{bookable_fair(page)['slug']}/booths?lang=en")
    link = page.locator("li.booth-card a.card-link", has_text=exhibitor.company["en"])
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert href and re.fullmatch(r"/booths/\w+", href), href
    return href


def hh_mm(iso: str, zone: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%H:%M")


def slot_starts(page: Page) -> list[str]:
    """The ISO start of every slot the picker offers (a slot may be listed twice)."""
    return page.locator("form.slot-form input[name=start]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )


def book_best_time(page: Page, booth: str) -> tuple[str, str]:
    """As the signed-in buyer, book the first of the best times with a note; returns the
    meeting page's path and the slot's ISO start."""
    page.goto(f"{booth}/book")
    lang = page_language(page)
    best = page.locator("section.best-times")
    expect(best.get_by_role("heading", level=2)).to_have_text(
        translate(lang, "Best times for both of you")
    )
    slot = best.locator("form.slot-form").first
    start = slot.locator("input[name=start]").get_attribute("value") or ""
    assert datetime.fromisoformat(start).tzinfo is not None, start
    page.get_by_label(translate(lang, "A note for the exhibitor (optional)")).fill(NOTE)
    slot.get_by_role("button").click()

    expect(page).to_have_url(re.compile(r"/meetings/\w+/room\?booked=1$"))
    return urlsplit(page.url).path, start


@pytest.fixture
def chicago_page(browser: Any, served: Served) -> Iterator[Page]:
    """A visitor without an account whose computer is set to Chicago time."""
    context = new_context(
        browser,
        served,
        locale="en-US",
        timezone_id="America/Chicago",
        viewport={"width": 390, "height": 844},
    )
    try:
        yield context.new_page()
    finally:
        context.close()


# ---------- buyers ----------


def test_buyer_books_a_best_time_and_finds_it_in_my_meetings(
    page: Page, screenshot_dir: Path
) -> None:
    booth = booth_path(page, BOOKED)
    sign_in(page, BUYER.email)
    page.goto(f"{booth}/book")
    lang = page_language(page)
    assert lang == BUYER.locale

    # The buyer's own zone, and beside each time the exhibitor's.
    expect(page.locator("#f-tz")).to_have_value(BUYER.timezone)
    slot = page.locator("section.best-times button.slot").first
    start = (
        page.locator("section.best-times form.slot-form").first.locator("input[name=start]")
    ).get_attribute("value") or ""
    expect(slot.locator(".slot-time")).to_have_text(hh_mm(start, BUYER.timezone))
    expect(slot.locator(".slot-booth")).to_have_text(
        translate(lang, "%(time)s for the exhibitor") % {"time": hh_mm(start, EXHIBITOR_ZONE)}
    )
    expect(slot.locator(".slot-mark")).to_have_text("★ " + translate(lang, "good for both"))
    page.screenshot(path=screenshot_dir / "meetings-picker-zh.png", full_page=True)

    meeting, booked_start = book_best_time(page, booth)
    assert booked_start == start
    expect(page.get_by_role("status")).to_have_text(
        translate(lang, "Your meeting is booked. An invitation is on its way to your e-mail.")
    )
    expect(page.locator(".badge.meeting-confirmed")).to_have_text(translate(lang, "Confirmed"))
    expect(page.locator("dl.facts")).to_contain_text(NOTE)  # carried over by booking.js
    page.screenshot(path=screenshot_dir / "meetings-booked-zh.png", full_page=True)

    invite = page.locator("a[href$='/invite.ics']")
    expect(invite).to_have_text(translate(lang, "Add to my calendar (.ics)"))
    response = page.request.get(invite.get_attribute("href") or "")
    assert response.ok
    assert response.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.body()

    page.goto("/my/meetings")
    row = page.locator("section.meeting-day table.meetings tbody tr").filter(
        has=page.locator(f"a[href='{meeting}']")
    )
    expect(row).to_have_count(1)
    expect(row.locator(".badge.meeting-confirmed")).to_be_visible()
    expect(row).to_contain_text(hh_mm(start, EXHIBITOR_ZONE))
    page.screenshot(path=screenshot_dir / "meetings-my-zh.png", full_page=True)


def test_buyer_cancels_a_meeting_and_the_time_is_offered_again(
    page: Page, screenshot_dir: Path
) -> None:
    booth = booth_path(page, BOOKED)
    sign_in(page, BUYER.email)
    meeting, start = book_best_time(page, booth)
    lang = page_language(page)
    taken = page.locator(f"form.slot-form input[name=start][value='{start}']")

    page.goto(f"{booth}/book")
    expect(page.locator("form.slot-form").first).to_be_attached()
    expect(taken).to_have_count(0)

    page.goto(meeting)
    box = page.locator("details.cancel-box")
    reason = box.get_by_label(translate(lang, "Reason (the other side sees it)"))
    expect(reason).to_be_hidden()
    box.get_by_text(translate(lang, "Cancel this meeting"), exact=True).click()
    reason.fill("Our buyer is travelling that week.")
    page.screenshot(path=screenshot_dir / "meetings-cancel-zh.png", full_page=True)
    box.get_by_role("button", name=translate(lang, "Cancel the meeting")).click()

    expect(page).to_have_url(re.compile(re.escape(meeting) + "$"))
    expect(page.locator(".badge.meeting-cancelled")).to_have_text(translate(lang, "Cancelled"))
    expect(page.locator("dl.facts")).to_contain_text("Our buyer is travelling that week.")
    expect(page.locator("details.cancel-box")).to_have_count(0)

    page.goto(f"{booth}/book")
    expect(taken.first).to_be_attached()


def test_visitor_sees_the_times_in_the_browsers_zone(
    chicago_page: Page, screenshot_dir: Path
) -> None:
    page = chicago_page
    booth = booth_path(page, BOOKED)
    page.goto(f"{booth}/book")

    # Without an account the page asks the browser for its zone and shows the times in it.
    expect(page).to_have_url(re.compile(r"[?&]tz=America%2FChicago(&|$)"))
    expect(page.locator("#f-tz")).to_have_value("America/Chicago")
    expect(page.get_by_role("link", name="Sign in as a buyer to book a meeting.")).to_be_visible()
    # A visitor's slots lead to the sign-in page, keeping the zone for the way back.
    first = page.locator("a.slot").first
    start = first.get_attribute("data-start") or ""
    expect(first).to_have_attribute("href", re.compile(r"^/login\?next="))
    expect(first.locator(".slot-time")).to_have_text(hh_mm(start, "America/Chicago"))
    expect(first.locator(".slot-booth")).to_have_text(
        f"{hh_mm(start, EXHIBITOR_ZONE)} for the exhibitor"
    )

    shown = page.locator("a.slot").evaluate_all(
        """slots => slots.map(slot => [
            slot.dataset.start,
            slot.querySelector(".slot-time").textContent.trim(),
        ])"""
    )
    assert shown
    assert [time for _, time in shown] == [hh_mm(iso, "America/Chicago") for iso, _ in shown]
    # Each day heading is a Chicago date: the slots under it start on that date there.
    for section in page.locator("section.slot-day").all():
        iso = section.locator("a.slot").first.get_attribute("data-start") or ""
        day = datetime.fromisoformat(iso).astimezone(ZoneInfo("America/Chicago"))
        expect(section.get_by_role("heading", level=2)).to_contain_text(f"{day:%B} {day.day},")
    page.screenshot(path=screenshot_dir / "meetings-picker-chicago-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# ---------- exhibitors ----------


def test_exhibitor_closes_a_weekday_and_the_picker_drops_it(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    booth = booth_path(page, HOURS_OWNER)
    sign_in(page, HOURS_OWNER.email)

    def weekdays_offered() -> set[int]:
        page.goto(f"{booth}/book")
        expect(page.locator("form.slot-form, p.notice").first).to_be_visible()
        return {
            datetime.fromisoformat(iso).astimezone(ZoneInfo(EXHIBITOR_ZONE)).isoweekday()
            for iso in slot_starts(page)
        }

    before = weekdays_offered()
    assert before, "the bookable fair's booth offers no times"
    closed = min(before)

    page.goto(f"{booth}/manage/hours")
    lang = page_language(page)
    day_name = Locale.parse(lang).days["format"]["wide"][closed - 1]
    day = page.get_by_role("checkbox", name=day_name, exact=True)
    expect(day).to_be_checked()
    day.uncheck()
    page.locator("form[action$='/manage/hours']").get_by_role(
        "button", name=translate(lang, "Save")
    ).click()

    expect(page).to_have_url(f"{live_server}{booth}/manage/hours?saved=1")
    expect(page.get_by_role("status")).to_have_text(translate(lang, "Saved."))
    expect(page.get_by_role("checkbox", name=day_name, exact=True)).not_to_be_checked()
    page.screenshot(path=screenshot_dir / "meetings-hours-saved.png", full_page=True)

    after = weekdays_offered()
    assert closed not in after
    assert after == before - {closed}
