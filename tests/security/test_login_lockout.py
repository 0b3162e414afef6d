"""Targeted lock-out: wrong passwords sent from other addresses must never keep an
account's owner out. Failures are limited per (account, address) pair, and answered with
429 and ``Retry-After`` for that pair only; the account-wide ceiling is much higher and
never holds an address the account signed in from lately. The clock is moved through
``fair.clock``, never slept on (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from helpers import PASSWORD, make_user

from fair.resources import of_app

OWNER = "203.0.113.7"  # the address the shared ``client`` fixture comes from
WRONG = "wrong password 1"


def from_address(app: Any, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://testserver",
    )


async def attempt(app: Any, address: str, password: str = WRONG) -> httpx.Response:
    async with from_address(app, address) as client:
        return await client.post(
            "/api/auth/login", json={"email": "owner@example.com", "password": password}
        )


async def test_five_wrong_passwords_from_five_addresses_lock_nobody_out(
    app, session, stopped_clock
) -> None:
    await make_user(session, "buyer", "owner@example.com")
    for n in range(5):
        assert (await attempt(app, f"198.51.100.{n}")).status_code == 401
    assert (await attempt(app, OWNER, PASSWORD)).status_code == 200


async def test_the_failing_pair_waits_with_retry_after_and_no_one_else_does(
    app, session, stopped_clock
) -> None:
    await make_user(session, "buyer", "owner@example.com")
    attacker = "198.51.100.66"
    assert [(await attempt(app, attacker)).status_code for _ in range(5)] == [401] * 5
    held = await attempt(app, attacker, PASSWORD)  # the right password changes nothing
    assert held.status_code == 429
    assert held.json()["error"]["code"] == "login_rate_limited"
    assert held.headers["retry-after"] == str(15 * 60)
    # The owner, from their own address, signs in.
    assert (await attempt(app, OWNER, PASSWORD)).status_code == 200
    # The wait counts down, and is not pushed out by refused tries.
    stopped_clock.advance(timedelta(minutes=10))
    again = await attempt(app, attacker)
    assert (again.status_code, again.headers["retry-after"]) == (429, str(5 * 60))
    stopped_clock.advance(timedelta(minutes=5))
    assert (await attempt(app, attacker, PASSWORD)).status_code == 200


async def test_the_account_wide_ceiling_slows_strangers_never_the_owner(
    app, session, stopped_clock
) -> None:
    # The ceiling lowered from 100 so that the test reaches it quickly.
    res = of_app(app)
    res.settings = res.settings.with_overrides(login_max_failures_per_account=12)
    await make_user(session, "buyer", "owner@example.com")
    assert (await attempt(app, OWNER, PASSWORD)).status_code == 200  # signed in before
    stopped_clock.advance(timedelta(days=1))
    # An attack spread over twelve addresses, each below every per-address limit.
    for n in range(12):
        assert (await attempt(app, f"198.51.100.{n}")).status_code == 401
    stranger = await attempt(app, "192.0.2.1", PASSWORD)
    assert stranger.status_code == 429 and int(stranger.headers["retry-after"]) == 15 * 60
    # The owner's own address is never held by the ceiling, even after their own typos.
    assert (await attempt(app, OWNER)).status_code == 401
    assert (await attempt(app, OWNER, PASSWORD)).status_code == 200
    stopped_clock.advance(timedelta(minutes=15))
    assert (await attempt(app, "192.0.2.1", PASSWORD)).status_code == 200


async def test_the_form_names_the_wait_and_sends_retry_after(app, session, stopped_clock) -> None:
    await make_user(session, "buyer", "owner@example.com")
    for _ in range(5):
        assert (await attempt(app, "198.51.100.7")).status_code == 401
    async with from_address(app, "198.51.100.7") as browser:
        page = await browser.get("/login?lang=en", headers={"accept": "text/html"})
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = await browser.post(
            "/login?lang=en",
            data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD},
        )
    assert form.status_code == 429 and "text/html" in form.headers["content-type"]
    assert form.headers["retry-after"] == str(15 * 60)
    assert "Please wait 15 minutes and try again." in form.text
