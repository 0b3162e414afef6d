"""Request shapes of conversations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from fair.i18n import lazy
from fair.schemas import Schema

MAX_BODY_CHARS = 4000
Id = Annotated[str, Field(min_length=1, max_length=32)]


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(lazy("Write a message first."))
    return value


class ConversationStart(Schema):
    booth_id: Id
    # Given by the booth's company, naming the buyer it writes to; a buyer leaves it out.
    buyer_id: Id | None = None
    need_id: Id | None = None
    meeting_id: Id | None = None


class MessageCreate(Schema):
    body: Annotated[str, Field(max_length=MAX_BODY_CHARS), AfterValidator(_not_blank)]


class MessageWithFiles(Schema):
    """A message with files (multipart/form-data, read as it streams in by
    ``conversations.files``): its text may be left out, the files speak for themselves."""

    body: Annotated[str, Field(max_length=MAX_BODY_CHARS)] = ""
    # One part per file, up to ``files.MAX_FILES``: PDF, JPEG, PNG or WebP.
    file: list[bytes] = Field(default_factory=list)


class MessageReport(Schema):
    reason: Annotated[str, Field(max_length=1000), AfterValidator(_not_blank)]


class ReportResolve(Schema):
    # "dismiss": nothing wrong; "remove": the message is taken out of the thread.
    action: Literal["dismiss", "remove"]
