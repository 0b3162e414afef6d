"""Invitation pages: the invitee's page behind the mailed link (nothing changes on GET,
which mail scanners fetch), and the organizers' page of a fair's invitations (invite one,
upload a list with a preview and its rows' problems, revoke, send again)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, i18n
from fair.accounts.errors import InvalidLink
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.errors import DomainError, ValidationFailed
from fair.invitations import routes, service
from fair.invitations.jobs import role_label
from fair.invitations.schemas import InvitationAccept, InvitationCreate
from fair.schemas import parse
from fair.web import db, page, read_form, redirect, settings_of, user_of

STATUS_LABELS = {
    "pending": i18n.lazy("Waiting"),
    "accepted": i18n.lazy("Accepted"),
    "expired": i18n.lazy("Expired"),
    "revoked": i18n.lazy("Revoked"),
}
ACTION_LABELS = {
    "invite": i18n.lazy("Invite"),
    "resend": i18n.lazy("Send again"),
    "admit": i18n.lazy("Has an account: added at once"),
    "accepted_already": i18n.lazy("Accepted already: nothing to do"),
}


def _errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {k: i18n.gettext(v) for k, v in exc.errors.items()}
    return {exc.field or "form": exc.translated()}


async def accept_page(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request) if request.method == "POST" else None
    try:
        invitation, fair = await service.describe(db(request), token)
    except InvalidLink as exc:
        context = {"invitation": None, "fair": None, "errors": _errors_of(exc), "values": {}}
        return page(request, "invitations/accept.html", context, exc.status)
    context: dict[str, Any] = {
        "token": token,
        "invitation": invitation,
        "fair": fair,
        "role": role_label(invitation.role),
        "errors": {},
        "values": {"name": invitation.name},
    }
    if form is None:
        return page(request, "invitations/accept.html", context)
    values = {"name": str(form.get("name", "")), "password": str(form.get("password", ""))}
    signed_in = user_of(request) is not None
    try:
        data = parse(InvitationAccept, {} if signed_in else values)
        response = redirect(f"/fairs/{fair.slug}")
        await routes.accept(request, data, response)
    except DomainError as exc:
        if exc.persist_changes:
            request.state.persist_changes = True
        context = {**context, "errors": _errors_of(exc), "values": {"name": values["name"]}}
        return page(request, "invitations/accept.html", context, exc.status)
    return response


async def _fair_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    preview: Any = None,
    status: int = 200,
) -> Response:
    fair, rows = await service.list_invitations(
        db(request), actor=user_of(request), slug=request.path_params["slug"]
    )
    context = {
        "fair": fair,
        "invitations": rows,
        "now": clock.now(),
        "status_labels": {k: i18n.gettext(v) for k, v in STATUS_LABELS.items()},
        "action_labels": {k: i18n.gettext(v) for k, v in ACTION_LABELS.items()},
        "role_label": role_label,
        "values": values or {"role": "buyer", "locale": ""},
        "errors": errors or {},
        "preview": preview,
        "limits": settings_of(request),
    }
    return page(request, "invitations/fair.html", context, status)


async def fair_page(request: Request) -> Response:
    require_role(user_of(request), Role.ORGANIZER)
    if request.method == "GET":
        return await _fair_page(request)
    form = await read_form(request)
    values = {name: str(form.get(name, "")) for name in ("email", "role", "name", "locale")}
    try:
        body = {**values, "locale": values["locale"] or None}
        data = parse(InvitationCreate, body)
        await service.invite(
            db(request),
            actor=user_of(request),
            slug=request.path_params["slug"],
            candidate=routes.candidate_of(data),
            settings=settings_of(request),
        )
    except DomainError as exc:
        return await _fair_page(request, values=values, errors=_errors_of(exc), status=exc.status)
    return redirect(f"{request.url.path}?done=invited")


async def import_page(request: Request) -> Response:
    """The list upload: a preview table with each row's problems, or the import itself."""
    upload, dry_run = await routes.receive_list(request)
    upload.fields["fair"] = request.path_params["slug"]
    try:
        plan = await routes.import_list(request, upload, dry_run)
    except ValidationFailed as exc:
        # Every row or none: the problems are shown, and nothing was written.
        preview = {"dry_run": False, "rows": [], "problems": exc.errors}
        return await _fair_page(request, preview=preview, status=exc.status)
    except DomainError as exc:
        return await _fair_page(request, errors=_errors_of(exc), status=exc.status)
    result = routes.import_result(plan, dry_run)
    problems = {f"{p.row}.{p.field}": p.message for p in result.errors}
    preview = {"dry_run": dry_run, "rows": result.rows, "problems": problems, "result": result}
    return await _fair_page(request, preview=preview, status=200 if dry_run else 201)


async def revoke_page(request: Request) -> Response:
    await read_form(request)
    await service.revoke(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        invitation_id=request.path_params["id"],
    )
    return redirect(f"/fairs/{request.path_params['slug']}/invitations")


async def resend_page(request: Request) -> Response:
    await read_form(request)
    await service.resend(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        invitation_id=request.path_params["id"],
        settings=settings_of(request),
    )
    return redirect(f"/fairs/{request.path_params['slug']}/invitations?done=sent")


PAGES = [
    Route("/fairs/{slug}/invitations", fair_page, methods=["GET", "POST"]),
    Route("/fairs/{slug}/invitations/import", import_page, methods=["POST"]),
    Route("/fairs/{slug}/invitations/{id}/revoke", revoke_page, methods=["POST"]),
    Route("/fairs/{slug}/invitations/{id}/resend", resend_page, methods=["POST"]),
]
