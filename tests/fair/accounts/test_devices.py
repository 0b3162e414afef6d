"""Signed-in devices: the list (never the cookie, nor its hash), signing one out, every
other one, another account's session left alone, sign-out ending this session."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from helpers import login, make_client, make_user, use_session

from fair.web import CSRF_COOKIE, SESSION_COOKIE

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


async def devices(client) -> list[dict]:
    answer = await client.get("/api/auth/sessions")
    assert answer.status_code == 200, answer.text
    return answer.json()["sessions"]


async def test_my_devices_are_listed_without_their_secrets(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    async with make_client(app, address="198.51.100.20") as phone:
        phone.headers["user-agent"] = PHONE
        await login(phone, "lan@saigon.example")
        listed = await devices(client)
    assert len(listed) == 2
    mine = next(d for d in listed if d["current"])
    other = next(d for d in listed if not d["current"])
    assert (mine["user_agent"], mine["address"]) == ("Firefox · Linux", "203.0.113.7")
    assert (other["user_agent"], other["address"]) == ("Safari · iOS", "198.51.100.20")
    assert set(mine) == {"id", "created_at", "last_seen_at", "user_agent", "address", "current"}
    cookie = client.cookies.get(SESSION_COOKIE)
    assert mine["id"] not in {cookie, hashlib.sha256(cookie.encode()).hexdigest()}
    assert cookie not in str(listed)


async def test_last_seen_follows_use(app, client, session, stopped_clock):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    (before,) = await devices(client)
    stopped_clock.advance(timedelta(hours=2))
    await client.get("/api/auth/me")
    (after,) = await devices(client)
    assert after["last_seen_at"] > before["last_seen_at"]
    assert after["created_at"] == before["created_at"]


async def test_signing_out_one_device_and_every_other(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    async with make_client(app) as phone, make_client(app) as tablet:
        await login(phone, "lan@saigon.example")
        await login(tablet, "lan@saigon.example")
        phone_id = next(d["id"] for d in await devices(phone) if d["current"])
        assert (await client.delete(f"/api/auth/sessions/{phone_id}")).status_code == 204
        assert (await phone.get("/api/auth/me")).status_code == 401
        assert (await tablet.get("/api/auth/me")).status_code == 200
        assert (await client.delete(f"/api/auth/sessions/{phone_id}")).status_code == 404

        ended = await client.post("/api/auth/sessions/revoke-others")
        assert ended.json() == {"ended": 1}
        assert (await tablet.get("/api/auth/me")).status_code == 401
        assert [d["current"] for d in await devices(client)] == [True]


async def test_another_accounts_session_is_not_found_and_stays(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "exhibitor", "kenji@tsubame.example")
    await login(client, "lan@saigon.example")
    async with make_client(app) as kenji:
        await login(kenji, "kenji@tsubame.example")
        (theirs,) = await devices(kenji)
        refused = await client.delete(f"/api/auth/sessions/{theirs['id']}")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
        assert (await kenji.get("/api/auth/me")).status_code == 200
        page = await client.get("/account/sessions", headers=HTML)
        csrf = CSRF_RE.search(page.text).group(1)
        form = await client.post(
            f"/account/sessions/{theirs['id']}/revoke", data={"csrf_token": csrf}, headers=HTML
        )
        assert form.status_code == 404
        assert (await kenji.get("/api/auth/me")).status_code == 200


async def test_sign_out_ends_this_session_for_good(client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    token = client.cookies.get(SESSION_COOKIE)
    assert (await client.post("/api/auth/logout")).status_code == 204
    use_session(client, token)  # the old cookie, presented again
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_signing_out_this_device_from_the_list_clears_its_cookies(client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    csrf_before = client.cookies.get(CSRF_COOKIE)
    (mine,) = await devices(client)
    answer = await client.delete(f"/api/auth/sessions/{mine['id']}")
    assert answer.status_code == 204
    assert (await client.get("/api/auth/me")).status_code == 401
    assert client.cookies.get(CSRF_COOKIE) != csrf_before


async def test_the_devices_page_signs_out_everywhere_else(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example", name="Lan Nguyen")
    await login(client, "lan@saigon.example")
    async with make_client(app) as phone:
        phone.headers["user-agent"] = PHONE
        await login(phone, "lan@saigon.example")
        page = await client.get("/account/sessions", headers=HTML)
        assert page.status_code == 200
        assert "Safari · iOS" in page.text and "Firefox · Linux" in page.text
        assert page.text.count('action="/account/sessions/') == 3  # two devices, and the rest
        csrf = CSRF_RE.search(page.text).group(1)
        answer = await client.post(
            "/account/sessions/revoke-others", data={"csrf_token": csrf}, headers=HTML
        )
        assert (answer.status_code, answer.headers["location"]) == (
            303,
            "/account/sessions?ended=1",
        )
        assert (await phone.get("/api/auth/me")).status_code == 401
        shown = await client.get("/account/sessions?ended=1&lang=en", headers=HTML)
        assert "1 other device signed out." in shown.text
