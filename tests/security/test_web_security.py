"""The web's usual attacks, each as a table: forged form posts (CSRF) on every form route of the
route table, form-encoded bodies on the JSON API, session fixation, open redirects, path
traversal in media names and paths, forged or replayed signaling tokens through the app's own
relay, the sign-in rate limits and their window, and the security headers on every kind of
response (with a check of every template for inline script the CSP would block)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import zlib
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import websockets
from helpers import (
    PASSWORD,
    confirm_email,
    login,
    make_client,
    make_user,
    registration,
    serving,
    use_session,
)
from media_files import png
from security_helpers import HTML, JSON_ERRORS, SLUG, World, build_world, csrf_of
from sqlalchemy import select, text
from starlette.routing import Route

from booths.models import Media
from fair.accounts.models import Session as SessionRow
from fair.resources import job_context, of_app
from kakehashi.models import metadata
from meetings.pages import ACTIONS as MEETING_ACTIONS
from signaling import protocol
from signaling.tokens import issue

ROOT = Path(__file__).resolve().parents[2]
EVIL = "https://evil.example"
CSRF = "victim-csrf-token-0123456789abcdef"


@pytest.fixture
async def world(app, session):
    built = await build_world(app, session)
    yield built
    await built.close()


async def snapshot(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with of_app(app).sessionmaker() as s:
        for table in metadata.sorted_tables:
            result = await s.execute(select(table))
            rows[table.name] = sorted(tuple(map(repr, row)) for row in result.all())
        await s.rollback()
    return rows


def attacker_client(app: Any, world: World, role: str) -> Any:
    """A fresh client riding ``role``'s session (what a forged cross-site request carries)."""
    client = make_client(app)
    token = world.clients[role].cookies.get("kk_session") if role != "anon" else None
    if token:
        client.cookies.set("kk_session", token)
    return client


# --- CSRF: every form route ------------------------------------------------------------------

# path template -> (who is signed in, actions of an {action} segment)
FORM_ROUTES: dict[str, tuple[str, list[str] | None]] = {
    "/register": ("anon", None),
    "/login": ("anon", None),
    "/logout": ("buyer", None),
    "/language": ("anon", None),
    "/fairs/{slug}/booths/new": ("exhibitor", None),
    "/fairs/{slug}/admission": ("buyer", None),
    "/fairs/{slug}/buyers": ("organizer", None),
    "/booths/{booth_id}/edit": ("exhibitor", None),
    "/booths/{booth_id}/copy": ("exhibitor", None),
    "/booths/{booth_id}/manage/products": ("exhibitor", None),
    "/booths/{booth_id}/manage/products/{product_id}": ("exhibitor", None),
    "/booths/{booth_id}/manage/products/{product_id}/{action:str}": (
        "exhibitor",
        ["delete", "move"],
    ),
    "/booths/{booth_id}/manage/media/{media_id}/{action:str}": (
        "exhibitor",
        ["delete", "edit", "move"],
    ),
    "/review/booths/{booth_id}/{action:str}": ("organizer", ["approve", "reject"]),
    "/booths/{booth_id}/book": ("buyer", None),
    "/booths/{booth_id}/remind": ("buyer", None),
    "/booths/{booth_id}/manage/hours": ("exhibitor", None),
    "/booths/{booth_id}/manage/leads": ("exhibitor", None),
    "/organizer/fairs/{slug}/matchmaking/propose": ("organizer", None),
    "/organizer/fairs/{slug}/matchmaking/top": ("organizer", None),
    "/my/meetings/calendar": ("buyer", None),
    "/my/needs": ("buyer", None),
    "/my/needs/{need_id}/delete": ("buyer", None),
    "/my/needs/{need_id}": ("buyer", None),
    "/proposals": ("exhibitor", None),
    "/proposals/{proposal_id}/accept": ("buyer", None),
    "/proposals/{proposal_id}/decline": ("buyer", None),
    "/messages/start": ("buyer", None),
    "/messages/{conversation_id}": ("buyer", None),
    "/messages/{conversation_id}/block": ("buyer", None),
    "/messages/{conversation_id}/unblock": ("buyer", None),
    "/messages/{conversation_id}/messages/{message_id}/report": ("buyer", None),
    "/organizer/conversation-reports/{report_id}/resolve": ("organizer", None),
    "/meetings/{meeting_id}/{action:str}": ("buyer", sorted(MEETING_ACTIONS)),
    "/reports/rates": ("staff", None),
    "/verify/{token}": ("anon", None),
    "/password-reset": ("anon", None),
    "/password-reset/{token}": ("anon", None),
    "/account/verify/resend": ("buyer", None),
    "/account/password": ("buyer", None),
    "/account/sessions/revoke-others": ("buyer", None),
    "/account/sessions/{id}/revoke": ("buyer", None),
    "/account/profile": ("buyer", None),
    "/account/email": ("buyer", None),
    "/account/email/{token}": ("buyer", None),
    "/account/tokens": ("buyer", None),
    "/account/tokens/{id}/revoke": ("buyer", None),
    "/account/export": ("buyer", None),
    "/account/delete": ("buyer", None),
    "/account/company/{id}/invitations": ("exhibitor", None),
    "/account/company/{id}/members/{user_id}/remove": ("exhibitor", None),
    "/invitations/{token}": ("anon", None),
    "/organizer/webhooks": ("organizer", None),
    "/organizer/companies/{id}/confirm": ("organizer", None),
    "/organizer/webhooks/{id}/delete": ("organizer", None),
    "/organizer/webhooks/{id}/deliveries/{delivery_id}/replay": ("organizer", None),
    "/fairs/{slug}/invitations": ("organizer", None),
    "/fairs/{slug}/invitations/import": ("organizer", None),
    "/fairs/{slug}/invitations/{id}/revoke": ("organizer", None),
    "/fairs/{slug}/invitations/{id}/resend": ("organizer", None),
    "/organizer/matchmaking/weights/refit": ("organizer", None),
}


