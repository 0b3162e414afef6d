"""The meetings part of ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from fair.openapi import json_body, model_schemas, operation, path_params, query_params, ref
from meetings.schemas import (
    AttendanceClaim,
    BookingRequest,
    Cancellation,
    ChatPost,
    FeedbackEntry,
    HoursUpdate,
    InterpreterChoice,
    OutcomeEntry,
    Reschedule,
)

NULLABLE_STRING = {"type": ["string", "null"]}
# Times shown in a zone: ISO 8601 with that zone's offset, to the minute ("2027-06-14T10:00+09:00");
# RFC 3339's date-time would require seconds, so they are described by a pattern instead.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$",
    "description": "ISO 8601 with the zone's offset, to the minute",
}

MEETING = {
    "type": "object",
    "required": ["id", "booth_id", "buyer_id", "start", "end", "status", "join_url"],
    "properties": {
        "id": {"type": "string"},
        "booth_id": {"type": "string"},
        "buyer_id": {"type": "string"},
        "start": LOCAL_TIME,
        "end": LOCAL_TIME,
        "start_utc": {"type": "string", "format": "date-time"},
        "end_utc": {"type": "string", "format": "date-time"},
        "booth_local_start": LOCAL_TIME,
        "status": {
            "type": "string",
            "enum": ["requested", "confirmed", "declined", "expired", "cancelled"],
        },
        "expires_at": NULLABLE_STRING,
        "join_url": {"type": "string"},
        "interpreter_language": NULLABLE_STRING,
        "interpreter_id": NULLABLE_STRING,
        "sequence": {"type": "integer"},
        "cancel_reason": {"type": "string"},
        "attendance_confirmed_at": NULLABLE_STRING,
        "released_at": NULLABLE_STRING,
    },
}
BOOKING_REMINDER = {
    "type": "object",
    "required": ["fair", "booth_id", "opens_at"],
    "properties": {
        "fair": {"type": "string"},
        "booth_id": {"type": "string"},
        "opens_at": {"type": "string", "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
SLOTS = {
    "type": "object",
    "required": ["timezone", "slots"],
    "properties": {
        "booth_id": {"type": "string"},
        "timezone": {"type": "string"},
        "booth_timezone": {"type": "string"},
        "slot_minutes": {"type": "integer"},
        "slots": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["start", "end", "booth_local_start", "good_for_both"],
                "properties": {
                    "start": LOCAL_TIME,
                    "end": LOCAL_TIME,
                    "booth_local_start": LOCAL_TIME,
                    "good_for_both": {"type": "boolean"},
                },
            },
        },
    },
}


JOIN = {
    "type": "object",
    "required": ["ws_url", "token", "ice_servers"],
    "properties": {
        "ws_url": {"type": "string"},
        "token": {"type": "string", "description": "single use, about a minute"},
        "ice_servers": {"type": "array", "items": {"type": "object"}},
        "peer_role": {"type": "string", "enum": ["exhibitor", "buyer", "interpreter"]},
        "until": {"type": "string", "format": "date-time"},
    },
}
ATTENDANCE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "attendance": {
            "type": ["string", "null"],
            "enum": [
                "held",
                "no_show_buyer",
                "no_show_exhibitor",
                "no_show_both",
                "too_short",
                None,
            ],
        },
        "together_seconds": {"type": "integer"},
        "decided_at": NULLABLE_STRING,
        "claim": NULLABLE_STRING,
        "claim_reason": {"type": "string"},
        "settled": {"type": "boolean"},
    },
}
CHAT_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "author_name": {"type": "string"},
        "side": {"type": "string"},
        "body": {"type": "string"},
        "sent_at": {"type": "string", "format": "date-time"},
    },
}


OUTCOME = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "meeting_id": {"type": "string"},
        "stage": {
            "type": "string",
            "enum": ["no_deal", "follow_up", "sample_sent", "quote", "contract"],
        },
        "value": {"type": ["string", "null"], "description": "decimal, in currency"},
        "currency": NULLABLE_STRING,
        "product_ids": {"type": "array", "items": {"type": "string"}},
        "next_step": {"type": "string"},
        "next_step_on": NULLABLE_STRING,
        "note": {"type": "string"},
        "occurred_on": {"type": "string", "format": "date"},
        "recorded_at": {"type": "string", "format": "date-time"},
    },
}


def meeting_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Meeting": MEETING,
        "BookingReminder": BOOKING_REMINDER,
        "Slots": SLOTS,
        "Hours": {"type": "object"},
        "Join": JOIN,
        "Attendance": ATTENDANCE,
        "ChatMessage": CHAT_MESSAGE,
        "Outcome": OUTCOME,
    }
    schemas.update(
        model_schemas(
            HoursUpdate,
            BookingRequest,
            Cancellation,
            Reschedule,
            InterpreterChoice,
            AttendanceClaim,
            ChatPost,
            OutcomeEntry,
            FeedbackEntry,
        )
    )
    return schemas


def meeting_paths() -> dict[str, Any]:
    booth, meeting = path_params("booth_id"), path_params("meeting_id")
    write = (400, 401, 403, 404, 409, 413, 415, 422)
    one = (200, ref("Meeting"))
    return {
        "/api/booths/{booth_id}/availability": {
            "get": operation(
                "A booth's meeting hours", (200, ref("Hours")), errors=(404, 409), params=booth
            ),
            "put": operation(
                "Set meeting hours (its exhibitor)",
                (200, ref("Hours")),
                body=HoursUpdate,
                errors=write,
                params=booth,
            ),
        },
        "/api/booths/{booth_id}/slots": {
            "get": operation(
                "Free slots in the viewer's zone, good-for-both first",
                (200, ref("Slots")),
                errors=(400, 404, 409),
                params=booth + query_params("tz", "from", "to", "order"),
            )
        },
        "/api/booths/{booth_id}/booking-reminder": {
            "post": operation(
                "Mail me when booking opens for this booth's fair (buyer; 200 if asked already)",
                (201, ref("BookingReminder")),
                errors=(401, 403, 404, 409),
                params=booth,
            ),
            "delete": operation(
                "No mail when booking opens", (204, None), errors=(401, 404), params=booth
            ),
        },
        "/api/meetings": {
            "get": operation(
                "My meetings; with fair, that fair's (all of them for organizers and staff)",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "meetings": {"type": "array", "items": ref("Meeting")},
                            "total": {"type": "integer"},
                            "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                        },
                    },
                ),
                errors=(400, 401, 404),
                params=query_params("tz", "fair", "status", "from", "to", "page", "per_page"),
            ),
            "post": operation(
                "Book a slot (buyer)", (201, ref("Meeting")), body=BookingRequest, errors=write
            ),
        },
        "/api/meetings/{meeting_id}": {
            "get": operation(
                "One meeting (participants)",
                one,
                errors=(400, 401, 404),
                params=meeting + query_params("tz"),
            )
        },
        "/api/meetings/{meeting_id}/cancel": {
            "post": operation("Cancel", one, body=Cancellation, errors=write, params=meeting)
        },
        "/api/meetings/{meeting_id}/reschedule": {
            "post": operation(
                "Move to another slot", one, body=Reschedule, errors=write, params=meeting
            )
        },
        "/api/meetings/{meeting_id}/accept": {
            "post": operation(
                "Confirm a request (exhibitor)", one, errors=(401, 403, 404, 409), params=meeting
            )
        },
        "/api/meetings/{meeting_id}/reconfirm": {
            "post": operation(
                "The buyer confirms they are coming (asked by the 24-hour reminder)",
                one,
                errors=(401, 403, 404, 409),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/release": {
            "post": operation(
                "Release a requested meeting the buyer did not reconfirm (exhibitor)",
                one,
                errors=(401, 403, 404, 409),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/invite.ics": {
            "get": {
                "summary": "RFC 5545 invite (METHOD:REQUEST, or CANCEL once cancelled)",
                "parameters": meeting,
                "responses": {
                    "200": {
                        "description": "the invite",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    "400": {"description": "malformed request", **json_body(ref("Error"))},
                    "401": {"description": "not signed in", **json_body(ref("Error"))},
                    "404": {"description": "not a participant", **json_body(ref("Error"))},
                },
            }
        },
        "/api/meetings/{meeting_id}/interpreter": {
            "post": operation(
                "Assign an interpreter (organizer)",
                one,
                body=InterpreterChoice,
                errors=write,
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/join": {
            "post": operation(
                "Enter the video room: signaling URL, single-use token, ICE servers "
                "(participants, from FAIR_JOIN_EARLY_MINUTES before the start to "
                "FAIR_JOIN_GRACE_MINUTES after the end)",
                (200, ref("Join")),
                errors=(401, 403, 404, 409),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/attendance": {
            "post": operation(
                "Dispute the recorded attendance (exhibitor or buyer) or settle it (organizer)",
                (200, ref("Attendance")),
                body=AttendanceClaim,
                errors=(400, 401, 403, 404, 409, 422),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/chat": {
            "get": operation(
                "The room's chat, kept with the meeting (participants)",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {"messages": {"type": "array", "items": ref("ChatMessage")}},
                    },
                ),
                errors=(401, 403, 404),
                params=meeting,
            ),
            "post": operation(
                "Keep a chat line (participants, while the room is open)",
                (201, ref("ChatMessage")),
                body=ChatPost,
                errors=(400, 401, 403, 404, 409, 422),
                params=meeting,
            ),
        },
        "/api/meetings/{meeting_id}/outcome": {
            "post": operation(
                "Record where the negotiation stands (its exhibitor; held meetings only); "
                "appended to the history, the latest entry is the current stage",
                (201, ref("Outcome")),
                body=OutcomeEntry,
                errors=(400, 401, 403, 404, 409, 422),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/outcomes": {
            "get": operation(
                "The outcome history, newest first, and the buyer's view (the buyer sees "
                "only their own view)",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {
                            "current": {"oneOf": [ref("Outcome"), {"type": "null"}]},
                            "history": {"type": "array", "items": ref("Outcome")},
                            "buyer_view": {"type": ["object", "null"]},
                        },
                    },
                ),
                errors=(401, 404),
                params=meeting,
            )
        },
        "/api/meetings/{meeting_id}/feedback": {
            "post": operation(
                "The buyer's own view of a held meeting (useful, not useful, wants follow-up)",
                (200, {"type": "object"}),
                body=FeedbackEntry,
                errors=(400, 401, 403, 404, 409, 422),
                params=meeting,
            )
        },
        "/api/me/calendar-feed": {
            "post": operation(
                "A new secret calendar URL of all my meetings (the old one stops working)",
                (201, {"type": "object", "properties": {"url": {"type": "string"}}}),
                errors=(401,),
            ),
            "delete": operation("Revoke my calendar URL", (204, None), errors=(401,)),
        },
        "/api/meetings/{meeting_id}/decline": {
            "post": operation(
                "Decline a request (exhibitor)", one, errors=(401, 403, 404, 409), params=meeting
            )
        },
    }
