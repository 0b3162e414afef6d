"""Request shapes for webhooks."""

from __future__ import annotations

from pydantic import Field, field_validator

from fair.i18n import lazy
from fair.schemas import Schema
from fair.webhooks.addresses import MAX_URL_LENGTH
from fair.webhooks.events import EVENTS


class EndpointCreate(Schema):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    events: list[str] = Field(min_length=1, max_length=len(EVENTS))

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = [event for event in events if event not in EVENTS]
        if unknown:
            raise ValueError(lazy("Choose events from the list."))
        return sorted(set(events), key=list(EVENTS).index)
