"""The webhooks API's response shapes (``fair.api``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from fair.api import Instant
from fair.webhooks import models


class Endpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: Instant | None
    created_at: Instant

    @classmethod
    def of(cls, endpoint: models.WebhookEndpoint) -> Endpoint:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
        )


class CreatedEndpoint(Endpoint):
    """A new endpoint with its signing secret, which is shown this once."""

    secret: str

    @classmethod
    def of(cls, endpoint: models.WebhookEndpoint) -> CreatedEndpoint:
        return cls(**Endpoint.of(endpoint).model_dump(), secret=endpoint.secret)


class Endpoints(BaseModel):
    endpoints: list[Endpoint]


class Delivery(BaseModel):
    id: str  # the webhook-id header
    endpoint_id: str
    event_type: str
    payload: dict[str, Any]
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: Instant | None
    created_at: Instant
    delivered_at: Instant | None

    @classmethod
    def of(cls, delivery: models.WebhookDelivery) -> Delivery:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_type=delivery.event_type,
            payload=delivery.payload,
            status=delivery.status,  # type: ignore[arg-type]
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


class Deliveries(BaseModel):
    deliveries: list[Delivery]
