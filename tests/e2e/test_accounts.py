"""Accounts in the browser, on the demo server (issue 17): a buyer who forgot her password
gets the mailed link (read from the server's mail folder), sets a new one and signs in with
it; a colleague of an exhibitor company takes over a meeting a buyer booked at its booth and
is then the one who meets the buyer."""

from __future__ import annotations

import os
import re
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo.loader import COLLEAGUE_EMAIL, COLLEAGUE_NAME

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e_helpers import page_language, sign_in, translate
from e2e_server import Served

FORGETFUL = "pimchanok.c@chaophraya-beauty.example"  # a Thai buyer no other test signs in as
NEW_PASSWORD = "lotus river lantern 2027"
BUYER = "ha.nguyen@saomai-import.example"  # Vietnamese
ROOM = re.compile(r"/meetings/(\w+)/room\?booked=1$")
LINK = re.compile(r"https?://\S+/password-reset/\S+")


def link_mailed_to(folder: Path, address: str, seen: set[Path]) -> str:
    """The reset link of the first message to ``address`` that holds one, written after
    ``seen`` (the demo's own mail to her, a proposal's, may arrive meanwhile); the server's
    job runner sends it shortly after the request, so the folder is polled until it is
    there."""
    deadline = time.monotonic() + 30
    while True:
        for path in sorted(set(folder.glob("*.eml")) - seen):
            message = message_from_bytes(path.read_bytes())
            found = LINK.search(body_of(message)) if message["To"] == address else None
            if found:
                return found.group(0)
        if time.monotonic() > deadline:
            pytest.fail(f"no mail to {address} in {folder}")
        time.sleep(0.1)  # polling the folder, not waiting for the UI


def body_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def test_a_buyer_resets_a_forgotten_password_from_the_mailed_link(
    page: Page, served: Served
) -> None:
    assert served.mail_dir is not None
    seen = set(served.mail_dir.glob("*.eml"))
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    form = page.locator("form[action='/password-reset']")
    form.get_by_label("E-mail address", exact=True).fill(FORGETFUL)
    form.get_by_role("button", name="Send the link").click()

    link = link_mailed_to(served.mail_dir, FORGETFUL, seen)
    page.goto(urlsplit(link).path)
    lang = page_language(page)  # the link's page may already speak her language
    page.get_by_label(translate(lang, "New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=translate(lang, "Set the new password")).click()
    expect(page).to_have_url(re.compile(r"/login\?done=reset$"))

    form = page.locator("form[action='/login']")
    form.get_by_label("E-mail address", exact=True).fill(FORGETFUL)
    form.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.site-header form[action='/logout']")).to_be_visible()
    assert page_language(page) == "th"  # her own language once signed in


def test_a_colleague_takes_over_a_meeting_and_hosts_it(page: Page, served: Served) -> None:
    sign_in(page, BUYER)
    fairs = page.request.get("/api/fairs").json()["fairs"]
    fair = next(f for f in fairs if f["slug"].startswith("open-day-") and f["phase"] == "live")
    booths = page.request.get(f"/api/fairs/{fair['slug']}/booths").json()["booths"]
    booth = next(b["id"] for b in booths if b["company"]["en"].startswith("Tsubame"))
    page.goto(f"/booths/{booth}/book")
    page.locator("form.slot-form").first.get_by_role("button").click()
    expect(page).to_have_url(ROOM)
    meeting_id = urlsplit(page.url).path.split("/")[2]

    page.context.clear_cookies()
    sign_in(page, COLLEAGUE_EMAIL)
    lang = page_language(page)
    me = page.request.get("/api/me").json()
    page.goto(f"/meetings/{meeting_id}/room")
    host = page.locator("section#host")
    host.get_by_label(translate(lang, "Hand to a colleague")).select_option(label=COLLEAGUE_NAME)
    host.get_by_role("button", name=translate(lang, "Hand over the meeting")).click()
    expect(page.locator("section#host")).to_contain_text(COLLEAGUE_NAME)
    shown = page.request.get(f"/api/meetings/{meeting_id}").json()
    assert shown["host_id"] == me["id"]
    # Her own meetings list it: she is the one who meets the buyer now.
    page.goto("/my/meetings")
    expect(page.locator(f"a[href^='/meetings/{meeting_id}']").first).to_be_visible()
