"""E-mail verification and password reset, end to end: the mail read from a real SMTP sink,
its link opened as a page, the button pressed; single use, expiry with the clock moved,
forged links; the rate limits; what an unconfirmed account may not do or be mailed."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from helpers import (
    PASSWORD,
    confirm_email,
    login,
    make_client,
    make_user,
    read_scalar,
    registration,
    use_session,
)
from meeting_helpers import (
    at_tokyo,
    book,
    booth_with_hours,
    buyer,
    meeting_at,
    next_weekday,
    run_jobs,
)
from sqlalchemy import func, select

from fair.accounts.models import AccountToken, User
from fair.accounts.tokens import token_of
from fair.i18n import translations
from fair.outbox import OutboxJob
from fair.resources import of_app
from fair.web import CSRF_COOKIE, SESSION_COOKIE

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_PASSWORD = "lantern orchid seventeen harbour"


def inbox_of(smtp: Any) -> list[Any]:
    return smtp[0].messages


def text_of(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: Any, path: str) -> str:
    found = re.search(rf"http://\S+{re.escape(path)}(\S+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


async def press(client: Any, url: str, **fields: str) -> Any:
    """Open a page as a browser does, then send its form with the page's CSRF token."""
    shown = await client.get(url, headers=HTML)
    assert shown.status_code == 200, shown.text
    csrf = CSRF_RE.search(shown.text)
    assert csrf
    return await client.post(url, data={"csrf_token": csrf.group(1), **fields}, headers=HTML)


async def me(client: Any) -> Any:
    return await client.get("/api/auth/me")


# E-mail verification ------------------------------------------------------------------------


async def test_a_new_account_confirms_its_address_from_the_mailed_link(
    app, client, smtp, mail_context
):
    data = registration(name="<b>Click http://evil.example</b>", company="Free money Ltd")
    assert (await client.post("/api/auth/register", json=data)).status_code == 201
    assert (await me(client)).json()["email_verified"] is False
    assert await run_jobs(app, mail_context) == 1

    (mail,) = inbox_of(smtp)
    assert mail["To"] == data["email"]
    # In the account's language (Vietnamese), and nothing the registrant typed in it: the
    # address may be a stranger's.
    assert mail["Subject"] == translations("vi").ugettext(
        "Confirm your e-mail address for Kakehashi"
    )
    assert "evil" not in mail.as_string() and "Free money" not in mail.as_string()
    token = link_in(mail, "/verify/")

    # Opening the link (as a mail scanner would) confirms nothing.
    shown = await client.get(f"/verify/{token}", headers=HTML)
    assert shown.status_code == 200
    assert (await me(client)).json()["email_verified"] is False
    confirmed = await press(client, f"/verify/{token}")
    assert confirmed.status_code == 200
    assert (await me(client)).json()["email_verified"] is True

    # Only now the welcome, which names the person.
    assert await run_jobs(app, mail_context) == 1
    assert [m["Subject"] for m in inbox_of(smtp)][1] == translations("vi").ugettext(
        "Welcome to Kakehashi"
    )
    # The link worked once.
    again = await client.post("/api/auth/verify", json={"token": token})
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_link"


async def test_a_verification_link_expires(app, client, session, stopped_clock):
    await client.post("/api/auth/register", json=registration())
    settings = of_app(app).settings
    stopped_clock.advance(timedelta(hours=settings.verification_hours, seconds=1))
    late = await _verify_newest(client, app)
    assert late.status_code == 400 and late.json()["error"]["code"] == "invalid_link"
    assert (await me(client)).json()["email_verified"] is False


async def _verify_newest(client: Any, app: Any) -> Any:
    async with of_app(app).sessionmaker() as s:
        row_id = await read_scalar(
            s, select(AccountToken.id).order_by(AccountToken.created_at.desc()).limit(1)
        )
    token = token_of(row_id, "verify", of_app(app).settings.secret_key)
    return await client.post("/api/auth/verify", json={"token": token})


@pytest.mark.parametrize(
    "forge",
    [
        lambda row_id, secret: secrets.token_urlsafe(32),  # made up
        # the right row, signed with another key
        lambda row_id, secret: token_of(row_id, "verify", "another-secret-" + "y" * 32),
        lambda row_id, secret: token_of(row_id, "reset", secret),  # made for another purpose
        lambda row_id, secret: "x" * 200,  # too long to be one
    ],
)
async def test_a_forged_verification_link_changes_nothing(app, client, session, forge):
    await client.post("/api/auth/register", json=registration())
    row_id = await read_scalar(session, select(AccountToken.id))
    forged = forge(row_id, of_app(app).settings.secret_key)
    answer = await client.post("/api/auth/verify", json={"token": forged})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_link"
    assert (await me(client)).json()["email_verified"] is False
    assert await read_scalar(session, select(AccountToken.used_at)) is None


