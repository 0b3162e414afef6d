"""Errors of the fairs domain."""

from __future__ import annotations

from fair.errors import Conflict, NotFound
from fair.i18n import lazy


class FairNotFound(NotFound):
    code = "fair_not_found"
    message = lazy("There is no such fair.")


class SlugTaken(Conflict):
    code = "slug_taken"
    message = lazy("A fair with this address already exists.")
