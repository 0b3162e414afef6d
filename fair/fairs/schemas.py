"""Request shapes for fairs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from fair.i18n import lazy
from fair.schemas import Schema, TimeZoneName, TranslatedText

FairStatus = Literal["draft", "published"]
# Who may book: every buyer, or the buyers an organizer admitted (fair/fairs/admission.py).
BuyerAdmission = Literal["open", "vetted"]


class FairCreate(Schema):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
    title: TranslatedText
    description: dict[str, str] = Field(default_factory=dict)
    starts_on: date
    ends_on: date
    timezone: TimeZoneName = "Asia/Tokyo"
    slot_minutes: Literal[15, 30, 45, 60] = 30
    booking_opens_on: date | None = None
    status: FairStatus = "published"
    buyer_admission: BuyerAdmission = "open"

    @model_validator(mode="after")
    def _dates_in_order(self) -> FairCreate:
        if self.ends_on < self.starts_on:
            raise ValueError(lazy("The fair must end on or after the day it starts."))
        if self.booking_opens_on and self.booking_opens_on > self.ends_on:
            raise ValueError(lazy("Booking must open before the fair ends."))
        if (self.ends_on - self.starts_on).days > 31:
            raise ValueError(lazy("A fair lasts at most a month."))
        return self


class FairUpdate(Schema):
    buyer_admission: BuyerAdmission


class AdmissionAsk(Schema):
    """A buyer's request to take part in a vetted fair."""

    message: str = Field(default="", max_length=1000)
