"""Stored XSS, systematically: every user-written text field holds a hostile payload, written
through the real API by its real author; every page, export and mail that shows the field is
fetched; nothing of the payload may come out as markup, and its escaped text must be there (so
a field that silently stops being shown fails too).

The table ``SHOWN`` is the contract: field tag -> the views that must show it."""

from __future__ import annotations

import csv
import email
import io
import zipfile
from email import policy
from pathlib import Path
from xml.etree import ElementTree

import pytest
from icalendar import Calendar
from markupsafe import escape
from security_helpers import (
    HTML,
    REJECTED_SLUG,
    SLUG,
    World,
    build_world,
    escaped_marker,
    markup_problems,
    payload,
    tags_shown,
)

from fair import outbox
from fair.i18n import LANGUAGES
from fair.resources import job_context, of_app
from kakehashi import jobs

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


@pytest.fixture
async def world(app, session):
    built = await build_world(app, session)
    yield built
    await built.close()


# --- the contract: which views show which field ----------------------------------------------
# Public pages are read anonymously in each of the six languages; a translated field ("*")
# must show that language's text there. Signed-in viewers read English (their locale); the
# editor pages show every language's text at once ("all").

BOOTH, PRODUCT = "/booths/{booth}", "/booths/{booth}/products/{product}"
DIRECTORY, SEARCH = "/fairs/{slug}/booths?", "/fairs/{slug}/booths?q=alert&"
PUBLIC_TRANSLATED: dict[str, list[str]] = {
    "fair": ["/?", "/fairs/{slug}?", DIRECTORY, BOOTH + "?"],
    "fairdesc": ["/fairs/{slug}?"],
    "fairb": ["/?", "/fairs/{rejected_slug}?"],
    "fairbdesc": ["/fairs/{rejected_slug}?"],
    "company": [DIRECTORY, BOOTH + "?", PRODUCT + "?", BOOTH + "/book?"],
    "tagline": [DIRECTORY, BOOTH + "?"],
    "story": [BOOTH + "?"],
    "product": [SEARCH, BOOTH + "?", PRODUCT + "?"],
    "pdesc": [BOOTH + "?", PRODUCT + "?"],
    "photo": [PRODUCT + "?"],  # the photo belongs to the product
    "brochure": [BOOTH + "?"],
}
PUBLIC_PLAIN: dict[str, list[str]] = {"city": [BOOTH + "?"], "cert": [BOOTH + "?"]}

