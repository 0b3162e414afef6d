"""Conversations' response shapes (``fair.api``): they serialize the responses and describe
them in ``/api/openapi.json``. People are named by name, company and country, never by
their e-mail address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel

from conversations.files import reported_url, url_of
from conversations.models import ConversationAttachment, ConversationMessage, ConversationReport
from conversations.service import Reported, Thread
from fair.api import Instant
from fair.i18n import pick_text

REMOVED = ""  # a removed message's body, as the thread shows it


class Buyer(BaseModel):
    id: str
    name: str
    company: str
    country: str


class BoothRef(BaseModel):
    id: str
    company: str  # in the viewer's language


class Conversation(BaseModel):
    id: str
    booth: BoothRef
    buyer: Buyer
    side: Literal["buyer", "exhibitor", "interpreter"]  # the viewer's
    need_id: str | None
    meeting_id: str | None
    created_at: Instant
    last_message_at: Instant | None
    unread: int

    @classmethod
    def of(cls, thread: Thread) -> Conversation:
        conversation, booth, buyer = thread.conversation, thread.booth, thread.buyer
        return cls(
            id=conversation.id,
            booth=BoothRef(id=booth.id, company=pick_text(booth.company)[0]),
            buyer=Buyer(id=buyer.id, name=buyer.name, company=buyer.company, country=buyer.country),
            side=thread.side.value,
            need_id=conversation.need_id,
            meeting_id=conversation.meeting_id,
            created_at=conversation.created_at,
            last_message_at=conversation.last_message_at,
            unread=thread.unread,
        )


class Conversations(BaseModel):
    items: list[Conversation]
    unread: int  # across them all


class Attachment(BaseModel):
    id: str
    filename: str  # as the sender named it, cleaned: a display name only
    media_type: str  # sniffed from the content
    size: int  # bytes
    # The download the viewer may use: the thread's people's, or in a report of the
    # message the organizers' (while the report is open).
    url: str

    @classmethod
    def of(
        cls,
        attachment: ConversationAttachment,
        url: Callable[[ConversationAttachment], str] = url_of,
    ) -> Attachment:
        return cls(
            id=attachment.id,
            filename=attachment.filename,
            media_type=attachment.media_type,
            size=attachment.size,
            url=url(attachment),
        )


class Message(BaseModel):
    id: str
    author_id: str | None
    author: str  # the author's name
    body: str  # empty once removed by the organizers
    removed: bool
    created_at: Instant
    attachments: list[Attachment]  # none once removed

    @classmethod
    def of(
        cls,
        message: ConversationMessage,
        author: str,
        files: Sequence[ConversationAttachment] = (),
        url: Callable[[ConversationAttachment], str] = url_of,
    ) -> Message:
        removed = message.removed_at is not None
        return cls(
            id=message.id,
            author_id=message.author_id,
            author=author,
            body=REMOVED if removed else message.body,
            removed=removed,
            created_at=message.created_at,
            attachments=[] if removed else [Attachment.of(file, url) for file in files],
        )


class Messages(BaseModel):
    conversation: Conversation
    items: list[Message]
    blocked: bool  # whether the viewer blocks the other side


class BlockState(BaseModel):
    blocked: bool


class Report(BaseModel):
    id: str
    conversation_id: str
    message: Message  # its attachments' urls are the organizers' downloads
    reporter: str
    reason: str
    status: str
    created_at: Instant

    @classmethod
    def of(cls, found: Reported) -> Report:
        return cls(
            id=found.report.id,
            conversation_id=found.report.conversation_id,
            message=Message.of(
                found.message,
                found.author,
                found.files,
                url=lambda file: reported_url(found.report.id, file),
            ),
            reporter=found.reporter,
            reason=found.report.reason,
            status=found.report.status,
            created_at=found.report.created_at,
        )


class Reports(BaseModel):
    items: list[Report]


class ReportState(BaseModel):
    id: str
    status: str
    handled_at: Instant | None

    @classmethod
    def of(cls, report: ConversationReport) -> ReportState:
        return cls(id=report.id, status=report.status, handled_at=report.handled_at)
