"""Invitation endpoints: JSON under /api (the list upload as multipart)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fair import clock
from fair.accounts import responses as account_responses
from fair.accounts import service as accounts
from fair.accounts.errors import InvalidLink
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint, Scope
from fair.errors import BadRequest
from fair.i18n import lazy
from fair.invitations import responses, service
from fair.invitations.schemas import InvitationAccept, InvitationCreate, InvitationImport
from fair.invitations.sheets import Candidate, read_sheet
from fair.invitations.upload import Upload, read_upload
from fair.schemas import parse
from fair.web import (
    SESSION_COOKIE,
    check_upload_csrf,
    client_address,
    db,
    is_multipart,
    json_response,
    read_json,
    rotate_csrf_cookie,
    set_session_cookie,
    settings_of,
    user_of,
)


def candidate_of(data: InvitationCreate) -> Candidate:
    return Candidate(
        row=0,
        email=accounts.normalize_email(str(data.email)),
        role=data.role,
        name=data.name,
        company=data.company,
        country=data.country,
        language=data.locale,
    )


async def api_invite(request: Request) -> Response:
    require_role(user_of(request), Role.ORGANIZER)
    data = parse(InvitationCreate, await read_json(request))
    invited = await service.invite(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        candidate=candidate_of(data),
        settings=settings_of(request),
    )
    body = responses.Invited(
        action=invited.action,
        invitation=responses.Invitation.of(
            invited.invitation, request.path_params["slug"], clock.now()
        ),
    )
    return json_response(body, 201)


async def api_list(request: Request) -> Response:
    fair, rows = await service.list_invitations(
        db(request), actor=user_of(request), slug=request.path_params["slug"]
    )
    now = clock.now()
    items = [responses.Invitation.of(row, fair.slug, now) for row in rows]
    return json_response(responses.Invitations(invitations=items))


async def api_revoke(request: Request) -> Response:
    await service.revoke(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        invitation_id=request.path_params["id"],
    )
    return Response(status_code=204)


def _dry_run(upload: Upload) -> bool:
    raw = upload.fields.get("dry_run", "true").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
        raise BadRequest(lazy("Not one of the allowed values."), field="dry_run")
    return raw in ("true", "1", "yes", "on", "")


async def receive_list(request: Request) -> tuple[Upload, bool]:
    """The organizer's upload, read outside any transaction (a slow sender holds no
    database connection), its CSRF checked."""
    require_role(user_of(request), Role.ORGANIZER)
    if request.headers.get("x-csrf-token") or not is_multipart(request):
        # Refused before the body is read; a body that is no upload cannot carry the form's
        # token, so without the header it is a forgery (403), with it merely the wrong type.
        check_upload_csrf(request)
    await db(request).commit()
    upload = await read_upload(
        request.stream(),
        content_type=request.headers.get("content-type", ""),
        declared=request.headers.get("content-length", ""),
        limit=settings_of(request).invitation_import_max_bytes,
    )
    check_upload_csrf(request, upload.fields)
    return upload, _dry_run(upload)


async def import_list(request: Request, upload: Upload, dry_run: bool) -> service.ImportPlan:
    settings = settings_of(request)
    sheet = read_sheet(
        upload.data,
        max_rows=settings.invitation_import_max_rows,
        max_bytes=settings.invitation_import_max_bytes,
    )
    return await service.import_sheet(
        db(request),
        actor=user_of(request),
        slug=upload.fields.get("fair", ""),
        sheet=sheet,
        dry_run=dry_run,
        settings=settings,
    )


def import_result(plan: service.ImportPlan, dry_run: bool) -> responses.ImportResult:
    rows = [
        responses.ImportRow(
            row=row.candidate.row,
            email=row.candidate.email,
            role=row.candidate.role,
            name=row.candidate.name,
            company=row.candidate.company,
            country=row.candidate.country,
            language=row.candidate.language,
            action=row.action,
        )
        for row in plan.rows
    ]
    problems = [responses.ImportProblem.of(p, service.formatted(p)) for p in plan.problems]
    written = [row for row in plan.rows if row.action != "accepted_already"]
    imported = len(written) if plan.written else 0
    return responses.ImportResult(
        fair=plan.fair.slug, dry_run=dry_run, imported=imported, rows=rows, errors=problems
    )


async def api_import(request: Request) -> Response:
    upload, dry_run = await receive_list(request)
    plan = await import_list(request, upload, dry_run)
    return json_response(import_result(plan, dry_run), 200 if dry_run else 201)


async def accept(request: Request, data: InvitationAccept, response: Response) -> service.Accepted:
    """Accept the path's invitation; a new account is signed in on ``response``."""
    accepted = await service.accept_fair_invitation(
        db(request),
        request.path_params["token"],
        user=user_of(request),
        name=data.name,
        password=data.password,
    )
    if accepted is None:
        raise InvalidLink()
    if accepted.created:
        settings = settings_of(request)
        token = await accounts.start_session(
            db(request),
            accepted.user,
            settings=settings,
            replaces=request.cookies.get(SESSION_COOKIE),
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
        )
        set_session_cookie(response, token, settings)
        rotate_csrf_cookie(response, settings)
    return accepted


async def api_accept(request: Request) -> Response:
    data = parse(InvitationAccept, await read_json(request))
    response = Response(status_code=200)
    accepted = await accept(request, data, response)
    body = json_response(
        responses.Acceptance(
            fair=accepted.fair.slug,
            role=accepted.invitation.role,
            created=accepted.created,
            user=account_responses.User.of(accepted.user),
        )
    )
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            body.raw_headers.append((name, value))
    return body


API = [
    Endpoint(
        "POST",
        "/api/fairs/{slug}/invitations",
        api_invite,
        "Invite an exhibitor or buyer to a fair by e-mail; again: re-sent (organizer)",
        responses.Invited,
        status=201,
        body=InvitationCreate,
        errors=(401, 403, 404, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "GET",
        "/api/fairs/{slug}/invitations",
        api_list,
        "A fair's invitations and their status (organizer)",
        responses.Invitations,
        errors=(401, 403, 404),
    ),
    Endpoint(
        "DELETE",
        "/api/fairs/{slug}/invitations/{id}",
        api_revoke,
        "Revoke a pending invitation: its link stops working (organizer)",
        status=204,
        errors=(401, 403, 404, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/invitations/import",
        api_import,
        "Invite from a CSV or XLSX list (multipart: file, fair, dry_run; header X-CSRF-Token): "
        "a preview, or every row or none (organizer)",
        responses.ImportResult,
        form=InvitationImport,
        also={201: "imported"},
        errors=(401, 403, 404),
        scope=Scope.BOOTHS,
    ),
]