def unsafe_routes(app: Any, *, api: bool) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        for method in sorted((route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            if route.path.startswith("/api/") == api:
                found.append((method, route.path))
    return found


def test_every_form_route_is_in_the_csrf_table(app) -> None:
    forms = unsafe_routes(app, api=False)
    assert {method for method, _ in forms} == {"POST"}
    assert sorted(path for _, path in forms) == sorted(FORM_ROUTES)


def _form_urls(world: World) -> list[tuple[str, str]]:
    ids = world.ids
    values = {
        "slug": SLUG,
        "booth_id": ids["booth"],
        "product_id": ids["product"],
        "media_id": ids["photo"],
        "meeting_id": ids["booked"],
        "token": "a-link-never-mailed",
        "id": "a-session-of-nobody",
        "delivery_id": "msg_of_nobody",
        # The forged post is refused before the need is looked up: any id will do.
        "need_id": "0" * 32,
        "proposal_id": "0" * 32,
        "conversation_id": "0" * 32,
        "message_id": "0" * 32,
        "report_id": "0" * 32,
        "user_id": "0" * 32,
    }
    urls = []
    for template, (role, actions) in FORM_ROUTES.items():
        for action in actions or [None]:
            path = template.replace("{action:str}", action or "")
            urls.append((role, path.format(**values)))
    return urls


FORM_FIELDS = {
    "email": "kenji@sec.example",
    "password": PASSWORD,
    "reason": "changed plans",
    "locale": "ja",
    "next": "/",
    "direction": "up",
    "fair": SLUG,
    "view": "useful",
    "stage": "follow_up",
    "status": "held",
}
# (name, kk_csrf cookie, csrf_token field, Origin header, expected status and code)
FORGERIES = [
    ("no token", CSRF, None, None, (403, "csrf_failed")),
    ("wrong token", CSRF, "forged-" + CSRF, None, (403, "csrf_failed")),
    ("token without its cookie", None, CSRF, None, (403, "csrf_failed")),
    ("empty token and cookie", "", "", None, (403, "csrf_failed")),
    ("foreign origin", CSRF, CSRF, EVIL, (403, "cross_origin")),
    ("opaque origin", CSRF, CSRF, "null", (403, "cross_origin")),
    ("look-alike origin", CSRF, CSRF, "http://testserver.evil.example", (403, "cross_origin")),
    ("other port", CSRF, CSRF, "http://testserver:8443", (403, "cross_origin")),
]


async def test_forged_form_posts_are_refused_on_every_form_route(app, world) -> None:
    before = await snapshot(app)
    wrong = []
    for role, url in _form_urls(world):
        for name, cookie, token, origin, expected in FORGERIES:
            client = attacker_client(app, world, role)
            if cookie is not None:
                client.cookies.set("kk_csrf", cookie)
            data = dict(FORM_FIELDS)
            if token is not None:
                data["csrf_token"] = token
            headers = dict(JSON_ERRORS)
            if origin:
                headers["origin"] = origin
            async with client:
                response = await client.post(url, data=data, headers=headers)
            answer = (response.status_code, response.json()["error"]["code"])
            if answer != expected:
                wrong.append((url, name, answer))
    assert wrong == []
    assert await snapshot(app) == before

    # The same request with the right token passes the check (the harness is not the reason).
    client = attacker_client(app, world, "anon")
    client.cookies.set("kk_csrf", CSRF)
    async with client:
        fine = await client.post("/language", data={"csrf_token": CSRF, "locale": "ja"})
    assert (fine.status_code, fine.headers["location"]) == (303, "/")


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attributes, "inputs": {}})
        elif tag in {"input", "button"} and self.forms and attributes.get("name"):
            self.forms[-1]["inputs"][attributes["name"]] = attributes.get("value")


async def test_every_post_form_on_the_pages_carries_the_csrf_token(world) -> None:
    ids = world.ids
    pages = [
        ("anon", "/login"),
        ("anon", "/register"),
        ("anon", "/"),
        ("exhibitor", "/my/booths"),
        ("exhibitor", f"/booths/{ids['booth']}/edit"),
        ("exhibitor", f"/booths/{ids['booth']}/manage/products"),
        ("exhibitor", f"/booths/{ids['booth']}/manage/products/{ids['product']}"),
        ("exhibitor", f"/booths/{ids['booth']}/manage/media"),
        ("exhibitor", f"/booths/{ids['booth']}/manage/hours"),
        ("exhibitor", f"/booths/{ids['booth']}/manage/leads"),
        ("organizer", f"/organizer/fairs/{SLUG}/matchmaking"),
        ("buyer", f"/fairs/{SLUG}"),
        ("exhibitor", f"/fairs/{SLUG}/booths/new"),
        ("buyer", f"/booths/{ids['booth']}/book"),
        ("buyer", "/my/meetings"),
        ("buyer", "/account"),
        ("organizer", "/review/booths"),
        ("organizer", "/review/attendance"),
        ("organizer", "/organizer/webhooks"),
        ("organizer", "/organizer/companies"),
        ("organizer", "/organizer"),
        ("staff", "/organizer"),
        ("organizer", f"/fairs/{SLUG}/invitations"),
        ("organizer", "/organizer/matchmaking/weights"),
        ("staff", "/reports/rates"),
        *(
            (role, f"/meetings/{ids[m]}/room")
            for role in ("buyer", "exhibitor", "organizer")
            for m in ("booked", "held")
        ),
        ("buyer", f"/meetings/{ids['booked']}/reschedule"),
        ("buyer", "/account/tokens"),
        ("buyer", "/proposals"),
        ("exhibitor", "/proposals"),
        ("organizer", "/proposals"),
    ]
    checked, missing = 0, []
    for role, url in pages:
        response = await world.clients[role].get(url, headers=HTML)
        assert response.status_code == 200, url
        parser = _Forms()
        parser.feed(response.text)
        for form in parser.forms:
            if (form["attrs"].get("method") or "get").lower() != "post":
                continue
            checked += 1
            action = form["attrs"].get("action") or url
            if not action.startswith("/") or action.startswith("//"):
                missing.append((url, action, "action leaves the site"))
            token = form["inputs"].get("csrf_token")
            if not token or token != world.clients[role].cookies.get("kk_csrf"):
                missing.append((url, action, "no csrf_token matching the cookie"))
    assert missing == []
    assert checked >= 25  # the pages above do have forms: a parser gone blind fails here


