"""The booth and meeting events reach an organizer's webhook endpoint as they happen, with
ids, the fair, times and stages, and nothing that identifies a person beyond an id (no
e-mail address, no chat text)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from helpers import login, make_client, make_user
from meeting_helpers import at_tokyo, book, booth_with_hours, meeting_at, next_weekday
from standardwebhooks.webhooks import Webhook
from webhook_helpers import receiving, run_due

from fair.config import Settings
from fair.webhooks.events import EVENTS


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(webhooks_allow_private=True)


async def test_booth_and_meeting_events_are_delivered(app, client, session):
    await make_user(session, "organizer", "organizer@example.com")
    with receiving() as receiver:
        await login(client, "organizer@example.com")
        created = (
            await client.post("/api/webhooks", json={"url": receiver.url, "events": list(EVENTS)})
        ).json()
        day = next_weekday()
        booth = await booth_with_hours(client, session, first=day)  # submitted, approved
        lan = await make_user(
            session, "buyer", "lan@saigon.example", country="VN", timezone="Asia/Ho_Chi_Minh"
        )
        async with make_client(app) as buyer:
            await login(buyer, "lan@saigon.example")
            booked = await book(buyer, booth["id"], at_tokyo(day, 10))
            assert booked.status_code == 201, booked.text
            meeting_id = booked.json()["id"]
            moved = await buyer.post(
                f"/api/meetings/{meeting_id}/reschedule", json={"start": at_tokyo(day, 11)}
            )
            assert moved.status_code == 200, moved.text
            cancelled = await buyer.post(
                f"/api/meetings/{meeting_id}/cancel", json={"reason": "Our plans changed."}
            )
            assert cancelled.status_code == 200, cancelled.text
            now = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
            chat = await buyer.post(
                f"/api/meetings/{now.id}/chat", json={"body": "Secret price: 12 USD"}
            )
            assert chat.status_code == 201, chat.text
        held = await meeting_at(session, booth["id"], lan.id, -timedelta(hours=2))
        missed = await meeting_at(session, booth["id"], lan.id, -timedelta(hours=4))
        await login(client, "organizer@example.com")
        for meeting, status in ((held, "held"), (missed, "no_show_buyer")):
            settled = await client.post(
                f"/api/meetings/{meeting.id}/attendance", json={"status": status}
            )
            assert settled.status_code == 200, settled.text
        await login(client, "kenji@tsubame.example")
        outcome = await client.post(f"/api/meetings/{held.id}/outcome", json={"stage": "quote"})
        assert outcome.status_code == 201, outcome.text
        await run_due(app)
    bodies = [Webhook(created["secret"]).verify(r.body, r.headers) for r in receiver.requests]
    assert [b["type"] for b in bodies] == [
        "booth.submitted",
        "booth.approved",
        "meeting.booked",
        "meeting.rescheduled",
        "meeting.cancelled",
        "message.received",
        "meeting.held",
        "meeting.no_show",
        "outcome.recorded",
    ]
    by_type = {b["type"]: b["data"] for b in bodies}
    assert by_type["booth.approved"]["booth_id"] == booth["id"]
    assert by_type["booth.approved"]["fair"] == "2027-06"
    assert by_type["meeting.booked"]["meeting_id"] == meeting_id
    assert by_type["meeting.booked"]["buyer_id"] == lan.id
    assert by_type["meeting.rescheduled"]["starts_at"] == at_tokyo(day, 11).replace(
        "+09:00", "+00:00"
    ).replace("T11", "T02")
    assert by_type["meeting.cancelled"]["status"] == "cancelled"
    assert by_type["message.received"]["sender_id"] == lan.id
    assert by_type["meeting.no_show"]["attendance"] == "no_show_buyer"
    assert (by_type["outcome.recorded"]["meeting_id"], by_type["outcome.recorded"]["stage"]) == (
        held.id,
        "quote",
    )
    sent = json.dumps(bodies, ensure_ascii=False)
    assert "@" not in sent  # no e-mail address
    assert "Secret price" not in sent  # what was said stays the participants'
