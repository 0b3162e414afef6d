"""Calendar squatting by throw-away accounts (issue 16, item 6): registrations are limited
per client address, bookings per buyer account and per address, meeting invitations per
account, each answered with 429
and ``Retry-After`` while nothing is created; the limits lift as the window moves on. The
defaults are the settings' own (docs/configuration.md); the clock is moved through
``fair.clock``, never slept on (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import login, make_client, make_user, read_scalar, registration
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday
from sqlalchemy import func, select

from fair.accounts.models import User
from fair.config import Settings
from matchmaking.models import Proposal
from meetings.models import Meeting

ATTACKER = "198.51.100.9"


async def _count(session, model) -> int:
    return await read_scalar(session, select(func.count()).select_from(model))


async def test_registrations_from_one_address_stop_at_the_limit_and_resume_later(
    app, session, stopped_clock
) -> None:
    limit = Settings.model_fields["registrations_per_address"].default
    async with make_client(app, ATTACKER) as attacker:
        for n in range(limit):
            data = registration(email=f"throwaway{n}@example.com")
            assert (await attacker.post("/api/auth/register", json=data)).status_code == 201
        refused = await attacker.post(
            "/api/auth/register", json=registration(email="one-more@example.com")
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 60 * 60
        # The page form is held the same way.
        await attacker.get("/register")
        form = {**registration(email="form@example.com"), "csrf_token": attacker.cookies["kk_csrf"]}
        assert (await attacker.post("/register", data=form)).status_code == 429
    assert await _count(session, User) == limit
    # Someone else, from their own address, registers.
    async with make_client(app, "203.0.113.50") as other:
        data = registration(email="real.buyer@example.com")
        assert (await other.post("/api/auth/register", json=data)).status_code == 201
    # A refused request is not counted, so the window ends an hour after the first one.
    stopped_clock.advance(timedelta(minutes=61))
    async with make_client(app, ATTACKER) as attacker:
        data = registration(email="an-hour-later@example.com")
        assert (await attacker.post("/api/auth/register", json=data)).status_code == 201


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small limits, so a test books past them in a few requests.
    return settings.with_overrides(
        bookings_per_account=3, bookings_per_address=5, proposals_per_account=2
    )


async def test_one_account_books_at_most_its_share_an_hour(client, session, stopped_clock):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, max_per_buyer=10)
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    for hour in (9, 10, 11):
        assert (await book(client, booth["id"], at_tokyo(day, hour))).status_code == 201
    refused = await book(client, booth["id"], at_tokyo(day, 12))
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    assert await _count(session, Meeting) == 3
    stopped_clock.advance(timedelta(minutes=61))
    assert (await book(client, booth["id"], at_tokyo(day, 12))).status_code == 201


async def test_many_accounts_from_one_address_share_the_address_limit(
    app, client, session, stopped_clock
):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, max_per_buyer=10)
    booked = []
    async with make_client(app, ATTACKER) as attacker:
        for n in range(4):
            await make_user(session, "buyer", f"sock{n}@example.com")
            await login(attacker, f"sock{n}@example.com")
            for minute in (0, 30):
                if len(booked) == 5:
                    break
                response = await book(attacker, booth["id"], at_tokyo(day, 9 + n, minute))
                assert response.status_code == 201, response.text
                booked.append(response.json()["id"])
        await make_user(session, "buyer", "sock-last@example.com")
        await login(attacker, "sock-last@example.com")
        refused = await book(attacker, booth["id"], at_tokyo(day, 15))
        assert refused.status_code == 429
    assert await _count(session, Meeting) == 5
    # A buyer elsewhere still finds the slot free.
    await make_user(session, "buyer", "real@example.com")
    await login(client, "real@example.com")
    assert (await book(client, booth["id"], at_tokyo(day, 15))).status_code == 201


async def test_an_exhibitor_invites_at_most_its_share_of_buyers_an_hour(
    client, session, stopped_clock
):
    """Every invitation mails a buyer: an exhibitor account cannot mail-bomb the buyers."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    buyers = [
        (await make_user(session, "buyer", f"buyer{n}@example.vn", country="VN")).id
        for n in range(3)
    ]
    await login(client, "kenji@tsubame.example")

    async def invite(buyer_id: str):
        body = {"fair": "2027-06", "buyer_id": buyer_id, "booth_id": booth["id"]}
        return await client.post("/api/proposals", json=body)

    for buyer_id in buyers[:2]:
        assert (await invite(buyer_id)).status_code == 201
    refused = await invite(buyers[2])
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    assert await _count(session, Proposal) == 2
    stopped_clock.advance(timedelta(minutes=61))
    assert (await invite(buyers[2])).status_code == 201
