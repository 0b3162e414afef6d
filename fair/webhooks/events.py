"""The events an endpoint may subscribe to, named in the Standard Webhooks style (dotted,
``group.action``), and what the pages call them."""

from __future__ import annotations

from fair.i18n import lazy

# Each is published where it happens (booths, meetings) through ``fair.webhooks.service.publish``.
EVENTS: dict[str, str] = {
    "booth.submitted": lazy("A booth is submitted for review"),
    "booth.approved": lazy("A booth is approved"),
    "meeting.booked": lazy("A meeting is booked"),
    "meeting.rescheduled": lazy("A meeting is moved to another time"),
    "meeting.cancelled": lazy("A meeting is cancelled"),
    "meeting.held": lazy("A meeting is held"),
    "meeting.no_show": lazy("Someone did not come to a meeting"),
    "outcome.recorded": lazy("An exhibitor records what came of a meeting"),
    "message.received": lazy("A chat message is sent in a meeting's room"),
    "conversation.message": lazy("A buyer and an exhibitor write to each other in a conversation"),
}
