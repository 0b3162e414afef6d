"""Companies over HTTP: ``/api/companies/...`` (members, invitations, leaving), accepting
an invitation (``/api/invitations/{token}/accept`` and the page ``/invitations/{token}``).
Who may do what is decided in ``fair.accounts.companies``.

An invitation link is either a colleague's (to a company, here) or an organizer's (to a
fair, ``fair.invitations``); both are mailed as ``/invitations/{token}``, so one path takes
both: a token that is no company invitation is handed to the fair invitations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, i18n
from fair.accounts import companies, responses, service
from fair.accounts.company_invitations import accept_company_invitation, find_invitation
from fair.accounts.errors import InvalidLink
from fair.accounts.models import CompanyRole
from fair.accounts.routes import _sign_in
from fair.accounts.schemas import CompanyInvitationRequest, InvitationAcceptance
from fair.api import Endpoint, Param, Scope
from fair.errors import DomainError, ValidationFailed
from fair.invitations import pages as fair_invitation_pages
from fair.invitations import routes as fair_invitation_routes
from fair.schemas import parse
from fair.web import (
    db,
    json_response,
    page,
    read_form,
    read_json,
    redirect,
    settings_of,
    user_of,
)


async def _members(request: Request, company_id: str) -> responses.CompanyMembers:
    actor = user_of(request)
    rows = await companies.list_members(db(request), company_id, actor=actor)
    assert actor is not None and actor.membership is not None
    return responses.CompanyMembers.of(actor.membership, rows)


async def api_mine(request: Request) -> Response:
    user = service.require_user(user_of(request))
    if user.membership is None:
        raise companies.CompanyNotFound()
    return json_response(await _members(request, user.membership.company_id))


async def api_members(request: Request) -> Response:
    service.require_user(user_of(request))
    return json_response(await _members(request, request.path_params["id"]))


async def api_invite(request: Request) -> Response:
    actor = service.require_user(user_of(request))
    data = parse(CompanyInvitationRequest, await read_json(request))
    row = await companies.invite(
        db(request),
        request.path_params["id"],
        actor=actor,
        email=str(data.email),
        role=CompanyRole(data.role),
        secret=settings_of(request).secret_key,
    )
    shown = responses.CompanyInvitation(
        id=row.id, email=row.email, role=row.role, expires_at=row.expires_at
    )
    return json_response(shown, 201)


async def api_remove(request: Request) -> Response:
    actor = service.require_user(user_of(request))
    await companies.remove_member(
        db(request), request.path_params["id"], request.path_params["user_id"], actor=actor
    )
    return Response(status_code=204)


async def _accept(request: Request, name: str | None, password: str | None) -> Any:
    """Accept the path's company invitation as whoever is signed in, or as a new person; a
    token that is no invitation at all is an invalid link."""
    accepted = await accept_company_invitation(
        db(request),
        request.path_params["token"],
        user=user_of(request),
        name=name,
        password=password,
    )
    if accepted is None:
        raise InvalidLink()
    return accepted


async def api_accept(request: Request) -> Response:
    if await find_invitation(db(request), request.path_params["token"]) is None:
        return await fair_invitation_routes.api_accept(request)
    data = parse(InvitationAcceptance, await read_json(request))
    accepted = await _accept(request, data.name, data.password)
    user = accepted.user
    assert user.membership is not None
    answer = responses.AcceptedInvitation(
        user=responses.User.of(user),
        company=responses.MyCompany.of(user.membership),
        created=accepted.created,
    )
    response = json_response(answer, 201 if accepted.created else 200)
    if accepted.created:
        await _sign_in(request, user, response)
    return response


def _listed(row: companies.Listed) -> responses.ListedCompany:
    company = row.company
    return responses.ListedCompany(
        id=company.id,
        name=company.name,
        kind=company.kind,
        country=company.country,
        confirmed=company.confirmed,
        confirmed_at=company.confirmed_at,
        members=row.members,
        clashes_with=list(row.clashes_with),
    )


async def _list(request: Request) -> list[companies.Listed]:
    return await companies.list_companies(
        db(request),
        actor=user_of(request),
        show=request.query_params.get("show", "all"),
        kind=request.query_params.get("kind"),
    )


async def api_list(request: Request) -> Response:
    rows = await _list(request)
    return json_response(responses.Companies(items=[_listed(row) for row in rows]))


async def api_confirm(request: Request) -> Response:
    company = await companies.confirm_company(
        db(request), request.path_params["id"], actor=user_of(request)
    )
    shown = responses.Company(
        id=company.id,
        name=company.name,
        kind=company.kind,
        country=company.country,
        confirmed=company.confirmed,
        confirmed_at=company.confirmed_at,
    )
    return json_response(shown)


# The page ---------------------------------------------------------------------------------


async def invitation_page(request: Request) -> Response:
    """The link's landing: who invites whom to which company, and the form to accept (a
    name and password for a new person; one button when signed in)."""
    session, token = db(request), request.path_params["token"]
    row = await find_invitation(session, token)
    if row is None:
        return await fair_invitation_pages.accept_page(request)
    form = await read_form(request) if request.method == "POST" else None  # CSRF first
    invalid = row is None or row.used_at is not None or row.expires_at <= clock.now()
    errors: dict[str, str] = {}
    values = {"name": ""}
    status = 200
    if not invalid and form is not None:
        values = {"name": str(form.get("name", ""))}
        user = user_of(request)
        try:
            accepted = await _accept(
                request,
                None if user else values["name"],
                None if user else str(form.get("password", "")),
            )
        except DomainError as exc:
            if isinstance(exc, ValidationFailed):
                errors = {k: i18n.gettext(v) for k, v in exc.errors.items()}
            else:
                errors = {exc.field or "form": exc.translated()}
            status = exc.status
        else:
            response = redirect("/account?done=joined")
            if accepted.created:
                await _sign_in(request, accepted.user, response)
            return response
    context: dict[str, Any] = {
        "token": token,
        "invalid": invalid,
        "errors": errors,
        "values": values,
        "email": row.email if row else "",
        "company": None,
        "inviter": None,
    }
    if row is not None and not invalid:
        assert row is not None
        context["company"], context["inviter"] = await companies.invitation_parties(session, row)
    return page(request, "accounts/invitation.html", context, 404 if invalid else status)


async def companies_page(request: Request) -> Response:
    """The organizers' list of companies: confirm who each is; a name two companies claim is
    marked, so the real one is confirmed and the other is not."""
    rows = await _list(request)
    context = {
        "rows": rows,
        "show": request.query_params.get("show", "all"),
        "kind": request.query_params.get("kind", ""),
        "lists": companies.LISTS,
        "done": request.query_params.get("done") == "confirmed",
    }
    return page(request, "accounts/companies.html", context)


async def confirm_page(request: Request) -> Response:
    form = await read_form(request)
    await companies.confirm_company(db(request), request.path_params["id"], actor=user_of(request))
    show = str(form.get("show", "all"))
    back = show if show in companies.LISTS else "all"
    return redirect(f"/organizer/companies?show={back}&done=confirmed")


async def remove_page(request: Request) -> Response:
    """The account page's "remove" and "leave" buttons."""
    await read_form(request)
    actor = service.require_user(user_of(request))
    await companies.remove_member(
        db(request), request.path_params["id"], request.path_params["user_id"], actor=actor
    )
    return redirect("/account?done=member-removed#company")


