"""The profile: ``/api/me`` and the account page's profile and e-mail forms, and the page
the e-mail change link opens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import i18n
from fair.accounts import companies, profile, responses, zones
from fair.accounts.models import User
from fair.accounts.schemas import EmailChange, EmailChangeConfirm, ProfileUpdate
from fair.accounts.service import require_user
from fair.api import Endpoint
from fair.errors import DomainError, ValidationFailed
from fair.schemas import parse
from fair.web import (
    LANG_COOKIE,
    SESSION_COOKIE,
    client_address,
    cookie_flags,
    db,
    json_response,
    page,
    read_form,
    read_json,
    redirect,
    settings_of,
    user_of,
)

# The profile form's fields, as its inputs name them.
PROFILE_FIELDS = ("name", "position", "country", "timezone", "locale", "day_start", "day_end")


# The API ---------------------------------------------------------------------------------------


async def api_me(request: Request) -> Response:
    return json_response(responses.User.of(require_user(user_of(request))))


async def api_update_me(request: Request) -> Response:
    data = parse(ProfileUpdate, await read_json(request))
    user = await profile.update_profile(db(request), user_of(request), data)
    return json_response(responses.User.of(user))


async def _ask_email_change(request: Request, data: EmailChange) -> None:
    await profile.request_email_change(
        db(request),
        user_of(request),
        email=str(data.email),
        password=data.password,
        address=client_address(request),
        settings=settings_of(request),
    )


async def api_change_email(request: Request) -> Response:
    await _ask_email_change(request, parse(EmailChange, await read_json(request)))
    return Response(status_code=202)


async def api_confirm_email(request: Request) -> Response:
    data = parse(EmailChangeConfirm, await read_json(request))
    user = await profile.confirm_email_change(
        db(request), user_of(request), data.token, keep=request.cookies.get(SESSION_COOKIE)
    )
    return json_response(responses.User.of(user))


# The account page ------------------------------------------------------------------------------


def profile_values(user: User) -> dict[str, Any]:
    """The profile form's fields as the account holds them."""
    return {
        "name": user.name,
        "position": user.position,
        "country": user.country,
        "timezone": user.timezone,
        "locale": user.locale,
        "languages": list(user.languages or []),
        "day_start": f"{user.day_start:%H:%M}",
        "day_end": f"{user.day_end:%H:%M}",
    }