async def test_resending_the_link_is_rate_limited(app, client, stopped_clock):
    await client.post("/api/auth/register", json=registration())
    allowed = of_app(app).settings.verification_resend_max
    for _ in range(allowed - 1):  # the link mailed at registration counts
        assert (await client.post("/api/auth/verify/resend")).status_code == 202
    refused = await client.post("/api/auth/verify/resend")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "link_rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    stopped_clock.advance(timedelta(minutes=of_app(app).settings.account_mail_window_minutes))
    assert (await client.post("/api/auth/verify/resend")).status_code == 202
    # Any of the links works; a confirmed account needs no more.
    assert (await _verify_newest(client, app)).status_code == 200
    assert (await client.post("/api/auth/verify/resend")).status_code == 409


async def test_resend_from_the_account_page(app, client, session):
    await client.post("/api/auth/register", json=registration())
    page = await client.get("/account", headers=HTML)
    assert 'action="/account/verify/resend"' in page.text
    csrf = CSRF_RE.search(page.text).group(1)
    answer = await client.post("/account/verify/resend", data={"csrf_token": csrf})
    assert (answer.status_code, answer.headers["location"]) == (303, "/account?done=sent")
    assert await read_scalar(session, select(func.count()).select_from(AccountToken)) == 2


async def test_an_unconfirmed_buyer_browses_but_cannot_book_or_chat(app, client, session):
    booth = await booth_with_hours(client, session)
    async with make_client(app) as lan_client:
        lan = await buyer(lan_client, session, verified=False)
        assert (await lan_client.get(f"/api/booths/{booth['id']}")).status_code == 200
        start = at_tokyo(next_weekday(), 10)
        refused = await book(lan_client, booth["id"], start)
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "email_not_verified"
        assert "confirm your e-mail address" in error["message"]
        meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
        chat = await lan_client.post(f"/api/meetings/{meeting.id}/chat", json={"body": "hi"})
        assert chat.status_code == 403 and chat.json()["error"]["code"] == "email_not_verified"
        assert (await lan_client.get(f"/api/meetings/{meeting.id}/chat")).json()["messages"] == []
        # Once confirmed, the same booking goes through.
        await lan_client.post("/api/auth/verify/resend")
        await confirm_email(lan_client, app, lan.email)
        assert (await book(lan_client, booth["id"], start)).status_code == 201


async def test_an_unconfirmed_address_is_mailed_nothing_but_its_link(
    app, client, session, smtp, mail_context
):
    """A buyer books at the booth of an exhibitor whose address nobody confirmed: only the
    buyer gets the invite."""
    booth = await booth_with_hours(client, session)
    await session.execute(
        User.__table__.update()
        .where(User.email == "kenji@tsubame.example")
        .values(email_verified_at=None)
    )
    await session.commit()
    async with make_client(app) as lan_client:
        await buyer(lan_client, session)
        booked = await book(lan_client, booth["id"], at_tokyo(next_weekday(), 10))
        assert booked.status_code == 201
    await run_jobs(app, mail_context)
    assert {m["To"] for m in inbox_of(smtp)} == {"lan@saigon.example"}


# Password reset -----------------------------------------------------------------------------


async def test_reset_answers_the_same_for_an_unknown_address_and_mails_nothing(
    app, client, session, smtp, mail_context
):
    await make_user(session, "buyer", "lan@saigon.example")
    known = await client.post("/api/auth/password-reset", json={"email": "lan@saigon.example"})
    unknown = await client.post("/api/auth/password-reset", json={"email": "who@nowhere.example"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 202
    # The same writes for both: a link row and a mail job each.
    assert await read_scalar(session, select(func.count()).select_from(AccountToken)) == 2
    assert await read_scalar(session, select(func.count()).select_from(OutboxJob)) == 2
    await run_jobs(app, mail_context)
    assert [m["To"] for m in inbox_of(smtp)] == ["lan@saigon.example"]


async def test_reset_by_mail_sets_the_password_once_and_ends_every_session(
    app, client, session, smtp, mail_context
):
    await make_user(session, "buyer", "lan@saigon.example", locale="th")
    async with make_client(app) as phone:
        await login(phone, "lan@saigon.example")
        made = await phone.post(
            "/api/tokens",
            json={"name": "CRM", "scopes": ["read"]},
            headers={"x-csrf-token": phone.cookies[CSRF_COOKIE]},
        )
        secret = made.json()["token"]
        page = await press(client, "/password-reset", email="lan@saigon.example")
        assert page.status_code == 202
        await run_jobs(app, mail_context)
        (mail,) = inbox_of(smtp)
        assert mail["Subject"] == translations("th").ugettext("Reset your Kakehashi password")
        token = link_in(mail, "/password-reset/")

        done = await press(client, f"/password-reset/{token}", password=NEW_PASSWORD)
        assert (done.status_code, done.headers["location"]) == (303, "/login?done=reset")
        assert (await me(phone)).status_code == 401  # the other session ended
        # ... and so did the API token made with the old password.
        async with make_client(app) as program:
            read = await program.get("/api/me", headers={"authorization": f"Bearer {secret}"})
        assert read.status_code == 401
        old = await client.post(
            "/api/auth/login", json={"email": "lan@saigon.example", "password": PASSWORD}
        )
        assert old.status_code == 401
        await login(client, "lan@saigon.example", NEW_PASSWORD)
        again = await client.post(
            "/api/auth/password-reset/confirm", json={"token": token, "password": PASSWORD}
        )
        assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_link"
        await login(client, "lan@saigon.example", NEW_PASSWORD)


async def _reset_token(app: Any, session: Any, client: Any, email: str) -> str:
    assert (await client.post("/api/auth/password-reset", json={"email": email})).status_code == 202
    row_id = await read_scalar(
        session, select(AccountToken.id).order_by(AccountToken.created_at.desc()).limit(1)
    )
    return token_of(row_id, "reset", of_app(app).settings.secret_key)


async def test_a_reset_link_expires_and_a_weak_password_spends_nothing(
    app, client, session, stopped_clock
):
    await make_user(session, "buyer", "lan@saigon.example")
    token = await _reset_token(app, session, client, "lan@saigon.example")
    weak = await client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "password": "password1234"}
    )
    assert weak.status_code == 422 and "password" in weak.json()["error"]["fields"]
    assert await read_scalar(session, select(AccountToken.used_at)) is None
    stopped_clock.advance(timedelta(minutes=of_app(app).settings.password_reset_minutes))
    late = await client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert late.status_code == 400 and late.json()["error"]["code"] == "invalid_link"
    await login(client, "lan@saigon.example")  # the password is as it was