ROOM = {m: f"/meetings/{{{m}}}/room" for m in ("booked", "cancelled", "held", "live")}
# tag (``-en`` or ``-all`` for translated fields) -> (viewer, path) that must show it.
SIGNED_IN: dict[str, list[tuple[str, str]]] = {
    "fair-en": [
        ("exhibitor", "/my/booths"),
        ("exhibitor", "/fairs/{slug}/booths/new"),
        ("exhibitor", "/booths/{booth}/edit"),
        ("exhibitor", "/booths/{booth}/manage/media"),
        ("organizer", "/review/booths?status=approved"),
        ("organizer", "/reports"),
        ("staff", "/reports?group_by=booth"),
    ],
    "fairb-en": [("organizer", "/review/booths?status=rejected"), ("exhibitor", "/my/booths")],
    "company-all": [("exhibitor", "/booths/{booth}/edit")],
    "tagline-all": [("exhibitor", "/booths/{booth}/edit")],
    "story-all": [("exhibitor", "/booths/{booth}/edit")],
    "product-all": [("exhibitor", "/booths/{booth}/manage/products/{product}")],
    "pdesc-all": [("exhibitor", "/booths/{booth}/manage/products/{product}")],
    "photo-all": [("exhibitor", "/booths/{booth}/manage/media")],
    "brochure-all": [("exhibitor", "/booths/{booth}/manage/media")],
    "company-en": [
        ("exhibitor", "/booths/{booth}/manage/products"),
        ("exhibitor", "/my/meetings"),
        ("exhibitor", "/booths/{booth}/manage/hours"),
        ("buyer", "/my/meetings"),
        ("buyer", "/meetings/{booked}/reschedule"),
        ("organizer", "/review/attendance"),
        ("organizer", "/review/booths?status=approved"),
        ("organizer", "/reports?group_by=booth"),
        *(
            (viewer, room)
            for viewer in ("exhibitor", "buyer", "organizer")
            for room in ROOM.values()
        ),
    ],
    "tagline-en": [("organizer", "/review/booths?status=approved")],
    "product-en": [
        ("exhibitor", "/booths/{booth}/manage/products"),
        ("exhibitor", "/booths/{booth}/manage/analytics"),
        ("exhibitor", "/booths/{booth}/manage/media"),
        ("exhibitor", ROOM["held"]),
        ("exhibitor", ROOM["live"]),
        ("buyer", ROOM["live"]),
    ],
    "city": [("exhibitor", "/booths/{booth}/edit")],
    "cert": [("exhibitor", "/booths/{booth}/edit")],
    "reject": [
        ("exhibitor", "/my/booths"),
        ("exhibitor", "/booths/{rejected_booth}/edit"),
        ("organizer", "/review/booths?status=rejected"),
    ],
    "ex-name": [("exhibitor", "/"), ("buyer", ROOM["booked"]), ("buyer", ROOM["held"])],
    "ex-company": [("exhibitor", "/fairs/{slug}/booths/new"), ("buyer", ROOM["booked"])],
    "bu-name": [
        ("buyer", "/"),
        ("exhibitor", "/booths/{booth}/manage/analytics"),
        ("exhibitor", ROOM["booked"]),
        ("organizer", ROOM["booked"]),
        ("organizer", "/review/attendance"),
    ],
    "bu-company": [
        ("exhibitor", "/booths/{booth}/manage/analytics"),
        ("exhibitor", ROOM["booked"]),
        ("organizer", ROOM["booked"]),
    ],
    "org-name": [("organizer", "/reports")],
    "staff-name": [("staff", "/reports?group_by=booth")],
    "note": [(viewer, ROOM["booked"]) for viewer in ("exhibitor", "buyer", "organizer")],
    "cancel": [(viewer, ROOM["cancelled"]) for viewer in ("exhibitor", "buyer", "organizer")],
    "claim": [
        *((viewer, ROOM["held"]) for viewer in ("exhibitor", "buyer", "organizer")),
        ("organizer", "/review/attendance"),
    ],
    "feedback": [(viewer, ROOM["held"]) for viewer in ("exhibitor", "buyer", "organizer")],
    "nextstep": [("exhibitor", ROOM["held"]), ("organizer", ROOM["held"])],
    "onote": [("exhibitor", ROOM["held"]), ("organizer", ROOM["held"])],
}
# Pages read only for markup (they show user text already listed above, or none).
ALSO_SCANNED: list[tuple[str, str]] = [
    ("exhibitor", "/connection-test"),
    ("exhibitor", "/meetings/{booked}/reschedule"),
    ("buyer", "/booths/{booth}/book"),
    ("organizer", "/reports/rates"),
    ("organizer", "/reports?fair={slug}&group_by=booth"),
    ("organizer", "/organizer/webhooks"),
    ("buyer", "/connection-test"),
]
# Shown only where the chat is: as JSON, drawn by room.js with textContent.
JSON_ONLY = {"chat"}


def _path(template: str, world: World) -> str:
    return template.format(slug=SLUG, rejected_slug=REJECTED_SLUG, **world.ids)


def expectations(world: World) -> list[tuple[str, str, str]]:
    """(tag, viewer, path) for every field and every view that must show it."""
    rows = []
    for name, pages in PUBLIC_TRANSLATED.items():
        for lang in LANGUAGES:
            rows += [(f"{name}-{lang}", "anon", _path(p, world) + f"lang={lang}") for p in pages]
    for name, pages in PUBLIC_PLAIN.items():
        for lang in LANGUAGES:
            rows += [(name, "anon", _path(p, world) + f"lang={lang}") for p in pages]
    for tag, places in SIGNED_IN.items():
        tags = [tag]
        if tag.endswith("-all"):
            tags = [tag.replace("-all", f"-{lang}") for lang in LANGUAGES]
        rows += [(t, viewer, _path(p, world)) for t in tags for viewer, p in places]
    return rows


