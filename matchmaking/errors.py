"""Errors of matchmaking."""

from __future__ import annotations

from fair.errors import Conflict, DomainError, NotFound, ValidationFailed
from fair.i18n import lazy


class NeedNotFound(NotFound):
    code = "need_not_found"
    message = lazy("There is no such need among yours.")


class TooManyNeeds(Conflict):
    code = "too_many_needs"
    message = lazy("You have %(limit)s needs already: change or remove one first.")


class ProposalNotFound(NotFound):
    code = "proposal_not_found"
    message = lazy("There is no such meeting proposal among yours.")


class ProposalExists(Conflict):
    code = "proposal_exists"
    message = lazy("A meeting between this buyer and this booth has been proposed already.")


class ProposalRefused(Conflict):
    """A proposal that cannot be made for this pair; the message says why."""

    code = "proposal_refused"
    message = lazy("This meeting cannot be proposed.")


class ProposalClosed(Conflict):
    code = "proposal_closed"
    message = lazy("This proposal has been answered already.")


class ProposalExpired(DomainError):
    status = 410
    code = "proposal_expired"
    message = lazy("This proposal has expired.")


class StartNeeded(ValidationFailed):
    def __init__(self) -> None:
        super().__init__({"start": lazy("Choose a time for the meeting.")})
