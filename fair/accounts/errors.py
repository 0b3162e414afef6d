"""Errors of the accounts domain."""

from __future__ import annotations

from fair.errors import Conflict, DomainError, TooManyRequests
from fair.i18n import lazy


class EmailTaken(Conflict):
    code = "email_taken"
    message = lazy("An account with this e-mail address already exists.")


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    message = lazy("E-mail address or password is wrong.")
    # The failed attempt is recorded for rate limiting, so it must be committed.
    persist_changes = True


class LoginRateLimited(TooManyRequests):
    code = "login_rate_limited"
    message = lazy("Too many failed sign-ins. Please wait %(minutes)d minutes and try again.")