# --- the JSON API: JSON bodies only -----------------------------------------------------------

API_ROLES = [  # first match wins
    (r"^/api/auth/logout$", "buyer"),
    (r"^/api/webhooks", "organizer"),
    (r"^/api/fairs/\{slug\}/invitations|^/api/invitations/import$", "organizer"),
    (r"^/api/companies", "exhibitor"),
    (r"^/api/invitations", "anon"),
    (r"^/api/auth/", "anon"),
    (r"^/api/fairs$|^/api/fairs/\{slug\}$|/publish$|/approve$|/reject$|/interpreter$", "organizer"),
    (r"^/api/fairs/\{slug\}/buyers$", "buyer"),
    (r"^/api/exchange-rates", "staff"),
    (r"/outcome$|/accept$|/decline$|/release$", "exhibitor"),
    (r"^/api/meetings|^/api/me/|^/api/me$|^/api/connection-test$|/booking-reminder$", "buyer"),
    (r"^/api/needs|^/api/tokens", "buyer"),
    (r"^/api/proposals", "exhibitor"),
    (r"^/api/conversation-reports", "organizer"),
    (r"^/api/conversations", "buyer"),
    (r"/proposals/top$", "organizer"),
    (r"^/api/(fairs|booths|media)/", "exhibitor"),
]
# Endpoints that read no body at all: a form-encoded body is ignored, not refused. Cross-site
# they are refused for their foreign Origin (and SameSite=Lax keeps the cookie away).
BODYLESS = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/fairs/{slug}/publish"),
    ("POST", "/api/booths/{booth_id}/approve"),
    ("DELETE", "/api/booths/{booth_id}/products/{product_id}"),
    ("DELETE", "/api/media/{media_id}"),
    ("POST", "/api/meetings/{meeting_id}/accept"),
    ("POST", "/api/meetings/{meeting_id}/decline"),
    ("POST", "/api/meetings/{meeting_id}/reconfirm"),
    ("POST", "/api/meetings/{meeting_id}/release"),
    ("POST", "/api/meetings/{meeting_id}/join"),
    ("POST", "/api/me/calendar-feed"),
    ("DELETE", "/api/me/calendar-feed"),
    ("DELETE", "/api/exchange-rates/{currency}/{day}"),
    ("POST", "/api/booths/{booth_id}/booking-reminder"),
    ("DELETE", "/api/booths/{booth_id}/booking-reminder"),
    ("POST", "/api/auth/verify/resend"),
    ("DELETE", "/api/auth/sessions/{id}"),
    ("DELETE", "/api/tokens/{id}"),
    ("POST", "/api/me/export"),
    ("POST", "/api/auth/sessions/revoke-others"),
    ("DELETE", "/api/needs/{need_id}"),
    ("POST", "/api/booths/{booth_id}/changes/approve"),
    ("POST", "/api/fairs/{slug}/buyers/{user_id}/approve"),
    ("POST", "/api/fairs/{slug}/buyers/{user_id}/reject"),
    ("DELETE", "/api/webhooks/{id}"),
    ("POST", "/api/webhooks/{id}/deliveries/{delivery_id}/replay"),
    ("POST", "/api/conversations/{conversation_id}/block"),
    ("POST", "/api/conversations/{conversation_id}/unblock"),
    ("DELETE", "/api/fairs/{slug}/invitations/{id}"),
    ("DELETE", "/api/companies/{id}/members/{user_id}"),
    ("POST", "/api/companies/{id}/confirm"),
}
UPLOAD = ("POST", "/api/booths/{booth_id}/media")
IMPORT = ("POST", "/api/invitations/import")  # an upload too: multipart, the header token
ATTACH = ("POST", "/api/conversations/{conversation_id}/attachments")  # files in a thread


def _api_role(path: str) -> str:
    return next(role for pattern, role in API_ROLES if re.search(pattern, path))


def _api_url(path: str, world: World) -> str:
    ids = world.ids
    return path.format(
        slug=SLUG,
        booth_id=ids["booth"],
        product_id=ids["product"],
        media_id=ids["photo"],
        meeting_id=ids["booked"],
        need_id="0" * 32,  # refused before any need is looked up, or not found
        currency="USD",
        day="2030-01-01",
        id="a-session-of-nobody",
        delivery_id="msg_of_nobody",
        user_id="0" * 32,  # refused for its origin before the buyer is looked up
        proposal_id="0" * 32,  # refused for its body or origin before it is looked up
        conversation_id="0" * 32,  # likewise, or not found (block, unblock)
        message_id="0" * 32,
        report_id="0" * 32,
        token="a-link-never-mailed",
    )


