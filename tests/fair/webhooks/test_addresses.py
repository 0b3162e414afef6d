"""Webhooks never reach loopback, link-local, private or reserved addresses (unless a
setting allows it): refused at registration, and again at delivery after resolving the
name, so a name that changes its address later (DNS rebinding) reaches nothing inside."""

from __future__ import annotations

import ipaddress

import pytest
from helpers import login, make_user
from sqlalchemy import func, select
from webhook_helpers import deliveries, receiving, run_due

from fair.webhooks import service
from fair.webhooks.addresses import UnsafeUrl, is_public, resolve
from fair.webhooks.models import WebhookEndpoint

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://localhost:8000/hook",
    "https://localhost/hook",
]


async def test_internal_addresses_are_refused_at_registration(client, session):
    await make_user(session, "organizer", "organizer@example.com")
    await login(client, "organizer@example.com")
    for url in INTERNAL:
        response = await client.post(
            "/api/webhooks", json={"url": url, "events": ["booth.approved"]}
        )
        assert response.status_code == 422, (url, response.text)
        assert list(response.json()["error"]["fields"]) == ["url"], url
    assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


async def test_an_internal_address_is_refused_at_delivery_too(app, client, session, sessionmaker):
    """An endpoint whose name points inside by the time of delivery (here: one stored
    while private addresses were allowed) gets a failed attempt, and no request."""
    organizer = await make_user(session, "organizer", "organizer@example.com")
    with receiving() as receiver:
        async with sessionmaker() as s, s.begin():
            s.add(
                WebhookEndpoint(
                    created_by=organizer.id,
                    url=receiver.url,
                    events=["booth.approved"],
                    secret=service.new_secret(),
                )
            )
        async with sessionmaker() as s, s.begin():
            await service.publish(s, "booth.approved", {"booth_id": "b1"})
        await run_due(app)
    assert receiver.requests == []
    [delivery] = await deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "not sent to local, private or reserved" in (delivery.last_error or "")


@pytest.mark.parametrize("url", INTERNAL)
async def test_resolve_refuses_internal_addresses(url):
    with pytest.raises(UnsafeUrl):
        await resolve(url, allow_private=False)


async def test_resolve_allows_them_when_the_setting_does():
    target = await resolve("http://localhost:8000/hook", allow_private=True)
    assert (target.address in ("127.0.0.1", "::1"), target.port) == (True, 8000)


async def test_resolve_refuses_what_is_no_web_address_whatever_the_setting():
    for url in (
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http://user:secret@example.com/",
        "http://@example.com/",
        "http:///path-only",
        "http://example.com:0/",
        "http://exa mple.com/",
        "https://bad host/",
    ):
        with pytest.raises(UnsafeUrl):
            await resolve(url, allow_private=True)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("192.0.2.1", False),
        ("224.0.0.251", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("2001:db8::1", False),
    ],
)
def test_is_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public
