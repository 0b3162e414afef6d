"""Errors of conversations."""

from __future__ import annotations

from booths.media import UnsupportedFile
from fair.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests
from fair.i18n import lazy


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    message = lazy("There is no such conversation among yours.")


class MessageNotFound(NotFound):
    code = "message_not_found"
    message = lazy("There is no such message in this conversation.")


class ReportNotFound(NotFound):
    code = "report_not_found"
    message = lazy("There is no such report.")


class ConversationRefused(Conflict):
    """A thread that cannot be opened; the message says why."""

    code = "conversation_refused"
    message = lazy("This conversation cannot be started.")


class Blocked(Forbidden):
    code = "blocked"
    message = lazy("You cannot write in this conversation: the other side has blocked you.")


class ReportHandled(Conflict):
    code = "report_handled"
    message = lazy("This report has been handled already.")


class MessagesRateLimited(TooManyRequests):
    code = "messages_rate_limited"
    message = lazy("You are sending messages too fast. Please wait a little and try again.")


class ThreadsRateLimited(TooManyRequests):
    code = "conversations_rate_limited"
    message = lazy("You have started many conversations today. Please try again tomorrow.")


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    message = lazy("There is no such file in this conversation.")


class TooManyAttachments(BadRequest):
    code = "too_many_attachments"
    message = lazy("Attach at most %(count)s files to a message.")

    def __init__(self, count: int) -> None:
        super().__init__(field="file", count=count)


class AttachmentRefused(UnsupportedFile):
    message = lazy("This file type cannot be attached. Attach PDF, JPEG, PNG or WebP files.")

    def __init__(self) -> None:
        super().__init__(field="file")