async def test_the_json_api_refuses_form_bodies_and_foreign_origins(app, world) -> None:
    routes = unsafe_routes(app, api=True)
    form = {
        "content": b"reason=x&body=y",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    }

    before = await snapshot(app)
    not_refused = []
    for method, path in routes:
        client = attacker_client(app, world, _api_role(path))
        async with client:
            response = await client.request(
                method,
                _api_url(path, world),
                content=form["content"],
                headers={**form["headers"], "origin": EVIL},
            )
        if (response.status_code, response.json()["error"]["code"]) != (403, "cross_origin"):
            not_refused.append((method, path, response.status_code))
    assert not_refused == []
    assert await snapshot(app) == before

    # Same site, form-encoded: 415 wherever a body is read. Bodyless routes go last (they act).
    answers = {}
    for method, path in sorted(
        routes, key=lambda r: (r in BODYLESS, r == ("POST", "/api/auth/logout"))
    ):
        client = attacker_client(app, world, _api_role(path))
        async with client:
            response = await client.request(method, _api_url(path, world), **form)
        answers[(method, path)] = (
            response.status_code,
            (response.json() or {}).get("error", {}).get("code") if response.content else None,
        )
    refused = {
        route for route, answer in answers.items() if answer == (415, "unsupported_media_type")
    }
    assert answers[UPLOAD] == (403, "csrf_failed")  # multipart needs the header token
    assert answers[IMPORT] == (403, "csrf_failed")
    assert answers[ATTACH] == (403, "csrf_failed")
    assert set(routes) - refused - {UPLOAD, IMPORT, ATTACH} == BODYLESS
    assert [r for r, (status, _) in answers.items() if status >= 500] == []


# --- session fixation -------------------------------------------------------------------------


async def _session_ids(session) -> set[str]:
    rows = (await session.scalars(select(SessionRow.id))).all()
    await session.rollback()
    return set(rows)


async def _form_sign_in(client, email: str) -> Any:
    csrf = csrf_of((await client.get("/login", headers=HTML)).text)
    return await client.post(
        "/login", data={"csrf_token": csrf, "email": email, "password": PASSWORD}
    )


async def _form_register(client, email: str) -> Any:
    csrf = csrf_of((await client.get("/register", headers=HTML)).text)
    return await client.post("/register", data={"csrf_token": csrf, **registration(email=email)})


async def _api_register(client, email: str) -> Any:
    return await client.post("/api/auth/register", json=registration(email=email))


async def _api_sign_in(client, email: str) -> Any:
    return await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})


@pytest.mark.parametrize("way", [_form_sign_in, _api_sign_in, _form_register, _api_register])
async def test_a_planted_session_is_never_adopted(app, client, session, way) -> None:
    await make_user(session, "buyer", "victim@example.com", name="Victim")
    await make_user(session, "buyer", "attacker@example.com", name="Attacker")
    # The attacker's own, valid session, planted in the victim's browser; then a made-up one.
    async with make_client(app) as attacker:
        await login(attacker, "attacker@example.com")
        planted = attacker.cookies["kk_session"]
    for n, cookie in enumerate((planted, "made-up-by-the-attacker-" + "z" * 20)):
        email = "victim@example.com" if "sign_in" in way.__name__ else f"new{n}@example.com"
        use_session(client, cookie)
        before = await _session_ids(session)
        response = await way(client, email)
        assert response.status_code in {200, 201, 303}, response.text
        issued = response.cookies.get("kk_session")
        assert issued and issued != cookie
        # One new server-side session, and the planted one is not it (and is gone).
        after = await _session_ids(session)
        assert len(after - before) == 1 and len(before - after) == (1 if n == 0 else 0)
        use_session(client, cookie)
        assert (await client.get("/api/auth/me")).status_code == 401
        use_session(client, issued)
        assert (await client.get("/api/auth/me")).json()["email"] == email


async def test_form_logout_ends_the_session_on_the_server(client, session) -> None:
    await make_user(session, "buyer", "b@example.com")
    await login(client, "b@example.com")
    token = client.cookies["kk_session"]
    csrf = csrf_of((await client.get("/", headers=HTML)).text)
    out = await client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert (
        'kk_session=""' in out.headers["set-cookie"]
        or "max-age=0" in out.headers["set-cookie"].lower()
    )
    assert await _session_ids(session) == set()
    use_session(client, token)  # a copy of the cookie kept by someone
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (await client.get("/my/meetings", headers=JSON_ERRORS)).status_code == 401


async def test_expired_and_oversized_session_cookies_admit_nobody(client, session) -> None:
    await make_user(session, "buyer", "b@example.com")
    await login(client, "b@example.com")
    token = client.cookies["kk_session"]
    await session.execute(text("UPDATE sessions SET expires_at = created_at"))
    await session.commit()
    use_session(client, token)
    assert (await client.get("/api/auth/me")).status_code == 401
    use_session(client, "x" * 5000)
    assert (await client.get("/api/auth/me")).status_code == 401


# --- open redirects ---------------------------------------------------------------------------

EVIL_TARGETS = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " //evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
]


def same_site(location: str) -> bool:
    return (
        location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and "\\" not in location
        and not any(ord(c) < 33 for c in location)
    )


@pytest.mark.parametrize("target", EVIL_TARGETS)
async def test_next_never_leads_off_site(client, session, target) -> None:
    await make_user(session, "buyer", "b@example.com")
    # Where the login page would send us (its hidden field) and where it does send us.
    page = (await client.get("/login", params={"next": target}, headers=HTML)).text
    hidden = re.search(r'name="next" value="([^"]*)"', page)
    assert hidden is None or same_site(hidden.group(1)), hidden.group(1)
    csrf = csrf_of(page)
    signed_in = await client.post(
        "/login",
        params={"next": target},
        data={"csrf_token": csrf, "email": "b@example.com", "password": PASSWORD, "next": target},
    )
    assert signed_in.status_code == 303
    assert same_site(signed_in.headers["location"]), signed_in.headers["location"]
    csrf = csrf_of((await client.get("/", headers=HTML)).text)  # a new token since sign-in
    switched = await client.post(
        "/language", data={"csrf_token": csrf, "locale": "vi", "next": target}
    )
    assert switched.status_code == 303
    assert same_site(switched.headers["location"]), switched.headers["location"]


async def test_a_same_site_next_is_kept(client, session) -> None:
    await make_user(session, "buyer", "b@example.com")
    csrf = csrf_of((await client.get("/login", headers=HTML)).text)
    target = "/fairs/2030-sec/booths?q=%E7%A0%94%E7%A3%A8&page=2"
    data = {"csrf_token": csrf, "email": "b@example.com", "password": PASSWORD, "next": target}
    signed_in = await client.post("/login", data=data)
    assert signed_in.headers["location"] == target


