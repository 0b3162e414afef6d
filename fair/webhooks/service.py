"""Webhooks: organizers' endpoints, the deliveries events cause, and what each attempt did.

``publish`` is called by the features (booths, meetings) inside their own transaction: the
change, its deliveries and their outbox jobs commit together. Each delivery is tried at
once, then after each of ``RETRY_DELAYS`` until one succeeds; an endpoint that has failed
without a success for ``FAIR_WEBHOOK_DISABLE_AFTER_HOURS`` is disabled and its creator
mailed.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.config import Settings
from fair.errors import ValidationFailed
from fair.webhooks.addresses import UnsafeUrl, resolve
from fair.webhooks.errors import DeliveryNotFound, EndpointNotFound, TooManyEndpoints
from fair.webhooks.events import EVENTS
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint
from fair.webhooks.sending import Attempt

# After the first attempt, the waits before the next ones (Standard Webhooks' usual
# schedule, then every 10 hours): 13 attempts over about three days, so that an endpoint
# that never answers is disabled even when a single event was sent to it.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *(timedelta(hours=10),) * 7,
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
MAX_ENDPOINTS_PER_ORGANIZER = 20
DELIVERIES_SHOWN = 100
DELIVER_JOB = "deliver_webhook"
DISABLED_MAIL_JOB = "send_webhook_disabled_mail"


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_delivery_id() -> str:
    return "msg_" + uuid.uuid4().hex


def delivery_key(delivery_id: str, attempt: int, replayed_at: str | None = None) -> str:
    """The outbox key of one attempt: a retry of the job has one effect."""
    key = f"webhook:{delivery_id}:{attempt}"
    return f"{key}:replay:{replayed_at}" if replayed_at else key


async def check_url(url: str, settings: Settings) -> None:
    """422 on ``url`` unless we would deliver to it (``fair.webhooks.addresses``)."""
    try:
        await resolve(url, allow_private=settings.webhooks_allow_private)
    except UnsafeUrl as exc:
        raise ValidationFailed({"url": str(exc)}) from None


async def create_endpoint(
    session: AsyncSession,
    *,
    actor: User | None,
    url: str,
    events: list[str],
    settings: Settings,
) -> WebhookEndpoint:
    """An organizer registers an endpoint for ``events``; its secret is made here and shown
    once by the caller. At most ``MAX_ENDPOINTS_PER_ORGANIZER`` each."""
    organizer = require_role(actor, Role.ORGANIZER)
    await check_url(url, settings)
    mine = await list_endpoints(session, actor=organizer)
    if len(mine) >= MAX_ENDPOINTS_PER_ORGANIZER:
        raise TooManyEndpoints(limit=MAX_ENDPOINTS_PER_ORGANIZER)
    endpoint = WebhookEndpoint(
        created_by=organizer.id, url=url, events=list(events), secret=new_secret()
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def list_endpoints(session: AsyncSession, *, actor: User | None) -> list[WebhookEndpoint]:
    """The organizer's own endpoints, oldest first."""
    organizer = require_role(actor, Role.ORGANIZER)
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.created_by == organizer.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list(rows.all())


async def get_endpoint(
    session: AsyncSession, *, actor: User | None, endpoint_id: str
) -> WebhookEndpoint:
    """One of the organizer's endpoints; another organizer's is not found (404), as is
    one that does not exist."""
    organizer = require_role(actor, Role.ORGANIZER)
    endpoint = await session.get(WebhookEndpoint, endpoint_id) if len(endpoint_id) <= 32 else None
    if endpoint is None or endpoint.created_by != organizer.id:
        raise EndpointNotFound()
    return endpoint


async def delete_endpoint(session: AsyncSession, *, actor: User | None, endpoint_id: str) -> None:
    """The endpoint and its deliveries go; attempts still queued find nothing to send."""
    endpoint = await get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    await session.delete(endpoint)
    await session.flush()


async def list_deliveries(
    session: AsyncSession, *, actor: User | None, endpoint_id: str
) -> tuple[WebhookEndpoint, list[WebhookDelivery]]:
    """The endpoint's newest ``DELIVERIES_SHOWN`` deliveries, newest first."""
    endpoint = await get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(DELIVERIES_SHOWN)
    )
    return endpoint, list(rows.all())


