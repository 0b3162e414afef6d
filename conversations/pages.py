"""Conversations' pages: my threads with their unread markers, a thread (write, block,
report), starting a thread from a booth page or a lead, and the organizers' queue of
reported messages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.editor import field_errors
from conversations import files, service
from conversations.schemas import ConversationStart, MessageCreate, MessageReport, ReportResolve
from fair.errors import DomainError
from fair.schemas import parse
from fair.web import (
    check_upload_csrf,
    db,
    is_multipart,
    page,
    read_form,
    redirect,
    settings_of,
    user_of,
    writing,
)


def _id(request: Request) -> str:
    return request.path_params["conversation_id"]


async def list_page(request: Request) -> Response:
    found = await service.threads(db(request), actor=user_of(request))
    return page(request, "conversations/list.html", {"threads": found})


async def thread_page(
    request: Request,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    session = await writing(request)  # opening the thread marks it read
    found, messages, blocks = await service.read_thread(
        session, actor=user_of(request), conversation_id=_id(request)
    )
    user = user_of(request)
    if user is not None:  # the menu's marker, counted before this thread was read
        request.state.unread_messages = await service.unread_total(session, user)
    context = {
        "thread": found,
        "max_file_mb": settings_of(request).conversation_file_max_bytes // (1024 * 1024),
        "max_files": files.MAX_FILES,
        "messages": messages,
        "blocks": blocks,
        "values": values or {},
        "errors": errors or {},
        # The message form's own; a report's show beside its message.
        "message_errors": {k: v for k, v in (errors or {}).items() if not k.startswith("report-")},
    }
    return page(request, "conversations/thread.html", context, status)


async def write(request: Request) -> Response:
    """The message form: multipart with its files (the page's own), or text alone as a
    plain form (as before files, and as scripts post it)."""
    if is_multipart(request):
        return await _write_with_files(request)
    form = await read_form(request)
    values = {"body": str(form.get("body", ""))}
    try:
        data = parse(MessageCreate, values)
        await service.post_message(
            db(request), actor=user_of(request), conversation_id=_id(request), body=data.body
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        # The error status rolls the unit of work back: nothing is stored.
        return await thread_page(request, values, field_errors(exc), exc.status)
    return redirect(f"/messages/{_id(request)}#latest")


async def _write_with_files(request: Request) -> Response:
    # The CSRF token is in the body: who may write is asked, and the files received, before
    # it can be read. A refusal up to the token's check is the plain error page (nothing
    # stored, nothing marked read); after it, the thread again with the form's error.
    upload = await files.receive(request, _id(request))
    try:
        check_upload_csrf(request, upload.fields)
        values = {"body": upload.fields.get("body", "")}
        try:
            body = files.text_of(upload, files_required=False)
            await files.send(request, _id(request), body, upload)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return await thread_page(request, values, field_errors(exc), exc.status)
    finally:
        files.discard_upload(upload)
    return redirect(f"/messages/{_id(request)}#latest")


async def start(request: Request) -> Response:
    form = await read_form(request)
    values = {
        name: str(form.get(name, "")) or None
        for name in ("booth_id", "buyer_id", "need_id", "meeting_id")
    }
    data = parse(ConversationStart, {k: v for k, v in values.items() if v})
    conversation, _created = await service.start(db(request), actor=user_of(request), data=data)
    return redirect(f"/messages/{conversation.id}")


async def block(request: Request) -> Response:
    await read_form(request)
    await service.block(db(request), actor=user_of(request), conversation_id=_id(request))
    return redirect(f"/messages/{_id(request)}")


async def unblock(request: Request) -> Response:
    await read_form(request)
    await service.unblock(db(request), actor=user_of(request), conversation_id=_id(request))
    return redirect(f"/messages/{_id(request)}")


async def report(request: Request) -> Response:
    form = await read_form(request)
    values = {"reason": str(form.get("reason", ""))}
    message_id = request.path_params["message_id"]
    try:
        data = parse(MessageReport, values)
        await service.report(
            db(request),
            actor=user_of(request),
            conversation_id=_id(request),
            message_id=message_id,
            reason=data.reason,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        errors = {f"report-{message_id}": " ".join(field_errors(exc).values())}
        return await thread_page(request, {}, errors, exc.status)
    return redirect(f"/messages/{_id(request)}?reported=1")


async def reports_page(request: Request) -> Response:
    found = await service.open_reports(db(request), actor=user_of(request))
    return page(
        request, "conversations/reports.html", {"reports": found, "file_url": files.reported_url}
    )


async def reported_file(request: Request) -> Response:
    found = await service.reported_attachment(
        db(request),
        actor=user_of(request),
        report_id=request.path_params["report_id"],
        attachment_id=request.path_params["attachment_id"],
    )
    return await files.download(request, found)


async def resolve(request: Request) -> Response:
    form = await read_form(request)
    data = parse(ReportResolve, {"action": str(form.get("action", ""))})
    await service.resolve(
        db(request),
        actor=user_of(request),
        report_id=request.path_params["report_id"],
        action=data.action,
    )
    return redirect("/organizer/conversation-reports")


routes = [
    Route("/messages", list_page, methods=["GET"]),
    Route("/messages/start", start, methods=["POST"]),
    Route("/messages/{conversation_id}", thread_page, methods=["GET"]),
    Route("/messages/{conversation_id}", write, methods=["POST"]),
    Route("/messages/{conversation_id}/block", block, methods=["POST"]),
    Route("/messages/{conversation_id}/unblock", unblock, methods=["POST"]),
    Route("/messages/{conversation_id}/messages/{message_id}/report", report, methods=["POST"]),
    Route("/organizer/conversation-reports", reports_page, methods=["GET"]),
    Route("/organizer/conversation-reports/{report_id}/resolve", resolve, methods=["POST"]),
    Route(
        "/organizer/conversation-reports/{report_id}/files/{attachment_id}",
        reported_file,
        methods=["GET"],
    ),
]