async def test_no_redirect_anywhere_takes_its_target_from_the_request(app, world) -> None:
    """Redirects after forms are built from ids and fixed paths: a hostile ``next``, ``tab``
    or ``Referer`` sent along changes nothing."""
    ids = world.ids
    organizer = world.clients["organizer"]
    csrf = csrf_of((await organizer.get("/review/booths", headers=HTML)).text)
    response = await organizer.post(
        f"/review/booths/{ids['rejected_booth']}/approve",
        data={"csrf_token": csrf, "tab": "//evil.example", "next": EVIL},
        headers={"referer": EVIL},
    )
    assert response.status_code == 303 and same_site(response.headers["location"])

    # And every other form route, each with a valid token and the same hostile extras.
    redirects, off_site = 0, []
    # Signing out last: the other forms need the sessions.
    for role, url in sorted(_form_urls(world), key=lambda form: form[1] == "/logout"):
        client = attacker_client(app, world, role)
        client.cookies.set("kk_csrf", CSRF)
        data = {**FORM_FIELDS, "csrf_token": CSRF, "tab": "//evil.example", "next": EVIL}
        async with client:
            answer = await client.post(url, data=data, headers={"referer": EVIL, **HTML})
        if 300 <= answer.status_code < 400:
            redirects += 1
            if not same_site(answer.headers["location"]):
                off_site.append((url, answer.headers["location"]))
    assert off_site == []
    # Sign-in, language, sign-out, product and media actions, review, meeting actions.
    assert redirects >= 10, redirects


# --- path traversal in media ------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../etc/passwd",
    "../../kk-escaped.png",
    "..\\..\\windows\\win.ini",
    "..\\x.png",
    "/etc/passwd",
    "C:\\boot.ini",
    "a\x00.png",
    "photo.png\x00../../x",
    "%2e%2e%2fescaped.png",
    "..",
    ".",
    "x" * 5000 + ".png",
    "\u202egnp.exe",
]


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def test_hostile_upload_names_stay_display_names_inside_the_media_folder(
    client, session, settings, tmp_path
) -> None:
    from booth_helpers import create_booth, exhibitor, make_fair

    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    client.cookies.set("kk_csrf", CSRF)
    booth = await create_booth(client)
    before = _files(tmp_path) | _files(ROOT)
    for n, name in enumerate(HOSTILE_NAMES):
        response = await client.post(
            f"/api/booths/{booth['id']}/media",
            files={"file": (name, png((8 + n, 8)), "image/png")},
            headers={"X-CSRF-Token": CSRF},
        )
        if len(name) > 1000 and response.status_code == 400:
            continue  # a header this long is refused as unreadable: fine, nothing is kept
        assert response.status_code == 201, (name, response.text)
        stored = response.json()["filename"]
        assert not set(stored) & {"/", "\\", "\x00", "\u202e"}, stored  # no path, no spoof
        assert stored not in {".", ".."} and len(stored) <= 120, stored
    media_dir = settings.media_dir.resolve()
    new = (_files(tmp_path) | _files(ROOT)) - before
    assert new and all(p.resolve().is_relative_to(media_dir) for p in new), sorted(new)
    assert not (tmp_path / "etc").exists()
    assert not (tmp_path.parent / "kk-escaped.png").exists()
    keys = (await session.scalars(select(Media.storage_key))).all()
    await session.rollback()
    assert all(re.fullmatch(r"originals/[0-9a-f/]+\.png", key) for key in keys), keys