async def replay(
    session: AsyncSession,
    *,
    actor: User | None,
    endpoint_id: str,
    delivery_id: str,
    now: datetime | None = None,
) -> WebhookDelivery:
    """Send a delivery again now: the same payload and ``webhook-id``, a new attempt (also
    to a disabled endpoint, which a success enables again). Any retry still planned is
    replaced by this attempt."""
    now = now or clock.now()
    endpoint = await get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    delivery = await session.get(WebhookDelivery, delivery_id) if len(delivery_id) <= 40 else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise DeliveryNotFound()
    attempt = delivery.attempts + 1
    delivery.status = "pending"
    delivery.next_attempt_at = now
    await session.flush()
    await outbox.enqueue(
        session,
        DELIVER_JOB,
        key=delivery_key(delivery.id, attempt, now.isoformat()),
        delivery_id=delivery.id,
        attempt=attempt,
        replayed_at=now.isoformat(),
    )
    return delivery


# Read by every booking, change and outcome (``publish``): built once, not per call.
_ENABLED = (
    select(WebhookEndpoint)
    .where(WebhookEndpoint.enabled.is_(True))
    .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
)


async def publish(
    session: AsyncSession,
    event_type: str,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> int:
    """Queue ``event_type`` with ``data`` (ids, the fair's slug, times, stages: never an
    e-mail address) for every enabled endpoint subscribed to it, in the caller's
    transaction; returns how many deliveries were made."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    now = now or clock.now()
    endpoints = await session.scalars(_ENABLED)
    made = 0
    # An endpoint's events are a JSON list: filtered here alike on both databases (an
    # organizer has a few endpoints, the programme a few organizers).
    for endpoint in endpoints.all():
        if event_type not in endpoint.events:
            continue
        delivery = WebhookDelivery(
            id=new_delivery_id(),
            endpoint_id=endpoint.id,
            event_type=event_type,
            # The Standard Webhooks payload: what happened, when, and its data.
            payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        await session.flush()
        await outbox.enqueue(
            session,
            DELIVER_JOB,
            key=delivery_key(delivery.id, 1),
            delivery_id=delivery.id,
            attempt=1,
            replayed_at=None,
        )
        made += 1
    return made


async def record_attempt(
    session: AsyncSession,
    *,
    delivery_id: str,
    attempt: int,
    result: Attempt,
    settings: Settings,
    now: datetime | None = None,
) -> None:
    """Note what attempt number ``attempt`` got: a success ends the delivery (and the
    endpoint's failing run, enabling it again if it was disabled); a failure plans the next
    attempt, or gives up after the last one, and disables the endpoint once it has been
    failing for the window. A stale attempt (another one was recorded first) changes
    nothing."""
    now = now or clock.now()
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.attempts != attempt - 1:
        return
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return
    delivery.attempts = attempt
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if result.succeeded:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
        endpoint.failing_since = None
        endpoint.enabled, endpoint.disabled_reason = True, None
        await session.flush()
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    window = timedelta(hours=settings.webhook_disable_after_hours)
    if endpoint.enabled and now - endpoint.failing_since >= window:
        await _disable(session, endpoint, now)
    if not endpoint.enabled or attempt >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
        await session.flush()
        return
    delivery.next_attempt_at = now + RETRY_DELAYS[attempt - 1]
    await session.flush()
    await outbox.enqueue(
        session,
        DELIVER_JOB,
        key=delivery_key(delivery.id, attempt + 1),
        run_at=delivery.next_attempt_at,
        delivery_id=delivery.id,
        attempt=attempt + 1,
        replayed_at=None,
    )


async def skip_disabled(session: AsyncSession, *, delivery_id: str, attempt: int) -> None:
    """A planned attempt to a disabled endpoint is not made: the delivery has failed (a
    replay can still send it)."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.attempts != attempt - 1 or delivery.status != "pending":
        return
    delivery.status, delivery.next_attempt_at = "failed", None
    delivery.last_error = "not sent: the endpoint is disabled"
    await session.flush()


async def _disable(session: AsyncSession, endpoint: WebhookEndpoint, now: datetime) -> None:
    assert endpoint.failing_since is not None
    endpoint.enabled = False
    endpoint.disabled_reason = (
        f"every attempt failed since {endpoint.failing_since.isoformat(timespec='seconds')}"
    )
    await session.flush()
    await outbox.enqueue(
        session,
        DISABLED_MAIL_JOB,
        key=f"webhook-disabled:{endpoint.id}:{now.isoformat()}",
        endpoint_id=endpoint.id,
        disabled_at=now.isoformat(),
    )
