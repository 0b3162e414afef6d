"""Errors of the meetings domain: each says why, in the request's language."""

from __future__ import annotations

from fair.errors import BadRequest, Conflict, NotFound
from fair.i18n import lazy


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    message = lazy("There is no such meeting.")


class NoHours(Conflict):
    code = "no_hours"
    message = lazy("This exhibitor has not published meeting hours yet.")


class BadTime(BadRequest):
    code = "bad_time"
    message = lazy("This time cannot be used.")


class SlotTaken(Conflict):
    code = "slot_taken"
    message = lazy("This time has just been booked by someone else. Please choose another.")


class NotBookable(Conflict):
    code = "not_bookable"
    message = lazy("This time cannot be booked.")


class WrongState(Conflict):
    code = "wrong_state"
    message = lazy("This meeting can no longer be changed.")