async def _approved_booth_with_photo(client, session) -> str:
    """Kenji's approved booth with one photo, uploaded as he would (CSRF cookie and header);
    the photo's media id."""
    from booth_helpers import approve, create_booth, exhibitor, make_fair

    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    client.cookies.set("kk_csrf", CSRF)
    booth = await create_booth(client)
    photo = await client.post(
        f"/api/booths/{booth['id']}/media",
        files={"file": ("a.png", png(), "image/png")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert photo.status_code == 201, photo.text
    await approve(client, session, booth["id"])
    return photo.json()["id"]


async def test_hostile_media_and_static_paths_are_4xx_and_leak_nothing(client, session) -> None:
    media_id = await _approved_booth_with_photo(client, session)
    paths = [
        "/media/..%2F..%2Fpyproject.toml",
        "/media/%2e%2e/%2e%2e/pyproject.toml",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        f"/media/{media_id}/..%2F..%2F..%2Fpyproject.toml",
        f"/media/{media_id}/%2e%2e",
        f"/media/{media_id}/thumb%00",
        "/media/" + "%2e%2e%2f" * 12 + "etc%2fpasswd",
        "/media/%00",
        "/static/%2e%2e/pyproject.toml",
        "/static/..%2Fpyproject.toml",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/css/..%2F..%2F..%2Ffair%2Fconfig.py",
        "/static/%5c..%5c..%5cpyproject.toml",
        "/static/..%5Cpyproject.toml",
    ]
    for path in paths:
        response = await client.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert "[project]" not in response.text and "root:" not in response.text, path
        assert "DEV_SECRET" not in response.text, path
    assert (await client.get(f"/media/{media_id}")).status_code == 200  # the file itself is served


# --- NUL bytes: PostgreSQL text cannot hold them; they are a 400, never a 503 ----------------


async def test_nul_bytes_anywhere_in_a_request_are_4xx_and_change_nothing(app, world) -> None:
    ids = world.ids
    exhibitor, buyer = world.clients["exhibitor"], world.clients["buyer"]
    before = await snapshot(app)
    answers = {
        "path id": await buyer.get("/booths/%00", headers=HTML),
        "api path id": await buyer.get(f"/api/meetings/{ids['booked']}%00"),
        "media path": await buyer.get("/media/%00"),
        "query": await buyer.get(f"/fairs/{SLUG}/booths", params={"q": "a\x00b"}),
        "api query": await buyer.get(f"/api/fairs/{SLUG}/booths", params={"q": "\x00"}),
        # The live meeting's room is open: only the NUL can refuse this chat message.
        "json text": await buyer.post(f"/api/meetings/{ids['live']}/chat", json={"body": "hi\x00"}),
        "json key": await exhibitor.patch(f"/api/booths/{ids['booth']}", json={"city\x00": "x"}),
        "json nested": await exhibitor.patch(
            f"/api/booths/{ids['booth']}", json={"company": {"ja": "燕\x00"}}
        ),
        "sign-in": await world.clients["anon"].post(
            "/api/auth/login", json={"email": "kenji@sec.example\x00", "password": PASSWORD}
        ),
    }
    csrf = csrf_of((await exhibitor.get(f"/booths/{ids['booth']}/edit", headers=HTML)).text)
    answers["form"] = await exhibitor.post(
        f"/booths/{ids['booth']}/edit",
        data={"csrf_token": csrf, "company.ja": "燕\x00", "languages": "ja"},
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    answers["deep json"] = await buyer.post(
        "/api/meetings", content=deep, headers={"content-type": "application/json"}
    )
    wrong = {name: r.status_code for name, r in answers.items() if not 400 <= r.status_code < 500}
    assert wrong == {}
    assert (answers["json text"].status_code, answers["json text"].json()["error"]["code"]) == (
        400,
        "bad_request",
    )
    assert await snapshot(app) == before
    # A caption with a NUL in an upload is kept without it.
    exhibitor.cookies.set("kk_csrf", CSRF)
    upload = await exhibitor.post(
        f"/api/booths/{ids['booth']}/media",
        files={"file": ("n.png", png((5, 5)), "image/png")},
        data={"title.ja": "皿\x00の写真"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert (upload.status_code, upload.json()["title"]) == (201, {"ja": "皿の写真"})


# --- signaling through the app's own relay ----------------------------------------------------


def _tamper(token: str, **changes: Any) -> str:
    """Rewrite the payload of an itsdangerous token, keeping its timestamp and signature."""
    compressed = token.startswith(".")
    raw, rest = (token[1:] if compressed else token).split(".", 1)
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    payload = json.loads(zlib.decompress(data) if compressed else data)
    payload.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{encoded.decode().rstrip('=')}.{rest}"


async def _closed_with(ws_url: str, frame: dict[str, Any]) -> int:
    socket = await websockets.connect(ws_url)
    await socket.send(json.dumps(frame))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 10)
    return closed.value.rcvd.code


async def test_forged_tampered_expired_reused_or_foreign_tokens_join_nobody(
    client, session, app
) -> None:
    from meeting_helpers import booth_with_hours, meeting_at

    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Lan")
    wang = await make_user(session, "buyer", "wang@hengtai.example", name="Wang")
    ours = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=2))
    theirs = await meeting_at(session, booth["id"], wang.id, timedelta(minutes=2, days=1))
    ours_id, theirs_id, lan_id = ours.id, theirs.id, lan.id
    secret = of_app(app).settings.secret_key
    state = app.state.signaling
    await login(client, "kenji@tsubame.example")
    async with make_client(app) as buyer, make_client(app) as outsider:
        await login(buyer, "lan@saigon.example")
        await login(outsider, "wang@hengtai.example")
        # Wang, a participant of another meeting only, gets no token for this one.
        assert (await outsider.post(f"/api/meetings/{ours_id}/join")).status_code == 404
        async with serving(app) as base:
            ws_url = base.replace("http", "ws") + "/ws/signaling"
            kenji = (await client.post(f"/api/meetings/{ours_id}/join")).json()
            host = await websockets.connect(ws_url)
            await host.send(json.dumps({"type": "join", "token": kenji["token"]}))
            assert json.loads(await asyncio.wait_for(host.recv(), 10))["type"] == "joined"

            lan_token = (await buyer.post(f"/api/meetings/{ours_id}/join")).json()["token"]
            until = ours.ends_at + timedelta(minutes=15)
            attempts = {
                "signed with another key": issue(
                    "another-secret-" + "y" * 32,
                    user_id=lan_id,
                    meeting_id=ours_id,
                    role="buyer",
                    name="Lan",
                    until=until,
                ),
                "another meeting's token, rewritten to this one": _tamper(
                    issue(
                        secret,
                        user_id=wang.id,
                        meeting_id=theirs_id,
                        role="buyer",
                        name="Wang",
                        until=until,
                    ),
                    m=ours_id,
                ),
                "real token, user rewritten": _tamper(lan_token, u=wang.id, r="exhibitor"),
                "the session cookie as token": client.cookies["kk_session"],
                "truncated": lan_token[:-6],
                "empty": "",
            }
            assert _tamper(lan_token) != lan_token  # (re-encoding alone changes the text)
            for name, token in attempts.items():
                code = await _closed_with(ws_url, {"type": "join", "token": token})
                assert code == protocol.CLOSE_UNAUTHORIZED, name

            # Expired: the relay's clock (injected) is a minute and more past the issue time.
            real_clock = state.clock
            state.clock = lambda: real_clock() + timedelta(seconds=61)
            try:
                code = await _closed_with(ws_url, {"type": "join", "token": lan_token})
            finally:
                state.clock = real_clock
            assert code == protocol.CLOSE_UNAUTHORIZED
            # Still unspent (refused before use): it works once, then never again.
            first = await websockets.connect(ws_url)
            await first.send(json.dumps({"type": "join", "token": lan_token}))
            assert json.loads(await asyncio.wait_for(first.recv(), 10))["type"] == "joined"
            assert json.loads(await asyncio.wait_for(host.recv(), 10))["type"] == "peer-joined"
            await first.close()
            assert json.loads(await asyncio.wait_for(host.recv(), 10))["type"] == "peer-left"
            replay = await _closed_with(ws_url, {"type": "join", "token": lan_token})
            assert replay == protocol.CLOSE_UNAUTHORIZED
            # The host heard of no one else: its next frame answers its own ping.
            await host.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(host.recv(), 10)) == {"type": "pong"}
            assert state.hub.connected() == 1
            await host.close()


# --- rate limits: sign-in, per account and per address, over a sliding window ----------------


WRONG = "wrong password 1"


async def _attempt(client, email: str, password: str = WRONG) -> int:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_account_limit_holds_the_failing_address_and_lifts_after_the_window(
    app, client, session, stopped_clock
) -> None:
    # Issue 16 (targeted lock-out): the account's limit holds the address its failures
    # came from, not the account from every address (which let anyone lock its owner out).
    clock = stopped_clock
    await make_user(session, "buyer", "b@example.com")
    assert [await _attempt(client, "b@example.com") for _ in range(5)] == [401] * 5
    other_address = httpx_client_from(app, "198.51.100.20")
    async with other_address:
        assert await _attempt(client, "b@example.com", PASSWORD) == 429
        assert await _attempt(other_address, "b@example.com", PASSWORD) == 200
        # Blocked tries are not counted: the window is not pushed further out by them.
        clock.advance(timedelta(minutes=14, seconds=59))
        assert await _attempt(client, "b@example.com", PASSWORD) == 429
        clock.advance(timedelta(seconds=2))
        assert await _attempt(client, "b@example.com", PASSWORD) == 200
    # Another account was never limited by b's failures.
    await make_user(session, "buyer", "c@example.com")
    async with httpx_client_from(app, "198.51.100.21") as third:
        assert await _attempt(third, "c@example.com", PASSWORD) == 200


async def test_address_limit_spans_accounts_spares_other_addresses_and_lifts(
    app, client, session, stopped_clock
) -> None:
    clock = stopped_clock
    await make_user(session, "buyer", "b@example.com")
    statuses = [await _attempt(client, f"guess{n}@example.com") for n in range(20)]
    assert statuses == [401] * 20
    assert await _attempt(client, "b@example.com", PASSWORD) == 429
    async with httpx_client_from(app, "198.51.100.30") as other:
        assert await _attempt(other, "b@example.com", PASSWORD) == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    assert await _attempt(client, "b@example.com", PASSWORD) == 200
    # The form answers the same 429 with its page.
    clock.advance(-timedelta(minutes=15, seconds=1))
    csrf = csrf_of((await client.get("/login", headers=HTML)).text)
    form = await client.post(
        "/login", data={"csrf_token": csrf, "email": "b@example.com", "password": PASSWORD}
    )
    assert form.status_code == 429 and "text/html" in form.headers["content-type"]


def httpx_client_from(app: Any, address: str) -> Any:
    import httpx

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://testserver",
        follow_redirects=False,
    )


