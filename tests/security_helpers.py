"""Shared by the security suites (tests/security/): hostile payloads, an HTML scanner that
tells markup from escaped text, and a "world" in which every user-written text field holds a
payload, written through the real API as users would write it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
from booth_helpers import TUMBLER
from helpers import PASSWORD, confirm_email, login, make_client, make_user
from media_files import pdf, png
from meeting_helpers import WEEKDAYS_9_TO_17, meeting_at, next_weekday
from sqlalchemy import update

from fair.i18n import LANGUAGES
from meetings.models import Attendance, Meeting

HTML = {"accept": "text/html"}
JSON_ERRORS = {"accept": "application/json"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- payloads ---------------------------------------------------------------------------------


def payload(tag: str) -> str:
    """Script, event handler and attribute break-out at once; ``tag`` names the field so a
    page's escaped text tells which field it shows."""
    return (
        f"<script>alert(\"{tag}\")</script><img src=x onerror=alert('{tag}')>"
        "\"'><svg onload=alert(1)>"
    )


def short_payload(tag: str) -> str:
    """For fields of at most 60 characters."""
    return f'<script>alert("{tag}")</script>"\'><b onclick=x>'


def escaped_marker(tag: str) -> str:
    """How ``payload(tag)`` begins once autoescaped (Jinja/markupsafe escaping)."""
    return f"&lt;script&gt;alert(&#34;{tag}&#34;)&lt;/script&gt;"


def tags_shown(text: str, tags: set[str]) -> set[str]:
    return {tag for tag in tags if escaped_marker(tag) in text}


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: an inline event handler")
            script_url = ("javascript:", "vbscript:", "data:text")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith(script_url):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")
        if tag == "img" and names.get("src") == "x":
            self.problems.append("<img src=x>: the payload's image became markup")
        if tag == "script":
            self._in_script = names  # type: ignore[assignment]
            if "src" not in names and names.get("type") != "application/json":
                self.problems.append("<script> without src: an inline script")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None and "alert(" in data:
            self.problems.append(f"script content with alert(: {data[:80]!r}")