async def invite_page(request: Request) -> Response:
    """The account page's invitation form (the owner's)."""
    form = await read_form(request)
    actor = service.require_user(user_of(request))
    data = {"email": str(form.get("email", "")), "role": str(form.get("role", "member"))}
    await companies.invite(
        db(request),
        request.path_params["id"],
        actor=actor,
        email=str(parse(CompanyInvitationRequest, data).email),
        role=CompanyRole(data["role"]),
        secret=settings_of(request).secret_key,
    )
    return redirect("/account?done=invited#company")


API = [
    Endpoint(
        "GET",
        "/api/companies",
        api_list,
        "The companies, those waiting for confirmation first, each with its member count and "
        "the companies whose name folds to the same (organizers, staff)",
        responses.Companies,
        query=(
            Param(
                "show",
                {"type": "string", "enum": list(companies.LISTS)},
                "all, pending, confirmed or clashing (a name two companies claim)",
            ),
            Param("kind", {"type": "string", "enum": ["exhibitor", "buyer"]}, "one kind only"),
        ),
        errors=(401, 403, 422),
    ),
    Endpoint(
        "GET",
        "/api/companies/mine",
        api_mine,
        "The signed-in person's company, their role in it, and its members",
        responses.CompanyMembers,
        errors=(401, 404),
    ),
    Endpoint(
        "GET",
        "/api/companies/{id}/members",
        api_members,
        "A company's members and their roles (for its members; 404 for anyone else)",
        responses.CompanyMembers,
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        "/api/companies/{id}/invitations",
        api_invite,
        "Invite a colleague by e-mail into the company (its owners): a single-use link",
        responses.CompanyInvitation,
        status=201,
        body=CompanyInvitationRequest,
        errors=(401, 403, 404, 409, 429),
        cookie_only=True,
    ),
    Endpoint(
        "DELETE",
        "/api/companies/{id}/members/{user_id}",
        api_remove,
        "Remove a member (an owner), or leave (oneself); never the last owner",
        status=204,
        errors=(401, 403, 404, 409),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/companies/{id}/confirm",
        api_confirm,
        "Confirm who a company is (organizer): its members see it marked confirmed",
        responses.Company,
        errors=(401, 403, 404),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/invitations/{token}/accept",
        api_accept,
        "Accept an invitation to a company (or, with a fair invitation's link, to a fair): "
        "signed in, {} joins; a new person sends name and password",
        responses.AcceptedInvitation,
        also={201: "A new account was made and signed in"},
        body=InvitationAcceptance,
        errors=(400, 403, 409),
        cookie_only=True,
    ),
]

routes = [
    Route("/organizer/companies", companies_page, methods=["GET"]),
    Route("/organizer/companies/{id}/confirm", confirm_page, methods=["POST"]),
    Route("/invitations/{token}", invitation_page, methods=["GET", "POST"]),
    Route("/account/company/{id}/invitations", invite_page, methods=["POST"]),
    Route("/account/company/{id}/members/{user_id}/remove", remove_page, methods=["POST"]),
]