def test_the_signaling_rate_limit_allows_a_burst_then_the_rate_and_refills() -> None:
    """The relay's per-connection token bucket (30 frames/s, bursts of 60; 4429 beyond), with
    its clock passed in: the flood test in tests/signaling covers the close code end to end."""
    from signaling.server import SignalingState, _Bucket

    state = SignalingState(secret="s" * 40)
    bucket = _Bucket(state.rate_per_second, state.rate_burst, now=100.0)
    assert [bucket.take(100.0) for _ in range(61)] == [True] * 60 + [False]
    assert bucket.take(100.0) is False  # a refused frame costs nothing, and earns nothing
    assert [bucket.take(101.0) for _ in range(31)] == [True] * 30 + [False]
    # Idle for a minute: back to a full burst, never more.
    assert [bucket.take(161.0) for _ in range(61)] == [True] * 60 + [False]
    # A steady 30 frames a second is always allowed.
    steady = [bucket.take(162.0 + n / 30) for n in range(300)]
    assert all(steady[30:])


# --- security headers -------------------------------------------------------------------------


def _check_headers(response: Any, *, https: bool) -> list[str]:
    headers = response.headers
    problems = []
    csp = headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    if not script_src or any(
        s in script_src
        for s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")
    ):
        problems.append(f"script-src {script_src}")
    if directives.get("object-src") != ["'none'"]:
        problems.append("object-src")
    if directives.get("frame-ancestors") != ["'none'"] and headers.get("x-frame-options") != "DENY":
        problems.append("framing allowed")
    if directives.get("base-uri") not in (["'self'"], ["'none'"]):
        problems.append("base-uri")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("nosniff")
    if headers.get("referrer-policy") not in {
        "strict-origin-when-cross-origin",
        "no-referrer",
        "same-origin",
        "strict-origin",
    }:
        problems.append("referrer-policy")
    hsts = headers.get("strict-transport-security")
    if https and not (hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15552000):
        problems.append("no HSTS behind HTTPS")
    if not https and hsts:
        problems.append("HSTS over plain HTTP")
    return problems


def _cookie_problems(response: Any, *, https: bool) -> list[str]:
    problems = []
    for raw in response.headers.get_list("set-cookie"):
        name = raw.split("=", 1)[0]
        flags = {part.strip().lower() for part in raw.split(";")[1:]}
        if "httponly" not in flags:
            problems.append(f"{name} not HttpOnly")
        if not any(flag.startswith("samesite=") and flag != "samesite=none" for flag in flags):
            problems.append(f"{name} without SameSite")
        if https != ("secure" in flags):
            problems.append(f"{name} secure={'secure' in flags} with https={https}")
    return problems


