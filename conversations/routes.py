"""Conversations' JSON API: the threads of a buyer and a booth's company, their messages,
blocking, reporting a message, and the organizers' queue of reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from conversations import files, responses, service
from conversations.schemas import (
    ConversationStart,
    MessageCreate,
    MessageReport,
    MessageWithFiles,
    ReportResolve,
)
from fair.api import Endpoint, Scope
from fair.schemas import parse
from fair.web import check_upload_csrf, db, json_response, read_json, user_of, writing


def _id(request: Request) -> str:
    return request.path_params["conversation_id"]


async def api_conversations(request: Request) -> Response:
    found = await service.threads(db(request), actor=user_of(request))
    items = [responses.Conversation.of(thread) for thread in found]
    return json_response(
        responses.Conversations(items=items, unread=sum(thread.unread for thread in found))
    )


async def api_start(request: Request) -> Response:
    data = parse(ConversationStart, await read_json(request))
    conversation, created = await service.start(db(request), actor=user_of(request), data=data)
    thread, _messages = await service.thread(
        db(request), actor=user_of(request), conversation_id=conversation.id
    )
    return json_response(responses.Conversation.of(thread), 201 if created else 200)


async def api_messages(request: Request) -> Response:
    # Reading marks the thread read: a GET that writes.
    session = await writing(request)
    thread, messages, blocked = await service.read_thread(
        session, actor=user_of(request), conversation_id=_id(request)
    )
    return json_response(
        responses.Messages(
            conversation=responses.Conversation.of(thread),
            items=[responses.Message.of(*said) for said in messages],
            blocked=blocked,
        )
    )


async def api_post_message(request: Request) -> Response:
    data = parse(MessageCreate, await read_json(request))
    message = await service.post_message(
        db(request), actor=user_of(request), conversation_id=_id(request), body=data.body
    )
    user = user_of(request)
    return json_response(responses.Message.of(message, user.name if user else ""), 201)


async def api_attach(request: Request) -> Response:
    # The header token, checked before anything is read: the API's form is no page's.
    check_upload_csrf(request)
    upload = await files.receive(request, _id(request))
    try:
        body = files.text_of(upload, files_required=True)
        message = await files.send(request, _id(request), body, upload)
    finally:
        files.discard_upload(upload)
    sent = await service.attachments_of(db(request), [message])
    user = user_of(request)
    return json_response(
        responses.Message.of(message, user.name if user else "", sent.get(message.id, [])), 201
    )


async def api_attachment(request: Request) -> Response:
    found = await service.attachment(
        db(request),
        actor=user_of(request),
        conversation_id=_id(request),
        attachment_id=request.path_params["attachment_id"],
    )
    return await files.download(request, found)


async def api_block(request: Request) -> Response:
    state = await service.block(db(request), actor=user_of(request), conversation_id=_id(request))
    return json_response(responses.BlockState(blocked=state))


async def api_unblock(request: Request) -> Response:
    state = await service.unblock(db(request), actor=user_of(request), conversation_id=_id(request))
    return json_response(responses.BlockState(blocked=state))


async def api_report(request: Request) -> Response:
    data = parse(MessageReport, await read_json(request))
    made = await service.report(
        db(request),
        actor=user_of(request),
        conversation_id=_id(request),
        message_id=request.path_params["message_id"],
        reason=data.reason,
    )
    return json_response(responses.ReportState.of(made), 201)


async def api_reports(request: Request) -> Response:
    found = await service.open_reports(db(request), actor=user_of(request))
    return json_response(responses.Reports(items=[responses.Report.of(r) for r in found]))


async def api_resolve(request: Request) -> Response:
    data = parse(ReportResolve, await read_json(request))
    done = await service.resolve(
        db(request),
        actor=user_of(request),
        report_id=request.path_params["report_id"],
        action=data.action,
    )
    return json_response(responses.ReportState.of(done))


THREAD = "/api/conversations/{conversation_id}"

API = [
    Endpoint(
        "GET",
        "/api/conversations",
        api_conversations,
        "My conversations, the latest first, with their unread counts",
        responses.Conversations,
        errors=(401,),
    ),
    Endpoint(
        "POST",
        "/api/conversations",
        api_start,
        "Start the conversation of a buyer and a booth (or get the one there is)",
        responses.Conversation,
        status=201,
        also={200: "the conversation there was already"},
        body=ConversationStart,
        errors=(401, 403, 404, 409, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        f"{THREAD}/messages",
        api_messages,
        "A conversation's messages, oldest first; marks them read",
        responses.Messages,
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        f"{THREAD}/messages",
        api_post_message,
        "Write in a conversation",
        responses.Message,
        status=201,
        body=MessageCreate,
        errors=(401, 403, 404, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        f"{THREAD}/attachments",
        api_attach,
        "Write in a conversation with files (multipart: `body`, up to 3 `file` parts of PDF, "
        "JPEG, PNG or WebP; header X-CSRF-Token)",
        responses.Message,
        status=201,
        form=MessageWithFiles,
        # 415: a file of another type (by its content); 503: no media worker could start.
        errors=(401, 403, 404, 429, 503),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        f"{THREAD}/attachments/{{attachment_id}}",
        api_attachment,
        "Download a file of a conversation (its people only)",
        bytes,
        media_type="application/octet-stream",
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        f"{THREAD}/block",
        api_block,
        "Block the other side: they can no longer write to you",
        responses.BlockState,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        f"{THREAD}/unblock",
        api_unblock,
        "Unblock the other side",
        responses.BlockState,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        f"{THREAD}/messages/{{message_id}}/report",
        api_report,
        "Report a message to the organizers",
        responses.ReportState,
        status=201,
        body=MessageReport,
        errors=(401, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/conversation-reports",
        api_reports,
        "Reported messages waiting for an organizer, oldest first (organizers)",
        responses.Reports,
        errors=(401, 403),
    ),
    Endpoint(
        "POST",
        "/api/conversation-reports/{report_id}/resolve",
        api_resolve,
        "Dismiss a report, or remove the reported message (organizers)",
        responses.ReportState,
        body=ReportResolve,
        errors=(401, 403, 404, 409),
        scope=Scope.MEETINGS,
    ),
]
