"""Conversations in the browser, on a phone (360 px): a buyer messages a company from its
booth page in Thai; the exhibitor sees the unread count in the menu, opens the thread in
Japanese and answers; nothing is wider than the window."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from e2e_helpers import sign_in
from e2e_server import new_context
from playwright.sync_api import Page, expect

BUYER = "emily.carter@pacificrim-kitchen.example"
EXHIBITOR = "info@arita-hakujigama.example"
PHONE = {"width": 360, "height": 800}


def _language(page: Page, code: str) -> None:
    page.goto("/my/meetings")
    page.locator("#lang-select").select_option(code)
    page.locator("form.lang-switch button").click()


def _fits(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (where, width)


def test_a_buyer_messages_a_company_and_it_answers_on_a_phone(
    browser: Any, served: Any, screenshot_dir: Path
) -> None:
    exhibitor = new_context(browser, served, viewport=PHONE)
    buyer = new_context(browser, served, viewport=PHONE)
    try:
        company = exhibitor.new_page()
        sign_in(company, EXHIBITOR)
        booths = company.request.get("/api/me/booths").json()["booths"]
        booth_id = next(b["id"] for b in booths if b["status"] == "approved")

        page = buyer.new_page()
        sign_in(page, BUYER)
        _language(page, "th")
        page.goto(f"/booths/{booth_id}")
        page.locator("form[action='/messages/start'] button").click()
        expect(page).to_have_url(re.compile(r"/messages/[0-9a-f]{32}$"))
        _fits(page, "new thread")
        page.locator("#f-body").fill("สวัสดีครับ สนใจจานพอร์ซเลนสำหรับร้านอาหาร 500 ใบ")
        page.locator("form.stack button[type=submit]").last.click()
        expect(page.locator("ol.messages li.mine .body")).to_have_text(
            "สวัสดีครับ สนใจจานพอร์ซเลนสำหรับร้านอาหาร 500 ใบ"
        )
        _fits(page, "thread")
        page.screenshot(path=screenshot_dir / "conversation-buyer-th.png", full_page=True)

        _language(company, "ja")
        expect(company.locator(".site-nav .unread-count")).to_contain_text("1")
        company.goto("/messages")
        expect(company.locator("ul.conversations li.unread")).to_have_count(1)
        _fits(company, "list")
        company.locator("ul.conversations li.unread a").first.click()
        expect(company.locator("ol.messages .body").first).to_contain_text("สวัสดีครับ")
        company.locator("#f-body").fill("お問い合わせありがとうございます。見本をお送りします。")
        company.locator("form.stack button[type=submit]").last.click()
        expect(company.locator("ol.messages li.mine .body")).to_have_text(
            "お問い合わせありがとうございます。見本をお送りします。"
        )
        expect(company.locator(".site-nav .unread-count")).to_have_count(0)
        _fits(company, "answer")
        company.screenshot(path=screenshot_dir / "conversation-exhibitor-ja.png", full_page=True)
    finally:
        exhibitor.close()
        buyer.close()
