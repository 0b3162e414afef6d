"""Domain errors: each carries its HTTP status, a stable code and a translatable message."""

from __future__ import annotations

from typing import Any, ClassVar

from fair.i18n import gettext, lazy


class DomainError(Exception):
    """Base of every error the domain raises on purpose; rendered once, in the app factory.

    ``message`` is an English msgid; the handler translates it into the request's language
    and formats it with ``params``.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = lazy("The request could not be processed.")
    # Commit the unit of work although the request fails (e.g. a recorded failed login).
    persist_changes: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        **params: Any,
    ) -> None:
        self.msgid = message or self.message
        self.field = field
        self.params = params
        super().__init__(self.msgid % params if params else self.msgid)

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries beside the status (``Retry-After``)."""
        return {}

    def translated(self) -> str:
        """The message in the current request's language, with its parameters filled in."""
        text = gettext(self.msgid)
        return text % self.params if self.params else text


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"
    message = lazy("Some fields are not valid.")

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    message = lazy("Please sign in first.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = lazy("You are not allowed to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = lazy("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = lazy("This conflicts with existing data.")


class TooManyRequests(DomainError):
    """429; ``retry_after``: the seconds until the limit lifts, sent as ``Retry-After``."""

    status = 429
    code = "rate_limited"
    message = lazy("Too many attempts. Please wait a few minutes and try again.")

    def __init__(
        self, message: str | None = None, *, retry_after: int | None = None, **params: Any
    ) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class ServiceUnavailable(DomainError):
    status = 503
    code = "unavailable"
    message = lazy("The service is briefly unavailable. Please try again.")
