"""Request shapes for meeting hours, bookings, cancellations and reschedules."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from fair.i18n import lazy
from fair.schemas import CurrencyCode, LanguageCode, Schema, TimeZoneName
from meetings.models import CELL_MINUTES, Stage


def _on_cell(value: time) -> time:
    if value.second or value.microsecond or value.minute % CELL_MINUTES:
        raise ValueError(lazy("Use times on a 5-minute boundary, e.g. 09:00 or 13:30."))
    return value


ClockTime = Annotated[time, AfterValidator(_on_cell)]


def ends_after(start: time, end: time) -> bool:
    """An end of 00:00 means midnight, the end of the day ("until midnight")."""
    return end > start or (end == time(0) and start != time(0))


class WeeklyHours(Schema):
    weekday: int = Field(ge=1, le=7)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _in_order(self) -> WeeklyHours:
        if not ends_after(self.start, self.end):
            raise ValueError(lazy("Opening hours must end after they start."))
        return self


class DayException(Schema):
    date: date
    closed: bool = False
    start: ClockTime | None = None
    end: ClockTime | None = None

    @model_validator(mode="after")
    def _closed_or_hours(self) -> DayException:
        if self.closed == (self.start is not None or self.end is not None):
            raise ValueError(lazy("A date is either closed or has a start and an end."))
        if not self.closed and (
            self.start is None or self.end is None or not ends_after(self.start, self.end)
        ):
            raise ValueError(lazy("Opening hours must end after they start."))
        return self


class HoursUpdate(Schema):
    timezone: TimeZoneName
    weekly: list[WeeklyHours] = Field(max_length=70)
    exceptions: list[DayException] = Field(default_factory=list, max_length=200)
    slot_minutes: Literal[15, 30, 45, 60] | None = None
    buffer_minutes: int = Field(default=0, ge=0, le=120, multiple_of=CELL_MINUTES)
    min_notice_minutes: int = Field(default=12 * 60, ge=0, le=14 * 24 * 60)
    max_per_day: int | None = Field(default=None, ge=1, le=96)
    max_per_buyer: int = Field(default=2, ge=1, le=20)
    mode: Literal["instant", "request"] = "instant"
    request_hours: int = Field(default=48, ge=1, le=14 * 24)


class BookingRequest(Schema):
    booth_id: str = Field(min_length=1, max_length=32)
    # ISO 8601; without an offset it is read in ``timezone`` (and must name one instant).
    start: datetime
    timezone: TimeZoneName | None = None
    interpreter_language: LanguageCode | None = None
    note: str = Field(default="", max_length=2000)
    # Booked from a recommendation (the recommendation's book button says so); any other
    # way of coming about is recorded by the path that makes it (a proposal).
    source: Literal["recommended"] | None = None


class Cancellation(Schema):
    reason: str = Field(min_length=1, max_length=1000)


class Reschedule(Schema):
    start: datetime
    timezone: TimeZoneName | None = None
    reason: str = Field(default="", max_length=1000)


class InterpreterChoice(Schema):
    user_id: str | None = Field(default=None, max_length=32)


class HostChoice(Schema):
    user_id: str = Field(min_length=1, max_length=32)


class AttendanceClaim(Schema):
    status: Literal["held", "no_show_buyer", "no_show_exhibitor", "no_show_both", "too_short"]
    reason: str = Field(default="", max_length=1000)


class ChatPost(Schema):
    body: str = Field(min_length=1, max_length=2000)


class OutcomeEntry(Schema):
    stage: Literal["no_deal", "follow_up", "sample_sent", "quote", "contract"]
    value: Decimal | None = Field(default=None, ge=0, le=Decimal("9999999999999"), decimal_places=2)
    currency: CurrencyCode | None = None
    product_ids: list[Annotated[str, Field(max_length=32)]] = Field(default=[], max_length=50)
    next_step: str = Field(default="", max_length=500)
    next_step_on: date | None = None
    note: str = Field(default="", max_length=4000)
    occurred_on: date | None = None

    def arguments(self) -> dict[str, Any]:
        """The entry as ``outcomes.record_outcome``'s keyword arguments (API and page alike)."""
        return {
            **self.model_dump(exclude={"stage", "product_ids"}),
            "stage": Stage(self.stage),
            "product_ids": list(self.product_ids),
        }


class FeedbackEntry(Schema):
    view: Literal["useful", "not_useful", "wants_follow_up"]
    note: str = Field(default="", max_length=1000)


MAX_SDP_CHARS = 32 * 1024


class EchoOffer(Schema):
    """The browser's offer to the connection test's echo peer."""

    # SDP is line-oriented; stripping its final CRLF would change it.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    type: Literal["offer"]
