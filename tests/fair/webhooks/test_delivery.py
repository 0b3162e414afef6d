"""Webhooks end to end: an organizer registers an endpoint, events are delivered to a local
receiver signed the Standard Webhooks way, failures are retried, an endpoint failing for
days is disabled and its creator mailed, deliveries are replayed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from helpers import free_port, login, make_user, read_scalar
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook
from webhook_helpers import deliveries, endpoint_row, receiving, run_due

from fair.config import Settings
from fair.webhooks import service
from fair.webhooks.models import WebhookEndpoint

ORGANIZER = "organizer@example.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The receiver listens on 127.0.0.1: allowed here, refused by default (test_addresses).
    return settings.with_overrides(webhooks_allow_private=True)


async def register(client, session, url: str, events: list[str], email: str = ORGANIZER) -> dict:
    await make_user(session, "organizer", email, locale="ja")
    await login(client, email)
    response = await client.post("/api/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    return response.json()


async def publish(sessionmaker, event: str = "booth.approved", **data) -> None:
    async with sessionmaker() as session, session.begin():
        await service.publish(session, event, {"booth_id": "b1", "fair": "2027-06", **data})


async def test_registration_shows_the_secret_once(client, session):
    created = await register(client, session, "http://127.0.0.1:9/hook", ["booth.approved"])
    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["events"], created["enabled"]) == (
        "http://127.0.0.1:9/hook",
        ["booth.approved"],
        True,
    )
    listed = (await client.get("/api/webhooks")).json()["endpoints"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]


async def test_event_is_delivered_signed_and_verifies(app, client, session, sessionmaker):
    with receiving() as receiver:
        created = await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker, company={"en": "Tsubame"})
        await publish(sessionmaker, "meeting.booked")  # not subscribed: not sent
        await run_due(app)
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    payload = Webhook(created["secret"]).verify(sent.body, sent.headers)
    assert payload["type"] == "booth.approved"
    assert payload["data"] == {"booth_id": "b1", "fair": "2027-06", "company": {"en": "Tsubame"}}
    assert (sent.path, sent.headers["content-type"]) == ("/hooks/kakehashi", "application/json")
    assert sent.headers["webhook-id"].startswith("msg_")
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(sent.body, sent.headers)
    listed = (await client.get(f"/api/webhooks/{created['id']}/deliveries")).json()["deliveries"]
    assert [(d["id"], d["status"], d["attempts"], d["last_status_code"]) for d in listed] == [
        (sent.headers["webhook-id"], "succeeded", 1, 204)
    ]


async def test_a_500_is_retried_with_the_same_id(app, client, session, sessionmaker, stopped_clock):
    with receiving() as receiver:
        receiver.answers = [500]
        created = await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker)
        await run_due(app)
        [delivery] = await deliveries(session)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            500,
        )
        assert delivery.next_attempt_at == stopped_clock() + timedelta(seconds=5)
        assert await run_due(app) == 0  # not due before its time
        stopped_clock.advance(timedelta(seconds=5))
        await run_due(app)
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 204)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.id
    assert first.body == second.body
    Webhook(created["secret"]).verify(second.body, second.headers)


async def test_a_receiver_that_is_down_is_retried(
    app, client, session, sessionmaker, stopped_clock
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/kakehashi"
    created = await register(client, session, url, ["booth.approved"])
    await publish(sessionmaker)
    await run_due(app)  # nobody listens
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error
    with receiving(port) as receiver:
        stopped_clock.advance(timedelta(seconds=5))
        await run_due(app)
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    Webhook(created["secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert (await endpoint_row(session, created["id"])).failing_since is None


async def test_failing_for_the_window_disables_and_mails_the_creator(
    app, client, session, sessionmaker, stopped_clock, smtp, mail_context
):
    inbox, _port = smtp
    with receiving() as receiver:
        receiver.answers = [500] * 100
        created = await register(client, session, receiver.url, ["booth.approved"])
        started = stopped_clock()
        await publish(sessionmaker)
        await run_due(app, mail_context)
        while (endpoint := await endpoint_row(session, created["id"])).enabled:
            [delivery] = await deliveries(session)
            assert delivery.status == "pending"
            stopped_clock.at(delivery.next_attempt_at)
            await run_due(app, mail_context)
        [delivery] = await deliveries(session)
        assert delivery.status == "failed"
        assert endpoint.failing_since == started
        assert stopped_clock() - started >= timedelta(hours=72)
        assert stopped_clock() - started < timedelta(hours=72 + 11)
        assert len(receiver.requests) == delivery.attempts == service.MAX_ATTEMPTS
        [mail] = inbox.messages
        assert mail["To"] == ORGANIZER
        # In the creator's language.
        assert mail["Subject"] == "Webhook エンドポイントが無効になりました"
        assert "72 時間以上" in mail.get_content()
        assert created["url"] in mail.get_content()
        assert f"/organizer/webhooks/{created['id']}" in mail.get_content()
        # Disabled: new events are not delivered to it.
        await publish(sessionmaker)
        assert len(await deliveries(session)) == 1
        shown = (await client.get("/api/webhooks")).json()["endpoints"][0]
        assert (shown["enabled"], shown["disabled_reason"] is not None) == (False, True)
        # The receiver answers again: replaying a delivery that succeeds enables it.
        receiver.answers = []
        response = await client.post(
            f"/api/webhooks/{created['id']}/deliveries/{delivery.id}/replay"
        )
        assert response.status_code == 202, response.text
        await run_due(app, mail_context)
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts) == ("succeeded", service.MAX_ATTEMPTS + 1)
    endpoint = await endpoint_row(session, created["id"])
    assert (endpoint.enabled, endpoint.failing_since, endpoint.disabled_reason) == (
        True,
        None,
        None,
    )


async def test_replay_sends_the_same_payload_and_id_again(app, client, session, sessionmaker):
    with receiving() as receiver:
        created = await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker)
        await run_due(app)
        [delivery] = await deliveries(session)
        url = f"/api/webhooks/{created['id']}/deliveries/{delivery.id}/replay"
        response = await client.post(url)
        assert (response.status_code, response.json()["status"]) == (202, "pending")
        await run_due(app)
    first, again = receiver.requests
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivery.id
    assert json.loads(again.body) == json.loads(first.body)
    Webhook(created["secret"]).verify(again.body, again.headers)
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


async def test_deleting_an_endpoint_stops_its_deliveries(app, client, session, sessionmaker):
    with receiving() as receiver:
        created = await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker)
        assert (await client.delete(f"/api/webhooks/{created['id']}")).status_code == 204
        await run_due(app)
    assert receiver.requests == []
    assert await deliveries(session) == []
    assert (await client.get("/api/webhooks")).json() == {"endpoints": []}


async def test_another_organizers_endpoint_is_not_found(client, session, sessionmaker):
    created = await register(client, session, "http://127.0.0.1:9/hook", ["booth.approved"])
    await publish(sessionmaker)
    [delivery] = await deliveries(session)
    await make_user(session, "organizer", "other@example.com")
    await login(client, "other@example.com")
    base = f"/api/webhooks/{created['id']}"
    assert (await client.get("/api/webhooks")).json() == {"endpoints": []}
    for response in (
        await client.get(f"{base}/deliveries"),
        await client.post(f"{base}/deliveries/{delivery.id}/replay"),
        await client.delete(base),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "webhook_not_found",
        )
    assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    [unchanged] = await deliveries(session)
    assert unchanged.attempts == 0


@pytest.mark.parametrize("role", ["exhibitor", "buyer", "staff", "interpreter"])
async def test_only_organizers_have_webhooks(client, session, role):
    await make_user(session, role, f"{role}@example.com")
    await login(client, f"{role}@example.com")
    body = {"url": "http://127.0.0.1:9/hook", "events": ["booth.approved"]}
    assert (await client.post("/api/webhooks", json=body)).status_code == 403
    assert (await client.get("/api/webhooks")).status_code == 403
    assert (await client.get("/organizer/webhooks")).status_code == 403
    assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


async def test_anonymous_is_401(client, session):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["booth.approved"]}
    assert (await client.post("/api/webhooks", json=body)).status_code == 401
    assert (await client.get("/api/webhooks")).status_code == 401


async def test_bad_input_is_422_and_writes_nothing(client, session):
    await register(client, session, "http://127.0.0.1:9/hook", ["booth.approved"])
    cases = [
        ({"url": "http://127.0.0.1:9/hook", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["booth.deleted"]}, "events"),
        ({"url": "ftp://127.0.0.1/hook", "events": ["booth.approved"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1/hook", "events": ["booth.approved"]}, "url"),
        ({"url": "127.0.0.1/hook", "events": ["booth.approved"]}, "url"),
        ({"url": "http://127.0.0.1/a b", "events": ["booth.approved"]}, "url"),
        ({"url": "http://127.0.0.1:99999/", "events": ["booth.approved"]}, "url"),
        ({"url": "http://" + "a" * 2000 + ".example/", "events": ["booth.approved"]}, "url"),
        ({"url": "http://127.0.0.1/", "events": "booth.approved"}, "events"),
        ({"url": "http://127.0.0.1/", "events": ["booth.approved"], "secret": "x"}, "secret"),
    ]
    for body, field in cases:
        response = await client.post("/api/webhooks", json=body)
        assert response.status_code == 422, (body, response.text)
        assert list(response.json()["error"]["fields"]) == [field], body
    assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1


async def test_a_missing_delivery_is_404(client, session):
    created = await register(client, session, "http://127.0.0.1:9/hook", ["booth.approved"])
    response = await client.post(f"/api/webhooks/{created['id']}/deliveries/msg_nope/replay")
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "webhook_delivery_not_found",
    )
    assert (await client.get("/api/webhooks/" + "x" * 40 + "/deliveries")).status_code == 404


async def test_a_replay_replaces_the_planned_retry(
    app, client, session, sessionmaker, stopped_clock
):
    with receiving() as receiver:
        receiver.answers = [500]
        created = await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker)
        await run_due(app)
        [delivery] = await deliveries(session)
        url = f"/api/webhooks/{created['id']}/deliveries/{delivery.id}/replay"
        assert (await client.post(url)).status_code == 202
        await run_due(app)
        stopped_clock.advance(timedelta(minutes=1))  # the planned retry's time has come
        await run_due(app)
    assert len(receiver.requests) == 2  # the first attempt and the replay, no third
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 2, None)


async def test_an_organizer_has_at_most_twenty_endpoints(client, session):
    created = await register(client, session, "http://127.0.0.1:9/0", ["booth.approved"])
    for n in range(1, service.MAX_ENDPOINTS_PER_ORGANIZER):
        body = {"url": f"http://127.0.0.1:9/{n}", "events": ["booth.approved"]}
        assert (await client.post("/api/webhooks", json=body)).status_code == 201
    body = {"url": "http://127.0.0.1:9/21", "events": ["booth.approved"]}
    refused = await client.post("/api/webhooks", json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "too_many_webhooks")
    assert "20" in refused.json()["error"]["message"]
    assert await read_scalar(session, select(func.count()).select_from(WebhookEndpoint)) == 20
    assert (await client.delete(f"/api/webhooks/{created['id']}")).status_code == 204
    assert (await client.post("/api/webhooks", json=body)).status_code == 201


async def test_a_redirect_is_a_failure_and_is_not_followed(app, client, session, sessionmaker):
    with receiving() as receiver:
        receiver.answers = [302]
        await register(client, session, receiver.url, ["booth.approved"])
        await publish(sessionmaker)
        await run_due(app)
    assert len(receiver.requests) == 1
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 302)
    assert delivery.last_error.startswith("HTTP 302")