def markup_problems(html: str) -> list[str]:
    """Where user text became markup: event handlers, inline scripts, script URLs, the
    payload's own elements. Escaped text (``&lt;script&gt;``) is no problem."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    raw = [needle for needle in ("<script>alert", "<img src=x", "<svg onload") if needle in html]
    return scanner.problems + [f"raw payload {needle!r}" for needle in raw]


# --- the world --------------------------------------------------------------------------------

SLUG = "2030-sec"
REJECTED_SLUG = "2030-sec-b"


def translated(field_name: str, *, short: bool = False) -> dict[str, str]:
    make = short_payload if short else payload
    return {lang: make(f"{field_name}-{lang}") for lang in LANGUAGES}


@dataclass
class World:
    app: Any
    session: Any
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    # every tag written, so a test can tell which fields a page shows
    tags: set[str] = field(default_factory=set)

    def remember(self, value: Any) -> Any:
        for text in value.values() if isinstance(value, dict) else [value]:
            found = re.search(r'alert\("([^"]+)"\)', text)
            if found:
                self.tags.add(found.group(1))
        return value

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


async def build_world(app: Any, session: Any) -> World:
    """Every user-written text field holds ``payload(tag)``, written by its real author
    through the JSON API (the forms are the same service calls)."""
    world = World(app=app, session=session)
    w = world.remember
    clients = world.clients
    for name in ("anon", "exhibitor", "buyer", "organizer", "staff"):
        clients[name] = make_client(app)

    await make_user(session, "organizer", "org@city.example", name=w(payload("org-name")))
    await make_user(session, "staff", "staff@city.example", name=w(payload("staff-name")))
    await login(clients["organizer"], "org@city.example")
    await login(clients["staff"], "staff@city.example")

    # Fairs, written by the organizer: titles and descriptions in every language.
    first = next_weekday(20)
    for slug, title_tag in ((SLUG, "fair"), (REJECTED_SLUG, "fairb")):
        body = {
            "slug": slug,
            "title": w(translated(title_tag)),
            "description": w(translated(f"{title_tag}desc")),
            "starts_on": first.isoformat(),
            "ends_on": (first + timedelta(days=4)).isoformat(),
        }
        await _ok(await clients["organizer"].post("/api/fairs", json=body), 201)

    # Exhibitor and buyer register themselves.
    for role, email in (("exhibitor", "kenji@sec.example"), ("buyer", "lan@sec.example")):
        body = {
            "email": email,
            "password": PASSWORD,
            "name": w(payload(f"{role[:2]}-name")),
            "role": role,
            "company": w(payload(f"{role[:2]}-company")),
            "country": "JP" if role == "exhibitor" else "VN",
            "timezone": "Asia/Tokyo" if role == "exhibitor" else "Asia/Ho_Chi_Minh",
            "locale": "en",
        }
        user = await _ok(await clients[role].post("/api/auth/register", json=body), 201)
        await confirm_email(clients[role], app, email)
        world.ids[role] = user["id"]

    exhibitor = clients["exhibitor"]
    booth_body = {
        "company": w(translated("company")),
        "tagline": w(translated("tagline")),
        "description": w(translated("story")),
        "city": w(payload("city")),
        "certifications": [w(short_payload("cert"))],
        "website": "https://www.tsubame.example/?q=%3Cscript%3E",
        "categories": ["metal_parts"],
        "languages": ["ja", "en"],
    }
    booth = await _ok(await exhibitor.post(f"/api/fairs/{SLUG}/booths", json=booth_body), 201)
    world.ids["booth"] = booth_id = booth["id"]
    other = await _ok(
        await exhibitor.post(f"/api/fairs/{REJECTED_SLUG}/booths", json=booth_body), 201
    )
    world.ids["rejected_booth"] = other["id"]
    hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
    await _ok(await exhibitor.put(f"/api/booths/{booth_id}/availability", json=hours))
    product = {
        **TUMBLER,
        "name": w(translated("product")),
        "description": w(translated("pdesc")),
    }
    made = await _ok(await exhibitor.post(f"/api/booths/{booth_id}/products", json=product), 201)
    world.ids["product"] = made["id"]

    # Media: a photo and a brochure with captions in every language and hostile names.
    # Sign-in set a CSRF cookie of its own (a fresh one at every sign-in): replace it, not
    # add a second one beside it.
    exhibitor.cookies.delete("kk_csrf")
    exhibitor.cookies.set("kk_csrf", "sec-csrf-token-0123456789")
    for kind, content, mime, name in (
        ("photo", png((32, 24)), "image/png", "../../<b>photo</b>'\".png"),
        ("brochure", pdf(), "application/pdf", "..\\<i>brochure</i>.pdf"),
    ):
        captions = {f"title.{lang}": text for lang, text in translated(kind).items()}
        w(translated(kind))
        uploaded = await exhibitor.post(
            f"/api/booths/{booth_id}/media",
            files={"file": (name, content, mime)},
            data={**captions, "product_id": made["id"]} if kind == "photo" else captions,
            headers={"X-CSRF-Token": "sec-csrf-token-0123456789"},
        )
        world.ids[kind] = (await _ok(uploaded, 201))["id"]

    organizer = clients["organizer"]
    await _ok(await organizer.post(f"/api/booths/{booth_id}/approve"))
    reject = {"reason": w(payload("reject"))}
    await _ok(await organizer.post(f"/api/booths/{other['id']}/reject", json=reject))

    # The buyer visits (so the exhibitor's analytics list them), books and cancels.
    buyer = clients["buyer"]
    assert (await buyer.get(f"/booths/{booth_id}", headers=HTML)).status_code == 200
    window = {
        "order": "time",
        "from": first.isoformat(),
        "to": (first + timedelta(days=4)).isoformat(),
    }
    listed = await _ok(await buyer.get(f"/api/booths/{booth_id}/slots", params=window))
    slots = [slot["start"] for slot in listed["slots"]]
    booked = await _ok(
        await buyer.post(
            "/api/meetings",
            json={"booth_id": booth_id, "start": slots[0], "note": w(payload("note"))},
        ),
        201,
    )
    world.ids["booked"] = booked["id"]
    cancelled = await _ok(
        await buyer.post("/api/meetings", json={"booth_id": booth_id, "start": slots[3]}), 201
    )
    world.ids["cancelled"] = cancelled["id"]
    await _ok(
        await buyer.post(
            f"/api/meetings/{cancelled['id']}/cancel", json={"reason": w(payload("cancel"))}
        )
    )

    # A meeting held three days ago: outcome, the buyer's view, a disputed attendance.
    held = await meeting_at(session, booth_id, world.ids["buyer"], timedelta(days=-3))
    world.ids["held"] = held_id = held.id
    await session.execute(
        update(Meeting).where(Meeting.id == held_id).values(attendance=Attendance.HELD)
    )
    await session.commit()
    outcome = {
        "stage": "follow_up",
        "next_step": w(payload("nextstep")),
        "note": w(payload("onote")),
        "product_ids": [made["id"]],
    }
    await _ok(await exhibitor.post(f"/api/meetings/{held_id}/outcome", json=outcome), 201)
    feedback = {"view": "wants_follow_up", "note": w(payload("feedback"))}
    await _ok(await buyer.post(f"/api/meetings/{held_id}/feedback", json=feedback))
    claim = {"status": "no_show_exhibitor", "reason": w(payload("claim"))}
    await _ok(await buyer.post(f"/api/meetings/{held_id}/attendance", json=claim))

    # A meeting starting now: its chat.
    live = await meeting_at(session, booth_id, world.ids["buyer"], timedelta(minutes=2))
    world.ids["live"] = live.id
    chat = {"body": w(payload("chat"))}
    await _ok(await buyer.post(f"/api/meetings/{live.id}/chat", json=chat), 201)
    return world
