"""Errors of the fairs domain."""

from __future__ import annotations

from fair.errors import Conflict, NotFound


class FairNotFound(NotFound):
    code = "fair_not_found"
    message = "There is no such fair."


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "A fair with this address already exists."
