"""The HTML shell: forms with CSRF tokens, escaping, the language switcher."""

from __future__ import annotations

import re
from html import escape

from helpers import PASSWORD, login, make_user
from sqlalchemy import func, select

from fair.accounts.models import User
from fair.fairs.service import plan_year
from fair.fairs.themes import FAIR_THEMES
from fair.i18n import LANGUAGES, html_lang, translations

HTML = {"accept": "text/html"}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_data(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, **fields}


def register_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "role": "exhibitor",
        "name": "Haruka Sato",
        "company": "Tsubame Metal Works",
        "email": "haruka@tsubame.example",
        "password": PASSWORD,
        "country": "JP",
        "timezone": "Asia/Tokyo",
        "locale": "ja",
    }
    fields.update(overrides)
    return fields


async def users(session) -> int:
    return await session.scalar(select(func.count()).select_from(User))


async def test_register_form_creates_account_and_redirects_signed_in(client, session):
    page = await client.get("/register", headers=HTML)
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    response = await client.post("/register", data=form_data(csrf, **register_fields()))
    assert (response.status_code, response.headers["location"]) == (303, "/?welcome=1")
    home = await client.get("/?welcome=1", headers=HTML)
    assert "Haruka Sato" in home.text
    assert await users(session) == 1


async def test_register_form_without_csrf_token_is_403_and_writes_nothing(client, session):
    await client.get("/register", headers=HTML)
    response = await client.post("/register", data=register_fields())
    assert response.status_code == 403
    forged = await client.post("/register", data=form_data("forged", **register_fields()))
    assert forged.status_code == 403
    assert await users(session) == 0


async def test_register_form_error_rerenders_with_message_and_values(client, session):
    csrf = csrf_of((await client.get("/register?lang=en", headers=HTML)).text)
    response = await client.post(
        "/register?lang=en", data=form_data(csrf, **register_fields(timezone="Mars/Olympus"))
    )
    assert response.status_code == 422
    assert "Unknown time zone." in response.text
    assert 'value="Tsubame Metal Works"' in response.text
    assert PASSWORD not in response.text
    assert await users(session) == 0


async def test_user_text_is_escaped_on_pages(client, session):
    await make_user(session, "buyer", "x@example.com", name="<script>alert(1)</script>")
    await login(client, "x@example.com")
    home = await client.get("/", headers=HTML)
    assert "<script>alert(1)</script>" not in home.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home.text


async def test_every_language_renders_home_with_its_own_words(client, session):
    await plan_year(session, year=2027, titles=FAIR_THEMES)
    await session.commit()
    seen = set()
    for code in LANGUAGES:
        page = await client.get(f"/?lang={code}", headers=HTML)
        assert page.status_code == 200
        assert f'<html lang="{html_lang(code)}">' in page.text
        heading = translations(code).ugettext("Online trade fairs")
        assert heading in page.text
        seen.add(heading)
        assert escape(f"{FAIR_THEMES[1][code]} 2027", quote=False) in page.text
    assert len(seen) == len(LANGUAGES)


async def test_accept_language_picks_the_page_language(client):
    page = await client.get("/", headers=HTML | {"accept-language": "zh-TW,zh;q=0.9"})
    assert '<html lang="zh-Hant">' in page.text


async def test_language_switcher_remembers_choice_and_saves_it_for_users(client, session):
    await make_user(session, "buyer", "b@example.com", locale="en")
    csrf = csrf_of((await client.get("/", headers=HTML)).text)
    switched = await client.post("/language", data=form_data(csrf, locale="vi", next="/login"))
    assert (switched.status_code, switched.headers["location"]) == (303, "/login")
    assert '<html lang="vi">' in (await client.get("/", headers=HTML)).text
    await login(client, "b@example.com")
    # A signed-in user's own language wins over the cookie ...
    home = (await client.get("/", headers=HTML)).text
    assert '<html lang="en">' in home
    # ... and switching while signed in changes it on the account (with the form's token,
    # new since sign-in).
    await client.post("/language", data=form_data(csrf_of(home), locale="th", next="/"))
    user = await session.scalar(select(User).execution_options(populate_existing=True))
    assert user.locale == "th"


async def test_language_switcher_refuses_open_redirects_and_unknown_languages(client):
    csrf = csrf_of((await client.get("/", headers=HTML)).text)
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        response = await client.post("/language", data=form_data(csrf, locale="ja", next=target))
        assert response.headers["location"] == "/"
    bad = await client.post("/language", data=form_data(csrf, locale="klingon", next="/"))
    assert bad.status_code == 422


async def test_login_form_wrong_password_shows_message_and_counts_attempt(client, session):
    await make_user(session, "buyer", "b@example.com")
    csrf = csrf_of((await client.get("/login?lang=en", headers=HTML)).text)
    response = await client.post(
        "/login?lang=en", data=form_data(csrf, email="b@example.com", password="nope nope nope")
    )
    assert response.status_code == 401
    assert "E-mail address or password is wrong." in response.text
    ok = await client.post(
        "/login?next=/fairs/x",
        data=form_data(csrf, email="b@example.com", password=PASSWORD, next="/fairs/x"),
    )
    assert (ok.status_code, ok.headers["location"]) == (303, "/fairs/x")


async def test_pages_carry_security_headers(client):
    response = await client.get("/", headers=HTML)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers


async def test_unknown_page_is_404_page(client):
    response = await client.get("/no/such/page", headers=HTML)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_login_form_rate_limit_message_names_the_wait(client, session):
    await make_user(session, "buyer", "b@example.com")
    csrf = csrf_of((await client.get("/login?lang=en", headers=HTML)).text)
    for _ in range(5):
        await client.post(
            "/login?lang=en", data=form_data(csrf, email="b@example.com", password="nope nope 1")
        )
    blocked = await client.post(
        "/login?lang=en", data=form_data(csrf, email="b@example.com", password=PASSWORD)
    )
    assert blocked.status_code == 429
    assert "Please wait 15 minutes and try again." in blocked.text
