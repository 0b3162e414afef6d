"""Errors of the accounts domain."""

from __future__ import annotations

from fair.errors import Conflict, DomainError, Forbidden, TooManyRequests
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


class InvalidLink(DomainError):
    status = 400
    code = "invalid_link"
    message = lazy(
        "This link does not work any more: it has expired, was used already or is incomplete. "
        "Please ask for a new one."
    )


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    message = lazy(
        "Please confirm your e-mail address first: open the link we sent you, or ask for a "
        "new one on your account page."
    )


class AlreadyVerified(Conflict):
    code = "already_verified"
    message = lazy("Your e-mail address is already confirmed.")


class LinkRateLimited(TooManyRequests):
    code = "link_rate_limited"
    message = lazy("Too many links asked for. Please wait %(minutes)d minutes and try again.")


class WrongPassword(DomainError):
    status = 400
    code = "wrong_password"
    message = lazy("The current password is wrong.")
    # The failed try counts toward the sign-in limits, so it must be committed.
    persist_changes = True


class TooManyApiTokens(Conflict):
    code = "too_many_tokens"
    message = lazy(
        "You have %(limit)d API tokens in use already: revoke one you no longer need first."
    )


class ExportRateLimited(TooManyRequests):
    code = "export_rate_limited"
    message = lazy(
        "You have asked for your data %(limit)d times in the last day. Please try again later."
    )


class ExportExpired(DomainError):
    status = 410
    code = "export_expired"
    message = lazy(
        "This download has expired and its file is deleted. You can ask for a new one on "
        "your account page."
    )


class ExportNotReady(Conflict):
    code = "export_not_ready"
    message = lazy("Your data is still being gathered. We will e-mail you when it is ready.")
