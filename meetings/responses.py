"""The meetings API's response shapes (``fair.api``): they serialize the responses and
describe them in ``/api/openapi.json``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field, PlainSerializer

from fair.api import Instant
from meetings import models
from meetings.calendars import join_url
from meetings.models import (
    Attendance,
    BookingMode,
    BuyerView,
    MeetingSource,
    MeetingStatus,
    Side,
    Stage,
)
from meetings.slots import local_iso

# Times shown in a zone: ISO 8601 with that zone's offset, to the minute
# ("2027-06-14T10:00+09:00", from meetings.slots.local_iso); RFC 3339's date-time would
# require seconds, so they are described by a pattern instead.
LocalTime = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$",
        description="ISO 8601 with the zone's offset, to the minute",
    ),
]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class Meeting(BaseModel):
    id: str
    booth_id: str
    buyer_id: str
    start: LocalTime  # in the viewer's zone
    end: LocalTime
    start_utc: Instant
    end_utc: Instant
    booth_local_start: LocalTime  # in the booth's zone
    status: MeetingStatus
    expires_at: Instant | None
    join_url: str
    interpreter_language: str | None
    interpreter_id: str | None
    host_id: str | None  # the booth company's member who meets the buyer (None: its owner)
    sequence: int
    cancel_reason: str
    attendance_confirmed_at: Instant | None
    released_at: Instant | None
    source: MeetingSource  # how it came about: self, recommended, invited, proposed

    @classmethod
    def of(cls, meeting: models.Meeting, viewer_tz: str, booth_tz: str, base_url: str) -> Meeting:
        return cls(
            id=meeting.id,
            booth_id=meeting.booth_id,
            buyer_id=meeting.buyer_id,
            start=local_iso(meeting.starts_at, viewer_tz),
            end=local_iso(meeting.ends_at, viewer_tz),
            start_utc=meeting.starts_at,
            end_utc=meeting.ends_at,
            booth_local_start=local_iso(meeting.starts_at, booth_tz),
            status=MeetingStatus(meeting.status),
            expires_at=meeting.expires_at,
            join_url=join_url(meeting, base_url),
            interpreter_language=meeting.interpreter_language,
            interpreter_id=meeting.interpreter_id,
            host_id=meeting.host_id,
            sequence=meeting.sequence,
            cancel_reason=meeting.cancel_reason,
            attendance_confirmed_at=meeting.attendance_confirmed_at,
            released_at=meeting.released_at,
            source=MeetingSource(meeting.source),
        )


class Meetings(BaseModel):
    meetings: list[Meeting]
    total: int
    page: int
    per_page: int


class Slot(BaseModel):
    start: LocalTime
    end: LocalTime
    booth_local_start: LocalTime
    good_for_both: bool  # inside both sides' working hours


class Slots(BaseModel):
    booth_id: str
    timezone: str  # the viewer's, the slots' start and end are in
    booth_timezone: str
    slot_minutes: int
    slots: list[Slot]


class Opening(BaseModel):
    """Weekly hours: ISO weekday (1 is Monday), "HH:MM" in the booth's zone."""

    model_config = ConfigDict(extra="allow")  # sent as stored

    weekday: int
    start: str
    end: str


class DayChange(BaseModel):
    """One day's hours instead of the weekly ones ("HH:MM"), or the day closed."""

    model_config = ConfigDict(extra="allow")  # sent as stored

    date: str = Field(json_schema_extra={"format": "date"})
    closed: bool | MISSING = MISSING
    start: str | MISSING = MISSING
    end: str | MISSING = MISSING


class Hours(BaseModel):
    timezone: str
    weekly: list[Opening]
    exceptions: list[DayChange]
    slot_minutes: int | None  # null: the fair's
    buffer_minutes: int
    min_notice_minutes: int
    max_per_day: int | None
    max_per_buyer: int
    mode: BookingMode
    request_hours: int

    @classmethod
    def of(cls, hours: models.BoothHours) -> Hours:
        return cls(
            timezone=hours.timezone,
            weekly=hours.weekly,
            exceptions=hours.exceptions,
            slot_minutes=hours.slot_minutes,
            buffer_minutes=hours.buffer_minutes,
            min_notice_minutes=hours.min_notice_minutes,
            max_per_day=hours.max_per_day,
            max_per_buyer=hours.max_per_buyer,
            mode=BookingMode(hours.mode),
            request_hours=hours.request_hours,
        )


class BookingReminder(BaseModel):
    fair: str
    booth_id: str
    opens_at: Instant
    created_at: Instant


class Join(BaseModel):
    ws_url: str
    token: str = Field(description="single use, about a minute")
    ice_servers: list[dict[str, Any]]
    peer_role: Side
    until: Instant


class AttendanceRecord(BaseModel):
    id: str
    attendance: Attendance | None
    together_seconds: int
    decided_at: Instant | None
    claim: str | None
    claim_reason: str
    settled: bool

    @classmethod
    def of(cls, meeting: models.Meeting) -> AttendanceRecord:
        return cls(
            id=meeting.id,
            attendance=meeting.attendance,
            together_seconds=meeting.together_seconds,
            decided_at=meeting.attendance_decided_at,
            claim=meeting.attendance_claim,
            claim_reason=meeting.attendance_claim_reason if meeting.attendance_claim else "",
            settled=meeting.attendance_settled_by is not None,
        )


class ChatMessage(BaseModel):
    id: str
    author_name: str
    side: str
    body: str
    sent_at: Instant

    @classmethod
    def of(cls, message: models.ChatMessage, author: str) -> ChatMessage:
        return cls(
            id=message.id,
            author_name=author,
            side=message.side,
            body=message.body,
            sent_at=message.sent_at,
        )


class ChatMessages(BaseModel):
    messages: list[ChatMessage]


class Outcome(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    meeting_id: str
    stage: Stage
    value: Annotated[
        Decimal | None,
        PlainSerializer(_text, return_type=str | None, when_used="json"),
        Field(description="decimal, in currency"),
    ]
    currency: str | None
    product_ids: list[str]
    next_step: str
    next_step_on: date | None
    note: str
    occurred_on: date
    recorded_at: Instant

    @classmethod
    def of(cls, outcome: models.Outcome) -> Outcome:
        return cls.model_validate(outcome)


class BuyerFeedback(BaseModel):
    view: BuyerView
    note: str

    @classmethod
    def of(cls, feedback: models.BuyerFeedback) -> BuyerFeedback:
        return cls(view=BuyerView(feedback.view), note=feedback.note)


class Outcomes(BaseModel):
    meeting_id: str
    attendance: Attendance | None
    current: Outcome | None  # the latest entry
    history: list[Outcome]  # newest first
    buyer_view: BuyerFeedback | None


class CalendarFeed(BaseModel):
    url: str


class EchoAnswer(BaseModel):
    sdp: str
    type: Literal["answer"] = "answer"
