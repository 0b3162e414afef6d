"""The fairs API's response shapes (``fair.api``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from fair.accounts.models import User
from fair.api import Texts
from fair.fairs import models, service
from fair.fairs.phase import Phase
from fair.fairs.schemas import BuyerAdmission, FairStatus


class Fair(BaseModel):
    id: str
    slug: str
    title: Texts
    description: Texts
    starts_on: date
    ends_on: date
    booking_opens_on: date
    timezone: str
    slot_minutes: int
    status: FairStatus
    buyer_admission: BuyerAdmission
    phase: Phase

    @classmethod
    def of(cls, fair: models.Fair, now: datetime | None = None) -> Fair:
        return cls(
            id=fair.id,
            slug=fair.slug,
            title=fair.title,
            description=fair.description,
            starts_on=fair.starts_on,
            ends_on=fair.ends_on,
            booking_opens_on=fair.booking_opens_on,
            timezone=fair.timezone,
            slot_minutes=fair.slot_minutes,
            status=fair.status,
            buyer_admission=fair.buyer_admission,
            phase=service.phase_of(fair, now),
        )


class Fairs(BaseModel):
    fairs: list[Fair]


class Admission(BaseModel):
    """A buyer's standing in a vetted fair: pending, approved or rejected."""

    fair: str
    user_id: str
    status: Literal["pending", "approved", "rejected"]

    @classmethod
    def of(cls, slug: str, request: models.FairBuyer) -> Admission:
        return cls(fair=slug, user_id=request.user_id, status=request.status)


class Applicant(BaseModel):
    id: str
    name: str
    company: str
    country: str


class AdmissionRequest(BaseModel):
    buyer: Applicant
    status: Literal["pending", "approved", "rejected"]
    message: str
    requested_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, request: models.FairBuyer, user: User) -> AdmissionRequest:
        return cls(
            buyer=Applicant(id=user.id, name=user.name, company=user.company, country=user.country),
            status=request.status,
            message=request.message,
            requested_at=request.requested_at,
            decided_at=request.decided_at,
        )


class AdmissionRequests(BaseModel):
    items: list[AdmissionRequest]
