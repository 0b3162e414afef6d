"""The invitations API's response shapes (``fair.api``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from fair.accounts.responses import User
from fair.api import Instant
from fair.invitations import models
from fair.invitations.sheets import RowProblem

Status = Literal["pending", "accepted", "expired", "revoked"]
Action = Literal["invite", "resend", "admit", "accepted_already"]


class Invitation(BaseModel):
    id: str
    fair: str
    email: str
    role: str
    name: str
    company: str
    country: str
    locale: str
    status: Status
    sent_at: Instant
    expires_at: Instant
    accepted_at: Instant | None

    @classmethod
    def of(cls, invitation: models.FairInvitation, slug: str, now: datetime) -> Invitation:
        return cls(
            id=invitation.id,
            fair=slug,
            email=invitation.email,
            role=invitation.role,
            name=invitation.name,
            company=invitation.company,
            country=invitation.country,
            locale=invitation.locale,
            status=invitation.status(now),  # type: ignore[arg-type]
            sent_at=invitation.sent_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
        )


class Invited(BaseModel):
    """What inviting did: ``invite`` (mailed), ``resend`` (mailed again, a new link) or
    ``admit`` (the address has an account: added to the fair at once, and told)."""

    action: Action
    invitation: Invitation


class Invitations(BaseModel):
    invitations: list[Invitation]


class ImportRow(BaseModel):
    row: int
    email: str
    role: str
    name: str
    company: str
    country: str
    language: str | None
    action: Action


class ImportProblem(BaseModel):
    row: int
    field: str
    message: str  # in the uploader's language

    @classmethod
    def of(cls, problem: RowProblem, message: str) -> ImportProblem:
        return cls(row=problem.row, field=problem.field, message=message)


class ImportResult(BaseModel):
    fair: str
    dry_run: bool
    imported: int  # rows written (0 on a dry run)
    rows: list[ImportRow]
    errors: list[ImportProblem]


class Acceptance(BaseModel):
    fair: str
    role: str
    created: bool  # a new account was made and is now signed in
    user: User