async def test_reset_requests_are_limited_per_address_and_per_client(
    app, client, session, stopped_clock
):
    settings = of_app(app).settings
    await make_user(session, "buyer", "lan@saigon.example")
    for _ in range(settings.password_reset_max_per_email):
        await _reset_token(app, session, client, "lan@saigon.example")
    refused = await client.post("/api/auth/password-reset", json={"email": "lan@saigon.example"})
    assert refused.status_code == 429 and refused.headers["retry-after"]
    # An unknown address is limited the same way: the answer tells nothing.
    for _ in range(settings.password_reset_max_per_email):
        body = {"email": "nobody@saigon.example"}
        assert (await client.post("/api/auth/password-reset", json=body)).status_code == 202
    body = {"email": "nobody@saigon.example"}
    assert (await client.post("/api/auth/password-reset", json=body)).status_code == 429
    # One client asking for many addresses is stopped too.
    asked = 2 * settings.password_reset_max_per_email
    for n in range(settings.password_reset_max_per_address - asked):
        body = {"email": f"someone{n}@saigon.example"}
        assert (await client.post("/api/auth/password-reset", json=body)).status_code == 202
    body = {"email": "one-more@saigon.example"}
    assert (await client.post("/api/auth/password-reset", json=body)).status_code == 429
    async with make_client(app, address="198.51.100.9") as elsewhere:
        assert (await elsewhere.post("/api/auth/password-reset", json=body)).status_code == 202
    stopped_clock.advance(timedelta(minutes=settings.account_mail_window_minutes))
    assert (await client.post("/api/auth/password-reset", json=body)).status_code == 202


# Changing the password ----------------------------------------------------------------------


async def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    app, client, session
):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    async with make_client(app) as phone:
        await login(phone, "lan@saigon.example")
        wrong = await client.post(
            "/api/auth/password",
            json={"current_password": "not my password at all", "new_password": NEW_PASSWORD},
        )
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
        assert (await me(phone)).status_code == 200  # nothing changed
        weak = await client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "qwertyuiop1"},
        )
        assert weak.status_code == 422 and "new_password" in weak.json()["error"]["fields"]
        await login(phone, "lan@saigon.example")

        changed = await client.post(
            "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert changed.status_code == 204
        assert (await me(client)).status_code == 200  # this one stays signed in
        assert (await me(phone)).status_code == 401
        await login(phone, "lan@saigon.example", NEW_PASSWORD)


async def test_changing_the_password_from_the_account_page(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    page = await client.get("/account", headers=HTML)
    csrf = CSRF_RE.search(page.text).group(1)
    wrong = await client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": "nope nope nope", "new_password": "x"},
        headers=HTML,
    )
    assert wrong.status_code == 400 and "field-error" in wrong.text
    done = await client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=password")
    token = client.cookies.get(SESSION_COOKIE)
    use_session(client, token)
    assert (await me(client)).status_code == 200


async def test_the_login_page_links_to_forgot_password(client):
    page = await client.get("/login", headers=HTML)
    assert 'href="/password-reset"' in page.text
    forgot = await client.get("/password-reset", headers=HTML)
    assert forgot.status_code == 200 and 'name="email"' in forgot.text