@pytest.mark.parametrize("https", [False, True])
async def test_every_kind_of_response_carries_the_headers(settings, engine, session, https) -> None:
    import httpx

    from kakehashi.app import create_app

    application = create_app(settings.with_overrides(https=https))
    scheme = "https" if https else "http"
    transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 50000))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as client,
    ):
        media_id = await _approved_booth_with_photo(client, session)
        client.cookies.clear()
        responses = {
            "page (sets the CSRF and language cookies)": await client.get(
                "/?lang=ja", headers=HTML
            ),
            "form page": await client.get("/login", headers=HTML),
            "error page": await client.get("/no/such/page", headers=HTML),
            "api": await client.get("/api/fairs"),
            "api error": await client.get("/api/auth/me"),
            "api refusal": await client.post("/api/fairs", json={}, headers={"origin": EVIL}),
            "health": await client.get("/healthz"),
            "metrics refused": await client.get("/metrics"),
            "openapi": await client.get("/api/openapi.json"),
            "static css": await client.get("/static/css/app.css"),
            "static js": await client.get("/static/js/room.js"),
            "static 404": await client.get("/static/nope.js"),
            "media": await client.get(f"/media/{media_id}"),
            "sign-in (sets the session)": await client.post(
                "/api/auth/login", json={"email": "kenji@tsubame.example", "password": PASSWORD}
            ),
            "redirect": await client.post(
                "/language",
                data={
                    "csrf_token": csrf_of((await client.get("/login", headers=HTML)).text),
                    "locale": "ja",
                },
            ),
        }
    header_problems = {name: _check_headers(r, https=https) for name, r in responses.items()}
    assert {name: found for name, found in header_problems.items() if found} == {}
    cookie_problems = {name: _cookie_problems(r, https=https) for name, r in responses.items()}
    assert {name: found for name, found in cookie_problems.items() if found} == {}
    set_by_page = responses["page (sets the CSRF and language cookies)"].headers.get_list(
        "set-cookie"
    )
    assert {raw.split("=", 1)[0] for raw in set_by_page} == {"kk_csrf", "kk_lang"}
    assert responses["sign-in (sets the session)"].cookies.get("kk_session")
    assert responses["media"].status_code == 200
    assert responses["redirect"].status_code == 303, responses["redirect"].text
    assert (
        responses["static js"]
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


TEMPLATE_DIRS = [
    ROOT / package / "templates" for package in ("fair", "booths", "meetings", "signaling")
]
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\s(on[a-z]+)\s*=", re.S)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _page_templates() -> list[Path]:
    found = [p for d in TEMPLATE_DIRS for p in d.rglob("*.html") if "/mail/" not in p.as_posix()]
    assert len(found) > 30
    return sorted(found)


def test_no_template_has_inline_script_or_event_handlers() -> None:
    problems = []
    for template in _page_templates():
        source = template.read_text()
        name = template.relative_to(ROOT).as_posix()
        for attrs in SCRIPT_TAG.findall(source):
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                problems.append(f"{name}: inline <script{attrs}>")
        problems += [f"{name}: {m.group(1)}= handler" for m in INLINE_HANDLER.finditer(source)]
        problems += [f"{name}: javascript: URL" for _ in JS_URL.finditer(source)]
        if re.search(r"\|\s*safe\b|\{%\s*autoescape\s+false", source):
            problems.append(f"{name}: autoescape turned off")
        if re.search(r"\sstyle\s*=", source):
            problems.append(f"{name}: inline style (style-src 'self' blocks it)")
    assert problems == []


def test_the_template_checks_catch_what_they_look_for() -> None:
    assert INLINE_HANDLER.search('<button type="button" onclick="go()">')
    assert INLINE_HANDLER.search("<img\n  src=x\n  onerror=alert(1)>")
    assert not INLINE_HANDLER.search("<p>Click on = here</p>")
    assert SCRIPT_TAG.findall("<script>alert(1)</script>") == [""]
    assert JS_URL.search('<a href="javascript:void(0)">')


# --- header and calendar injection through user text -----------------------------------------


async def test_line_breaks_in_user_text_inject_no_mail_header_or_calendar_line(
    app, client, session
) -> None:
    import email
    from email import policy

    from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday

    from fair import outbox
    from kakehashi import jobs

    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await login(client, "kenji@tsubame.example")
    evil = "Tsubame\r\nBcc: victim@evil.example\r\nX-Injected: 1"
    patched = await client.patch(f"/api/booths/{booth['id']}", json={"company": {"ja": evil}})
    assert patched.status_code == 200, patched.text
    async with make_client(app) as buyer:
        await buyer.post(
            "/api/auth/register",
            json={
                "email": "lan@saigon.example", "password": PASSWORD,
                "name": "Lan\r\nATTENDEE:mailto:spy@evil.example", "role": "buyer",
                "company": "Saigon\nEND:VEVENT", "country": "VN",
                "timezone": "Asia/Ho_Chi_Minh", "locale": "en",
            },
        )  # fmt: skip
        await confirm_email(buyer, app, "lan@saigon.example")
        booked = await book(buyer, booth["id"], at_tokyo(day, 10))
        assert booked.status_code == 201, booked.text
        invite = await buyer.get(f"/api/meetings/{booked.json()['id']}/invite.ics")
    lines = invite.text.split("\r\n")
    assert not [line for line in lines if line.startswith(("X-Injected", "ATTENDEE:mailto:spy"))]
    assert lines.count("END:VEVENT") == 1 and lines.count("BEGIN:VEVENT") == 1
    while await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app))):
        pass
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(of_app(app).settings.mail_dir.glob("*.eml"))
    ]
    # The buyer's names the booth, the exhibitor's the buyer: both carry a user's line breaks.
    meeting_mails = [m for m in mails if m["subject"].startswith("Meeting confirmed")]
    assert len(meeting_mails) == 2  # the buyer's and the exhibitor's, both sent
    assert {"Tsubame" in m["subject"] for m in meeting_mails} == {True, False}
    for mail in meeting_mails:
        assert mail["bcc"] is None and mail["x-injected"] is None
        assert "\n" not in mail["subject"] and "\r" not in mail["subject"]
