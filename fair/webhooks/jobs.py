"""The webhooks' jobs: one attempt of a delivery, and the mail that an endpoint was disabled.

An attempt reads the delivery, POSTs outside any transaction (a slow receiver holds no
database lock), then records what it got with ``run_once``: if the process dies between
the two, the retry POSTs again with the same ``webhook-id``, which receivers use to drop
the copy (Standard Webhooks' idempotency key)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from fair import clock, resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.i18n import gettext as _
from fair.i18n import use_language
from fair.mail import build_message
from fair.outbox import already_done, run_once
from fair.templating import render
from fair.webhooks import sending, service
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint

USER_AGENT = "Kakehashi-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The bytes sent and signed: the payload as compact JSON."""
    return json.dumps(
        delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


def signed_headers(secret: str, delivery_id: str, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt, signed with the endpoint's secret."""
    now = clock.now()
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, now, body),
    }


async def deliver_webhook(
    ctx: dict[str, Any], *, delivery_id: str, attempt: int, replayed_at: str | None = None
) -> bool:
    """Attempt number ``attempt`` of a delivery (a replay when ``replayed_at``); True if it
    was made now."""
    res = resources.of_job(ctx)
    settings = res.settings
    key = service.delivery_key(delivery_id, attempt, replayed_at)
    async with res.sessionmaker() as session:
        if await already_done(session, key):
            return False
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        # Kept as read (a rollback would expire them): the POST happens outside any
        # transaction.
        session.expunge_all()
        await session.rollback()
    if delivery is None or endpoint is None:
        return False  # the endpoint was deleted
    if delivery.attempts != attempt - 1 or delivery.status != "pending":
        return False  # another attempt (a replay, a retry) came first
    if not endpoint.enabled and replayed_at is None:

        async def skip(session: AsyncSession) -> None:
            await service.skip_disabled(session, delivery_id=delivery_id, attempt=attempt)

        return await run_once(res.sessionmaker, key, "deliver_webhook", skip)
    body = body_of(delivery)
    result = await sending.post(
        endpoint.url,
        body=body,
        headers=signed_headers(endpoint.secret, delivery.id, body),
        allow_private=settings.webhooks_allow_private,
    )

    async def record(session: AsyncSession) -> None:
        await service.record_attempt(
            session, delivery_id=delivery_id, attempt=attempt, result=result, settings=settings
        )

    return await run_once(res.sessionmaker, key, "deliver_webhook", record)


async def send_webhook_disabled_mail(
    ctx: dict[str, Any], *, endpoint_id: str, disabled_at: str
) -> bool:
    """Tell the endpoint's creator, in their language, that it was disabled and how to
    enable it again; not if it works again by the time the mail would go."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"webhook-disabled:{endpoint_id}:{disabled_at}"

    async def effect(session: AsyncSession) -> None:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.enabled:
            return
        user = await session.get(User, endpoint.created_by)
        if user is None or not may_mail(user):
            return
        with use_language(user.locale):
            subject = _("Your webhook endpoint was disabled")
            text = render(
                "mail/webhook_disabled.txt",
                user=user,
                endpoint=endpoint,
                hours=settings.webhook_disable_after_hours,
                base_url=settings.base_url,
            )
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_webhook_disabled_mail", effect)


JOBS = (deliver_webhook, send_webhook_disabled_mail)
