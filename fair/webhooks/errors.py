"""Errors of the webhooks domain."""

from __future__ import annotations

from fair.errors import Conflict, NotFound
from fair.i18n import lazy


class EndpointNotFound(NotFound):
    code = "webhook_not_found"
    message = lazy("There is no such webhook endpoint.")


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    message = lazy("There is no such delivery.")


class TooManyEndpoints(Conflict):
    code = "too_many_webhooks"
    message = lazy("You have as many webhook endpoints as allowed (%(limit)s). Delete one first.")
