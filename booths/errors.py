"""Errors of the booths domain."""

from __future__ import annotations

from fair.errors import BadRequest, Conflict, NotFound
from fair.i18n import lazy


class BoothNotFound(NotFound):
    code = "booth_not_found"
    message = lazy("There is no such booth.")


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = lazy("There is no such product in this booth.")


class MediaNotFound(NotFound):
    code = "media_not_found"
    message = lazy("There is no such file in this booth.")


class BoothExists(Conflict):
    code = "booth_exists"
    message = lazy("Your company already has a booth in this fair.")


class FairClosed(Conflict):
    code = "fair_closed"
    message = lazy("This fair has ended; booths can no longer be added.")


class NotApproved(Conflict):
    code = "not_approved"
    message = lazy("Only an approved booth can be copied into another fair.")


class BadOrdering(BadRequest):
    code = "bad_ordering"
    message = lazy("Send every item of the booth exactly once, in the new order.")
