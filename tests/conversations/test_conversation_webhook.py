"""A message in a conversation reaches an organizer's webhook endpoint as
``conversation.message``: who wrote in which thread and when, never what."""

from __future__ import annotations

import json

import pytest
from helpers import login, make_user
from meeting_helpers import booth_with_hours
from standardwebhooks.webhooks import Webhook
from webhook_helpers import receiving, run_due

from fair.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(webhooks_allow_private=True)


async def test_a_message_is_published_without_its_text(app, client, session):
    booth = await booth_with_hours(client, session)  # its approval makes the organizer
    lan = await make_user(session, "buyer", "lan@saigon.example", country="VN")
    with receiving() as receiver:
        await login(client, "organizer@example.com")
        created = await client.post(
            "/api/webhooks", json={"url": receiver.url, "events": ["conversation.message"]}
        )
        assert created.status_code == 201, created.text
        await login(client, "lan@saigon.example")
        thread = (await client.post("/api/conversations", json={"booth_id": booth["id"]})).json()
        sent = await client.post(
            f"/api/conversations/{thread['id']}/messages", json={"body": "Secret price: 12 USD"}
        )
        assert sent.status_code == 201, sent.text
        await run_due(app)
    (body,) = [
        Webhook(created.json()["secret"]).verify(r.body, r.headers) for r in receiver.requests
    ]
    assert body["type"] == "conversation.message"
    assert body["data"] | {"sent_at": None} == {
        "conversation_id": thread["id"],
        "message_id": sent.json()["id"],
        "booth_id": booth["id"],
        "buyer_id": lan.id,
        "author_id": lan.id,
        "side": "buyer",
        "fair": "2027-06",
        "sent_at": None,
    }
    text = json.dumps(body, ensure_ascii=False)
    assert "Secret price" not in text and "@" not in text