async def account_context(
    request: Request, *, values: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """What the account page shows: its notice, the profile form (``values`` as sent back
    when refused, else the account's), the choices it offers and a pending e-mail change."""
    user = require_user(user_of(request))
    membership = user.membership
    return {
        "membership": membership,
        "company_members": (
            await companies.list_members(db(request), membership.company_id, actor=user)
            if membership is not None
            else []
        ),
        "errors": {},
        "notice": request.query_params.get("done", ""),
        "values": values if values is not None else profile_values(user),
        "countries": i18n.all_territories(),
        "timezone_groups": zones.timezone_groups(),
        "timezone_offered": zones.offered,
        "pending_email": await profile.pending_email(db(request), user),
        "export_hours": settings_of(request).data_export_hours,
        **extra,
    }


def _form_error_key(name: str) -> str:
    """A field of ``ProfileUpdate`` as the form names it: ``working_hours.start`` is the
    ``day_start`` input, ``languages.2`` the languages' group."""
    if name.startswith("working_hours"):
        return "day_start" if name.endswith(".start") else "day_end"
    return name.split(".")[0]


def errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        errors: dict[str, str] = {}
        for name, text in exc.errors.items():
            errors.setdefault(_form_error_key(name), i18n.gettext(text))
        return errors
    return {exc.field or "form": exc.translated()}


async def account_refused(
    request: Request, exc: DomainError, values: dict[str, Any] | None = None, **extra: Any
) -> Response:
    """The account page again with the refusal's messages by their fields, in its status; a
    failed try that counts toward a limit is kept."""
    if exc.persist_changes:
        request.state.persist_changes = True
    context = await account_context(request, values=values, errors=errors_of(exc), **extra)
    answer = page(request, "accounts/account.html", context, exc.status)
    answer.headers.update(exc.headers())
    return answer


def _profile_body(form: Any, user: User) -> dict[str, Any]:
    """The profile form as a PATCH body: every field, an empty country left out while the
    account has none (organizers made by the CLI)."""
    body: dict[str, Any] = {name: str(form.get(name, "")) for name in PROFILE_FIELDS}
    body["languages"] = [str(code) for code in form.getlist("languages")]
    body["working_hours"] = {"start": body.pop("day_start"), "end": body.pop("day_end")}
    if not body["country"] and not user.country:
        del body["country"]
    return body


async def profile_page(request: Request) -> Response:
    """The profile form of the account page: saved, or shown again with each field's
    problem in the person's language."""
    form = await read_form(request)
    user = require_user(user_of(request))
    values = {name: str(form.get(name, "")) for name in PROFILE_FIELDS}
    values["languages"] = [str(code) for code in form.getlist("languages")]
    try:
        data = parse(ProfileUpdate, _profile_body(form, user))
        await profile.update_profile(db(request), user, data)
    except DomainError as exc:
        return await account_refused(request, exc, values)
    response = redirect("/account?done=profile")
    # The language follows the account from the next page on; the switcher's cookie too,
    # so that it stays after signing out.
    response.set_cookie(
        LANG_COOKIE, user.locale, max_age=365 * 86400, **cookie_flags(settings_of(request))
    )
    return response


async def email_page(request: Request) -> Response:
    """The account page's "change e-mail address" form."""
    form = await read_form(request)
    require_user(user_of(request))
    email = str(form.get("email", ""))
    try:
        data = parse(EmailChange, {"email": email, "password": str(form.get("password", ""))})
        await _ask_email_change(request, data)
    except DomainError as exc:
        return await account_refused(request, exc, email_values={"email": email})
    return redirect("/account?done=email-sent")


async def confirm_email_page(request: Request) -> Response:
    """The mailed link: a page with a button for the signed-in account, or a way to sign in
    first. Nothing changes on GET, which mail scanners fetch on their own."""
    token = request.path_params["token"]
    context: dict[str, Any] = {"token": token, "errors": {}}
    if request.method == "GET":
        return page(request, "accounts/email_change.html", context)
    await read_form(request)
    try:
        await profile.confirm_email_change(
            db(request), user_of(request), token, keep=request.cookies.get(SESSION_COOKIE)
        )
    except DomainError as exc:
        answer = page(
            request,
            "accounts/email_change.html",
            {**context, "errors": {"form": exc.translated()}},
            exc.status,
        )
        answer.headers.update(exc.headers())
        return answer
    return redirect("/account?done=email")


API = [
    Endpoint(
        "GET", "/api/me", api_me, "The signed-in account's profile", responses.User, errors=(401,)
    ),
    Endpoint(
        "PATCH",
        "/api/me",
        api_update_me,
        "Change the profile: only the fields sent change",
        responses.User,
        body=ProfileUpdate,
        errors=(401,),
        # The account's own keys: a token reads the profile but never changes it.
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/me/email",
        api_change_email,
        "Ask to move the account to another e-mail address, given the password: a link goes "
        "to the new address, a notice to the old one; 202 whether or not the address is free",
        status=202,
        body=EmailChange,
        errors=(401, 429),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/me/email/confirm",
        api_confirm_email,
        "Confirm the new e-mail address with the mailed link's token; every other session ends",
        responses.User,
        body=EmailChangeConfirm,
        errors=(401, 409),
        cookie_only=True,
    ),
]

routes = [
    Route("/account/profile", profile_page, methods=["POST"]),
    Route("/account/email", email_page, methods=["POST"]),
    Route("/account/email/{token}", confirm_email_page, methods=["GET", "POST"]),
]
