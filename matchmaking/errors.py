"""Errors of matchmaking."""

from __future__ import annotations

from fair.errors import Conflict, NotFound
from fair.i18n import lazy


class NeedNotFound(NotFound):
    code = "need_not_found"
    message = lazy("There is no such need among yours.")


class TooManyNeeds(Conflict):
    code = "too_many_needs"
    message = lazy("You have %(limit)s needs already: change or remove one first.")
