"""From the earlier notes (issue 16, item 15): the CSRF token changes whenever who is signed
in changes, so one planted or learnt before sign-in (a cookie tossed from a sibling
subdomain, a shared computer) is worthless after it; and an account cannot flood a
meeting's chat (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from helpers import PASSWORD, login, make_client, make_user, registration
from meeting_helpers import booth_with_hours, meeting_at
from security_helpers import HTML, csrf_of

from meetings.video_room import CHAT_LINES_PER_MINUTE


def csrf_set_by(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == "kk_csrf":
            return rest.split(";")[0]
    return None


async def form_token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/login", headers=HTML)).text)


async def still_accepted(client: httpx.AsyncClient, token: str) -> bool:
    """Does a form post carrying ``token`` (with whatever cookie the browser now holds)
    pass the CSRF check?"""
    response = await client.post("/language", data={"csrf_token": token, "locale": "ja"})
    return response.status_code == 303


async def test_signing_in_by_form_or_api_and_registering_replace_the_csrf_token(
    client, session
) -> None:
    await make_user(session, "buyer", "lan@saigon.example")
    for sign_in in ("form", "api", "register"):
        client.cookies.clear()
        known = await form_token(client)  # the token before sign-in, known to someone else
        assert client.cookies["kk_csrf"] == known
        if sign_in == "form":
            response = await client.post(
                "/login",
                data={"csrf_token": known, "email": "lan@saigon.example", "password": PASSWORD},
            )
            assert response.status_code == 303
        elif sign_in == "api":
            response = await login(client, "lan@saigon.example")
        else:
            response = await client.post(
                "/api/auth/register", json=registration(email="new@example.org")
            )
            assert response.status_code == 201
        fresh = csrf_set_by(response)
        assert fresh and fresh != known, sign_in
        assert client.cookies["kk_csrf"] == fresh
        assert not await still_accepted(client, known)
        assert await still_accepted(client, fresh)


async def test_signing_out_replaces_the_csrf_token(client, session) -> None:
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    before = await form_token(client)
    out = await client.post("/logout", data={"csrf_token": before})
    assert out.status_code == 303
    after = csrf_set_by(out)
    assert after and after != before
    assert not await still_accepted(client, before)
    signed_in = csrf_set_by(await login(client, "lan@saigon.example"))
    api_out = await client.post("/api/auth/logout")
    assert api_out.status_code == 204
    assert csrf_set_by(api_out) not in (None, signed_in)


async def test_an_account_cannot_flood_the_chat(client, session, app, stopped_clock) -> None:
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    first = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    # A second meeting whose room is open too: the limit is the account's, not the room's.
    second = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=8))
    async with make_client(app) as buyer:
        await login(buyer, "lan@saigon.example")
        await login(client, "kenji@tsubame.example")

        async def post(who: Any, meeting_id: str, n: int) -> httpx.Response:
            return await who.post(f"/api/meetings/{meeting_id}/chat", json={"body": f"line {n}"})

        half = CHAT_LINES_PER_MINUTE // 2
        for n in range(CHAT_LINES_PER_MINUTE):
            response = await post(buyer, first.id if n < half else second.id, n)
            assert response.status_code == 201, (n, response.text)
        flood = await post(buyer, first.id, 99)
        assert flood.status_code == 429
        assert flood.json()["error"]["code"] == "chat_rate_limited"
        assert flood.headers["retry-after"] == "60"
        assert (await post(buyer, second.id, 99)).status_code == 429
        # The other side is not held by the buyer's flood.
        assert (await post(client, first.id, 1)).status_code == 201
        # Nothing refused was kept.
        lines = (await buyer.get(f"/api/meetings/{first.id}/chat")).json()["messages"]
        assert len(lines) == half + 1
        stopped_clock.advance(timedelta(seconds=61))
        assert (await post(buyer, first.id, 100)).status_code == 201
