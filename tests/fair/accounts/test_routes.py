from __future__ import annotations

import subprocess
import sys
from http.cookies import SimpleCookie

import pytest
from helpers import PASSWORD, login, make_user, registration, use_session
from sqlalchemy import func, select

from fair.accounts.models import AccountToken, User
from fair.outbox import OutboxJob
from fair.resources import of_app


async def count_users(session) -> int:
    return await session.scalar(select(func.count()).select_from(User))


def set_cookie_headers(response) -> dict[str, str]:
    headers = {}
    for raw in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(raw)
        for name in cookie:
            headers[name] = raw.lower()
    return headers


async def test_register_creates_account_signs_in_and_queues_verification(client, session):
    response = await client.post("/api/auth/register", json=registration())
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["country"], body["timezone"], body["locale"]) == (
        "lan.nguyen@saigon-trading.example",
        "buyer",
        "VN",
        "Asia/Ho_Chi_Minh",
        "vi",
    )
    me = await client.get("/api/auth/me")
    assert me.json()["id"] == body["id"]
    assert body["email_verified"] is False
    # Only the verification link is queued: the welcome (which names the person) waits for
    # the address to be confirmed.
    jobs = (await session.scalars(select(OutboxJob))).all()
    link = await session.scalar(select(AccountToken))
    assert [(j.job, j.key, j.args) for j in jobs] == [
        ("send_account_link", f"account-link:{link.id}", {"token_id": link.id})
    ]
    assert (link.user_id, link.purpose) == (body["id"], "verify")


async def test_register_stores_argon2_hash_not_password(client, session):
    await client.post("/api/auth/register", json=registration())
    user = await session.scalar(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_the_app_hashes_at_argon2s_full_cost_outside_the_tests():
    """The suite hashes cheaply in its own process (tests/conftest.py); the app as it is
    run hashes with argon2-cffi's default, RFC 9106's low-memory profile (64 MiB, 3 passes)."""
    script = (
        "from fair.accounts import service; h = service._hasher; "
        "print(h.memory_cost, h.time_cost, service._DUMMY_HASH.split('$')[3])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["65536", "3", "m=65536,t=3,p=4"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "EST5EDT-nonsense"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"locale": "fr"}, "locale"),
        ({"role": "organizer"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "aaaaaaaaaaaa"}, "password"),
        ({"password": "lan.nguyen-2026!"}, "password"),
        ({"name": 42}, "name"),
        ({"unexpected": "x"}, "unexpected"),
    ],
)
async def test_register_bad_field_is_422_and_writes_nothing(client, session, overrides, field):
    response = await client.post("/api/auth/register", json=registration(**overrides))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert await count_users(session) == 0


async def test_register_missing_fields_lists_each(client, session):
    response = await client.post("/api/auth/register", json={"email": "a@b.example"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "password",
        "name",
        "role",
        "company",
        "country",
        "timezone",
    }


async def test_register_existing_email_is_409_case_insensitive(client, session):
    assert (await client.post("/api/auth/register", json=registration())).status_code == 201
    again = await client.post(
        "/api/auth/register", json=registration(email="LAN.Nguyen@Saigon-Trading.example")
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"
    assert await count_users(session) == 1


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "bad_request"),
        (b"[1, 2]", "application/json", 422, "invalid"),
        (b"email=a@b.example", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"{}", "text/plain", 415, "unsupported_media_type"),
        (b"\xff\xfe", "application/json", 400, "bad_request"),
    ],
)
async def test_register_malformed_body_is_4xx(client, session, content, content_type, status, code):
    response = await client.post(
        "/api/auth/register", content=content, headers={"content-type": content_type}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert await count_users(session) == 0


async def test_register_oversized_body_is_413(client, session):
    big = registration(company="x" * 1_100_000)
    response = await client.post("/api/auth/register", json=big)
    assert response.status_code == 413
    assert await count_users(session) == 0


async def test_session_cookie_is_httponly_samesite_lax_not_secure_over_http(client):
    response = await client.post("/api/auth/register", json=registration())
    cookie = set_cookie_headers(response)["kk_session"]
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


async def test_session_cookie_is_secure_when_https(app, client):
    of_app(app).settings = of_app(app).settings.with_overrides(https=True)
    response = await client.post("/api/auth/register", json=registration())
    assert "secure" in set_cookie_headers(response)["kk_session"]


async def test_login_rotates_session_id_and_old_id_is_dead(client, session):
    await make_user(session, "buyer", "buyer@example.com")
    use_session(client, "planted-by-attacker")
    first = await login(client, "buyer@example.com")
    first_token = first.cookies["kk_session"]
    assert first_token != "planted-by-attacker"
    second = await login(client, "buyer@example.com")
    second_token = second.cookies["kk_session"]
    assert second_token != first_token
    use_session(client, first_token)
    assert (await client.get("/api/auth/me")).status_code == 401
    use_session(client, second_token)
    assert (await client.get("/api/auth/me")).status_code == 200


async def test_login_wrong_password_is_401(client, session):
    await make_user(session, "buyer", "buyer@example.com")
    response = await client.post(
        "/api/auth/login", json={"email": "buyer@example.com", "password": "wrong password!"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        401,
        "invalid_credentials",
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )
    assert unknown.json()["error"] == response.json()["error"]


async def test_login_rate_limited_per_account_even_with_right_password(client, session):
    await make_user(session, "buyer", "buyer@example.com")
    for _ in range(5):
        bad = await client.post(
            "/api/auth/login", json={"email": "buyer@example.com", "password": "guess guess 1"}
        )
        assert bad.status_code == 401
    blocked = await client.post(
        "/api/auth/login", json={"email": "buyer@example.com", "password": PASSWORD}
    )
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (429, "login_rate_limited")


async def test_login_rate_limited_per_address_across_accounts(client, session):
    await make_user(session, "buyer", "buyer@example.com")
    for n in range(20):
        await client.post(
            "/api/auth/login", json={"email": f"u{n}@example.com", "password": "guess guess 1"}
        )
    blocked = await client.post(
        "/api/auth/login", json={"email": "buyer@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429


async def test_logout_ends_session(client, session):
    await make_user(session, "buyer", "buyer@example.com")
    await login(client, "buyer@example.com")
    token = client.cookies["kk_session"]
    assert (await client.post("/api/auth/logout")).status_code == 204
    use_session(client, token)
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_cross_site_post_is_refused_before_anything_happens(client, session):
    response = await client.post(
        "/api/auth/register", json=registration(), headers={"origin": "https://evil.example"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "cross_origin")
    assert await count_users(session) == 0
