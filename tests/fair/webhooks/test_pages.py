"""The organizers' webhooks pages: add an endpoint (its secret shown once), see its
deliveries, replay one, delete the endpoint; forms carry the CSRF token; in their language."""

from __future__ import annotations

import re

import pytest
from helpers import login, make_user
from security_helpers import csrf_of
from sqlalchemy import func, select
from webhook_helpers import deliveries, receiving, run_due

from fair.config import Settings
from fair.webhooks import service
from fair.webhooks.models import WebhookEndpoint

HTML = {"accept": "text/html"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(webhooks_allow_private=True)


async def count(session) -> int:
    return await session.scalar(select(func.count()).select_from(WebhookEndpoint))


async def test_organizer_adds_replays_and_deletes_on_the_pages(app, client, session, sessionmaker):
    await make_user(session, "organizer", "organizer@example.com")
    await login(client, "organizer@example.com")
    empty = await client.get("/organizer/webhooks", headers=HTML)
    assert empty.status_code == 200
    assert "You have no webhook endpoint yet." in empty.text
    csrf = csrf_of(empty.text)
    with receiving() as receiver:
        added = await client.post(
            "/organizer/webhooks",
            data={"csrf_token": csrf, "url": receiver.url, "events": ["booth.approved"]},
            headers=HTML,
        )
        assert added.status_code == 201
        secret = re.search(r'value="(whsec_[^"]+)"', added.text).group(1)
        [endpoint] = (await client.get("/api/webhooks")).json()["endpoints"]
        listed = await client.get("/organizer/webhooks", headers=HTML)
        assert receiver.url in listed.text and secret not in listed.text
        async with sessionmaker() as s, s.begin():
            await service.publish(s, "booth.approved", {"booth_id": "b1"})
        await run_due(app)
        page = await client.get(f"/organizer/webhooks/{endpoint['id']}", headers=HTML)
        [delivery] = await deliveries(session)
        assert page.status_code == 200
        assert delivery.id in page.text and "Delivered" in page.text
        assert '"booth_id": "b1"' in page.text  # what was sent, shown with the delivery
        replayed = await client.post(
            f"/organizer/webhooks/{endpoint['id']}/deliveries/{delivery.id}/replay",
            data={"csrf_token": csrf},
        )
        assert (replayed.status_code, replayed.headers["location"]) == (
            303,
            f"/organizer/webhooks/{endpoint['id']}",
        )
        await run_due(app)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.id, delivery.id]
    deleted = await client.post(
        f"/organizer/webhooks/{endpoint['id']}/delete", data={"csrf_token": csrf}
    )
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/organizer/webhooks")
    assert await count(session) == 0


async def test_the_form_shows_what_is_wrong_in_the_viewers_language(client, session):
    await make_user(session, "organizer", "organizer@example.com", locale="ja")
    await login(client, "organizer@example.com")
    page = await client.get("/organizer/webhooks?lang=ja", headers=HTML)
    assert "<h1>Webhook</h1>" in page.text
    csrf = csrf_of(page.text)
    refused = await client.post(
        "/organizer/webhooks",
        data={"csrf_token": csrf, "url": "ftp://files.example/", "events": ["meeting.held"]},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text and 'aria-invalid="true"' in refused.text
    assert "ウェブアドレス" in refused.text  # "Enter a web address (http:// or https://)."
    assert 'value="ftp://files.example/"' in refused.text  # what was typed stays
    assert 'value="meeting.held" checked' in refused.text
    no_events = await client.post(
        "/organizer/webhooks",
        data={"csrf_token": csrf, "url": "http://127.0.0.1:9/"},
        headers=HTML,
    )
    assert no_events.status_code == 422 and 'role="alert"' in no_events.text
    assert await count(session) == 0


async def test_forms_without_the_csrf_token_are_refused(client, session):
    await make_user(session, "organizer", "organizer@example.com")
    await login(client, "organizer@example.com")
    await client.get("/organizer/webhooks", headers=HTML)
    refused = await client.post(
        "/organizer/webhooks",
        data={"url": "http://127.0.0.1:9/", "events": ["booth.approved"]},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert await count(session) == 0


async def test_another_organizers_endpoint_page_is_404(client, session):
    owner = await make_user(session, "organizer", "organizer@example.com")
    session.add(
        WebhookEndpoint(
            created_by=owner.id, url="http://127.0.0.1:9/", events=["booth.approved"], secret="x"
        )
    )
    await session.commit()
    endpoint_id = await session.scalar(select(WebhookEndpoint.id))
    await make_user(session, "organizer", "other@example.com")
    await login(client, "other@example.com")
    assert (await client.get(f"/organizer/webhooks/{endpoint_id}", headers=HTML)).status_code == 404
    page = await client.get("/organizer/webhooks", headers=HTML)
    deleted = await client.post(
        f"/organizer/webhooks/{endpoint_id}/delete", data={"csrf_token": csrf_of(page.text)}
    )
    assert deleted.status_code == 404
    assert await count(session) == 1