async def test_every_field_is_escaped_on_every_page_that_shows_it(world: World) -> None:
    rows = expectations(world)
    views = {(viewer, path) for _tag, viewer, path in rows}
    views |= {(viewer, _path(p, world)) for viewer, p in ALSO_SCANNED}
    texts: dict[tuple[str, str], str] = {}
    for viewer, path in sorted(views):
        response = await world.clients[viewer].get(path, headers=HTML)
        assert response.status_code == 200, (viewer, path, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        texts[(viewer, path)] = response.text

    injected = {view: markup_problems(text) for view, text in texts.items()}
    assert {view: found for view, found in injected.items() if found} == {}

    missing = [
        (tag, viewer, path)
        for tag, viewer, path in rows
        if escaped_marker(tag) not in texts[(viewer, path)]
    ]
    assert missing == []
    # Every field written is in the table (a new field needs a row, not silence).
    covered = {tag for tag, _viewer, _path in rows} | JSON_ONLY
    assert world.tags - covered == set()


async def check_uploaded_file_names_are_display_names_only(world: World) -> None:
    exhibitor = world.clients["exhibitor"]
    media = (await exhibitor.get(f"/api/booths/{world.ids['booth']}/media")).json()["media"]
    names = sorted(item["filename"] for item in media)
    # The two hostile names as display names, worked out by hand: only what follows the last
    # "/" or "\\" (here the one in the closing tag), without <>" ("../../<b>photo</b>'\".png",
    # whose quote httpx sends as %22, and "..\\<i>brochure</i>.pdf").
    assert names == ["b'%22.png", "i.pdf"], names
    for name in names:
        assert not set(name) & set('/\\<>"\x00'), name
        assert not name.startswith("."), name
    html = (await exhibitor.get(f"/booths/{world.ids['booth']}/manage/media", headers=HTML)).text
    for name in names:
        assert escape(name) in html
    assert markup_problems(html) == []


async def check_chat_is_json_for_a_script_that_writes_text_not_markup(world: World) -> None:
    response = await world.clients["exhibitor"].get(f"/api/meetings/{world.ids['live']}/chat")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert [m["body"] for m in response.json()["messages"]] == [payload("chat")]
    # room.js renders it; no script of ours may turn text into markup.
    for script in sorted(STATIC_JS.glob("*.js")):
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (script.name, sink)


async def check_exports_keep_user_text_as_data(world: World) -> None:
    staff = world.clients["staff"]
    company = payload("company-en")
    csv_file = await staff.get("/reports/conversion.csv?group_by=booth")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.headers["content-disposition"].startswith("attachment")
    assert csv_file.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(csv_file.text)))
    assert company in {cell for row in rows for cell in row}  # the data, verbatim

    xlsx = await staff.get("/reports/conversion.xlsx?group_by=booth")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"].startswith("attachment")
    strings = []
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        for name in book.namelist():
            if name.endswith(".xml"):
                # Parses: the payload was escaped as XML text, not spliced in as elements.
                root = ElementTree.fromstring(book.read(name))  # noqa: S314 (our own export)
                strings += [node.text or "" for node in root.iter()]
    assert company in strings


async def check_invites_carry_names_as_text(world: World) -> None:
    buyer = world.clients["buyer"]
    invite = await buyer.get(f"/api/meetings/{world.ids['booked']}/invite.ics")
    assert invite.status_code == 200
    assert invite.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(invite.content).walk("VEVENT")
    assert payload("company-en") in str(event["summary"])
    assert payload("bu-company") in str(event["summary"])
    attendees = event["attendee"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a.params["cn"]) for a in attendees] == [payload("bu-name")]
    assert payload("ex-name") in str(event["organizer"].params["cn"])


async def check_mails_escape_user_text_in_html_and_keep_it_in_text(world: World) -> None:
    app = world.app
    while await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app))):
        pass
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(of_app(app).settings.mail_dir.glob("*.eml"))
    ]
    htmls, texts = [], []
    for mail in mails:
        for part in mail.walk():
            if part.get_content_type() == "text/html":
                htmls.append(part.get_content())
            elif part.get_content_type() == "text/plain":
                texts.append(part.get_content())
    assert htmls, "no HTML mail was sent"
    assert [problem for html in htmls for problem in markup_problems(html)] == []
    shown = set().union(*(tags_shown(html, world.tags) for html in htmls))
    # Names, the exhibitor's company and the cancel reason reach the HTML mails escaped...
    assert {"bu-name", "ex-name", "company-en", "cancel"} <= shown
    # ...and the plain-text parts verbatim (text is not HTML: no &lt; there).
    plain = "\n".join(texts)
    for tag in ("bu-name", "reject", "cancel"):
        assert payload(tag) in plain, tag
    assert "&lt;script" not in plain


async def test_files_json_exports_invites_and_mails_keep_user_text_inert(world: World) -> None:
    """One world for the outputs that are not pages (building it costs more than checking)."""
    await check_uploaded_file_names_are_display_names_only(world)
    await check_chat_is_json_for_a_script_that_writes_text_not_markup(world)
    await check_exports_keep_user_text_as_data(world)
    await check_invites_carry_names_as_text(world)
    await check_mails_escape_user_text_in_html_and_keep_it_in_text(world)


@pytest.mark.parametrize(
    "html",
    [
        payload("x"),
        '<p title="a" onmouseover=alert(1)>',
        '<a href=" javascript:alert(1)">x</a>',
        "<script>fetch('/x')</script>",
        "<img src=x>",
    ],
)
def test_the_scanner_sees_markup(html: str) -> None:
    assert markup_problems(html) != []
    assert markup_problems(f'<p>{escape(html)}</p><p title="{escape(html)}">x</p>') == []
