"""The conversion dashboard in a real browser: the demo organizer opens /reports, the
charts render as accessible SVG, the grouping changes through the form, the CSV downloads;
an exhibitor sees their own booths only. Screenshots land in var/screenshots/ (reports-*.png).

The demo's figures change as the demo grows, so nothing here depends on them: the page is
checked for its structure, and for an explained empty state when there is nothing yet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo.loader import ORGANIZER_EMAIL

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e_helpers import sign_in

EXHIBITOR_EMAIL = "info@tsubame-migaki.example"
NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# What sticks out on the right, for the failure message.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .map(e => [e, e.getBoundingClientRect().right])
  .filter(([e, right]) => right > window.innerWidth + 1)
  .slice(0, 8).map(([e, right]) => `${e.tagName}.${e.className} ${Math.round(right)}`)"""


def expect_figures_or_empty_state(page: Page) -> None:
    """Charts with a title and a description each, or the empty state that explains."""
    empty = page.locator("section[aria-labelledby='key-figures'] p.empty")
    if empty.count():
        expect(empty).to_be_visible()
        return
    charts = page.locator("svg.report-chart[role='img']")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        chart = charts.nth(index)
        labelled_by = (chart.get_attribute("aria-labelledby") or "").split()
        assert len(labelled_by) == 2, labelled_by
        for ident in labelled_by:
            assert (chart.locator(f"[id='{ident}']").text_content() or "").strip()


def test_organizer_reads_the_dashboard_and_downloads_the_csv(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    sign_in(page, ORGANIZER_EMAIL)
    page.locator("nav.site-nav a[href='/reports']").click()
    expect(page).to_have_url(f"{live_server}/reports")
    expect(page.locator("dl.report-tiles > div")).to_have_count(7)
    expect(page.locator("section[aria-labelledby='targets-title'] tbody tr")).to_have_count(3)
    expect(page.locator("section.report-definitions dt").first).to_be_visible()
    expect_figures_or_empty_state(page)
    page.screenshot(path=str(screenshot_dir / "reports-dashboard-1280.png"), full_page=True)

    # The form is a GET: the grouping lands in the URL, so the view can be shared.
    form = page.locator("form.report-filters")
    form.locator("select[name='group_by']").select_option("booth")
    form.locator("button[type='submit']").click()
    expect(page).to_have_url(f"{live_server}/reports?fair=&from=&to=&group_by=booth")
    expect(form.locator("select[name='group_by']")).to_have_value("booth")
    expect_figures_or_empty_state(page)

    with page.expect_download() as info:
        page.locator("a[href^='/reports/conversion.csv']").click()
    download = info.value
    assert download.suggested_filename == "kakehashi-conversion-by-booth.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeffkey,label,visits,booked,")
    assert text.splitlines()[-1].startswith('"total",')  # every text cell quoted (issue 16)

    # A phone: the page itself never scrolls sideways; wide tables scroll in their frame.
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "reports-dashboard-360.png"), full_page=True)
    assert page.evaluate(NO_PAGE_SCROLL), page.evaluate(WIDEST)


def test_exhibitor_sees_only_their_own_booths(page: Page, live_server: str) -> None:
    sign_in(page, EXHIBITOR_EMAIL)
    page.goto("/reports")
    expect(page.locator("p.report-own")).to_be_visible()
    expect(page.locator("dl.report-tiles > div")).to_have_count(7)
    expect_figures_or_empty_state(page)
