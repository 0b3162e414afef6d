"""Files sent in a conversation: received, checked and served by the media rules of the
booths (``booths.media``), never by a parser or sniffer of their own.

A message carries up to ``MAX_FILES`` files of the types a booth's documents and pictures
may be (PDF, JPEG, PNG, WebP: no video), each at most ``FAIR_CONVERSATION_FILE_MAX_BYTES``.
The type comes from the content; a picture is re-encoded without its metadata (a phone's
photo keeps no location) in a media worker before anyone can fetch it, a PDF is kept as
sent. Who may write is asked before the body is read, and again when the message is stored
(``service.post_message``); the body streams in with no transaction open, as a booth's
upload does. A file is always downloaded, never shown in the site's origin, and only by the
thread's people.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from booths.media import (
    ACCEPTED,
    MEDIA_CSP,
    ReceivedFile,
    ReceivedFiles,
    UploadRules,
    check_file,
    content_disposition,
    download_name,
    receive_files,
)
from booths.sandbox import sandbox_of
from conversations import service
from conversations.errors import AttachmentNotFound, AttachmentRefused, TooManyAttachments
from conversations.models import ConversationAttachment, ConversationMessage
from conversations.schemas import MessageWithFiles
from fair import resources, uploads
from fair.config import Settings
from fair.errors import ValidationFailed
from fair.i18n import lazy
from fair.schemas import parse
from fair.storage import discard
from fair.web import PayloadTooLarge, db, settings_of, user_of

MAX_FILES = 3
# Documents and pictures, as a booth's brochures and photos: never a video in a chat.
ATTACHABLE = ("application/pdf", "image/jpeg", "image/png", "image/webp")
# The text of a message in UTF-8 (up to 4 bytes a character), and the form's CSRF token.
FIELD_BYTES = 4 * 4000 + 1000


def rules(settings: Settings) -> UploadRules:
    return UploadRules(
        limit=lambda _media_type: settings.conversation_file_max_bytes,
        accepted=ATTACHABLE,
        max_files=MAX_FILES,
        field_bytes=FIELD_BYTES,
        unsupported=AttachmentRefused,
        too_large=lazy("A file is too large: attach files of at most %(limit)s MB."),
        too_many=lambda: TooManyAttachments(MAX_FILES),
    )


async def receive(request: Request, conversation_id: str) -> ReceivedFiles:
    """The files and fields of a message sent as multipart, once the sender may write in
    the thread (refused before a byte of the body is read), streamed into staging files
    with no transaction open."""
    session, settings = db(request), settings_of(request)
    await service.may_write(session, actor=user_of(request), conversation_id=conversation_id)
    declared = request.headers.get("content-length", "")
    if uploads.declared_over(
        declared, MAX_FILES * settings.conversation_file_max_bytes + uploads.OVERHEAD
    ):
        raise PayloadTooLarge()
    await session.commit()  # a slow sender holds no transaction
    return await receive_files(
        request.stream(),
        content_type=request.headers.get("content-type", ""),
        rules=rules(settings),
        staging=resources.of_request(request).storage.staging_path,
    )


def text_of(upload: ReceivedFiles, *, files_required: bool) -> str:
    """The message's text: it may be empty when files come with it."""
    body = parse(MessageWithFiles, {"body": upload.fields.get("body", "")}).body
    if files_required and not upload.files:
        raise ValidationFailed({"file": lazy("Choose a file to attach.")})
    if not body and not upload.files:
        raise ValidationFailed({"body": lazy("Write a message first.")})
    return body


async def send(
    request: Request, conversation_id: str, body: str, upload: ReceivedFiles
) -> ConversationMessage:
    """The message with its files, checked in a media worker (no transaction waits on it);
    every staging file is gone after, whatever happened."""
    res = resources.of_request(request)
    checked: list[ReceivedFile] = []
    staged = [file.path for file in upload.files]
    try:
        for file in upload.files:
            target = res.storage.staging_path()
            staged.append(target)
            kept, _width, _height = await check_file(
                sandbox_of(res), file.path, file.media_type, target
            )
            checked.append(dataclasses.replace(file, path=kept, size=kept.stat().st_size))
        return await service.post_message(
            db(request),
            actor=user_of(request),
            conversation_id=conversation_id,
            body=body,
            files=checked,
            storage=res.storage,
        )
    finally:
        for path in staged:
            discard(path)


def discard_upload(upload: ReceivedFiles) -> None:
    for file in upload.files:
        discard(file.path)


def url_of(attachment: ConversationAttachment) -> str:
    return f"/api/conversations/{attachment.conversation_id}/attachments/{attachment.id}"


def reported_url(report_id: str, attachment: ConversationAttachment) -> str:
    """Where the organizers deciding a report download a file of the reported message."""
    return f"/organizer/conversation-reports/{report_id}/files/{attachment.id}"


async def download(request: Request, found: ConversationAttachment) -> Response:
    """The file as stored: always saved, never shown in the site's origin (a PDF can be a
    web page too), named for its sniffed type; the name the sender gave only ever reaches
    the header through ``content_disposition``."""
    name = download_name(found.filename, ACCEPTED.get(found.media_type), found.id)
    headers = {
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Content-Disposition": content_disposition("attachment", name),
        "Content-Security-Policy": MEDIA_CSP,
        "X-Content-Type-Options": "nosniff",
    }
    storage = resources.of_request(request).storage
    response = await storage.download(
        request, found.storage_key, media_type=found.media_type, headers=headers
    )
    if response is None:  # erased meanwhile (its sender's account was deleted)
        raise AttachmentNotFound()
    return response


async def remove_conversation_files(ctx: dict[str, Any], *, keys: list[str]) -> None:
    """Delete stored files whose rows are gone (an erased account's): after the commit
    that removed the rows, so a crash leaves at most a stray file, never a dangling row."""
    storage = resources.of_job(ctx).storage
    for key in keys:
        await storage.delete(key)


JOBS = (remove_conversation_files,)
