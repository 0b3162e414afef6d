"""The fairs API's response shapes (``fair.api``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from fair.api import Texts
from fair.fairs import models, service
from fair.fairs.phase import Phase
from fair.fairs.schemas import FairStatus


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
            phase=service.phase_of(fair, now),
        )


class Fairs(BaseModel):
    fairs: list[Fair]
