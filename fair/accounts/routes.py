"""Account endpoints: JSON under /api/auth and the register / sign-in pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, i18n, ratelimit
from fair.accounts import responses, service
from fair.accounts.models import Role, User
from fair.accounts.profile_routes import account_context
from fair.accounts.schemas import (
    LocaleChoice,
    Login,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    Registration,
    VerifyEmail,
)
from fair.accounts.zones import COMMON_TIMEZONES
from fair.api import Endpoint
from fair.errors import DomainError, ValidationFailed
from fair.schemas import parse
from fair.web import (
    LANG_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    cookie_flags,
    db,
    json_response,
    page,
    read_form,
    read_json,
    redirect,
    rotate_csrf_cookie,
    safe_next,
    set_session_cookie,
    settings_of,
    user_of,
)


async def _authenticate(request: Request, data: Login) -> User:
    return await service.authenticate(
        db(request),
        email=data.email,
        password=data.password,
        address=client_address(request),
        settings=settings_of(request),
    )


async def _sign_in(request: Request, user: User, response: Response) -> None:
    settings = settings_of(request)
    token = await service.start_session(
        db(request),
        user,
        settings=settings,
        replaces=request.cookies.get(SESSION_COOKIE),
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
    )
    set_session_cookie(response, token, settings)
    rotate_csrf_cookie(response, settings)


async def _register(request: Request, data: Registration) -> User:
    """A new account, at most ``registrations_per_address`` from one client address in the
    abuse window (429 with Retry-After): accounts cost nothing, so each one a booking cap
    counts per would otherwise be free to multiply."""
    settings, address = settings_of(request), client_address(request)
    await ratelimit.count_act(
        db(request),
        "register",
        address,
        limit=settings.registrations_per_address,
        window=timedelta(minutes=settings.abuse_window_minutes),
        now=clock.now(),
    )
    return await service.register(db(request), data, settings=settings, address=address)


async def api_register(request: Request) -> Response:
    data = parse(Registration, await read_json(request))
    user = await _register(request, data)
    response = json_response(responses.User.of(user), 201)
    await _sign_in(request, user, response)
    return response


async def api_login(request: Request) -> Response:
    user = await _authenticate(request, parse(Login, await read_json(request)))
    response = json_response(responses.User.of(user))
    await _sign_in(request, user, response)
    return response


async def api_logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.end_session(db(request), token)
    response = Response(status_code=204)
    clear_session_cookie(response, settings_of(request))
    rotate_csrf_cookie(response, settings_of(request))
    return response


async def api_me(request: Request) -> Response:
    return json_response(responses.User.of(service.require_user(user_of(request))))


def _form_values(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, "")) for name in names}


REGISTER_FIELDS = ("email", "password", "name", "role", "company", "country", "timezone", "locale")


def _register_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "countries": i18n.all_territories(),
        "timezones": COMMON_TIMEZONES,
    }


async def register_page(request: Request) -> Response:
    if request.method == "GET":
        values = {"role": "buyer", "locale": i18n.current_language(), "timezone": ""}
        return page(request, "accounts/register.html", _register_context(values, {}))
    form = await read_form(request)
    values = _form_values(form, REGISTER_FIELDS)
    try:
        data = parse(Registration, values)
        user = await _register(request, data)
    except ValidationFailed as exc:
        errors = {k: i18n.gettext(v) for k, v in exc.errors.items()}
        values["password"] = ""
        return page(request, "accounts/register.html", _register_context(values, errors), 422)
    except DomainError as exc:
        errors = {exc.field or "form": exc.translated()}
        values["password"] = ""
        return page(
            request, "accounts/register.html", _register_context(values, errors), exc.status
        )
    # A new buyer is asked first what they look for (a step they may skip): the
    # recommendations and the exhibitors' invitations come from it.
    response = redirect("/my/needs?welcome=1" if user.role == Role.BUYER else "/?welcome=1")
    await _sign_in(request, user, response)
    return response


async def login_page(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return page(request, "accounts/login.html", {"values": {}, "errors": {}, "next": next_url})
    form = await read_form(request)
    values = _form_values(form, ("email", "password"))
    next_url = safe_next(str(form.get("next", "")))
    try:
        user = await _authenticate(request, parse(Login, values))
    except DomainError as exc:
        if exc.persist_changes:
            request.state.persist_changes = True
        errors = {"form": exc.translated()}
        context = {"values": {"email": values["email"]}, "errors": errors, "next": next_url}
        answer = page(request, "accounts/login.html", context, exc.status)
        answer.headers.update(exc.headers())
        return answer
    response = redirect(next_url)
    await _sign_in(request, user, response)
    return response


async def logout_page(request: Request) -> Response:
    await read_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.end_session(db(request), token)
    response = redirect("/")
    clear_session_cookie(response, settings_of(request))
    rotate_csrf_cookie(response, settings_of(request))
    return response


async def choose_language(request: Request) -> Response:
    """The language switcher: remembered in a cookie, and on the account when signed in."""
    form = await read_form(request)
    choice = parse(LocaleChoice, {"locale": str(form.get("locale", ""))})
    user = user_of(request)
    if user is not None:
        await service.set_locale(db(request), user, choice.locale)
    response = redirect(safe_next(str(form.get("next", ""))))
    response.set_cookie(
        LANG_COOKIE, choice.locale, max_age=365 * 86400, **cookie_flags(settings_of(request))
    )
    return response


# E-mail verification, passwords and signed-in devices: the API -----------------------------


async def api_verify(request: Request) -> Response:
    data = parse(VerifyEmail, await read_json(request))
    return json_response(responses.User.of(await service.verify_email(db(request), data.token)))


async def api_verify_resend(request: Request) -> Response:
    await service.resend_verification(
        db(request),
        user_of(request),
        settings=settings_of(request),
        address=client_address(request),
    )
    return Response(status_code=202)


async def api_password_reset(request: Request) -> Response:
    data = parse(PasswordResetRequest, await read_json(request))
    await service.request_password_reset(
        db(request), str(data.email), settings=settings_of(request), address=client_address(request)
    )
    return Response(status_code=202)


async def api_password_reset_confirm(request: Request) -> Response:
    data = parse(PasswordResetConfirm, await read_json(request))
    await service.reset_password(
        db(request), data.token, data.password, keep=request.cookies.get(SESSION_COOKIE)
    )
    return Response(status_code=204)


async def _change_password(request: Request, data: PasswordChange) -> None:
    await service.change_password(
        db(request),
        user_of(request),
        current_password=data.current_password,
        new_password=data.new_password,
        keep=request.cookies.get(SESSION_COOKIE),
        address=client_address(request),
        settings=settings_of(request),
    )


async def api_password(request: Request) -> Response:
    await _change_password(request, parse(PasswordChange, await read_json(request)))
    return Response(status_code=204)


async def _devices(request: Request) -> list[responses.SignedInSession]:
    user = service.require_user(user_of(request))
    rows = await service.signed_in_devices(db(request), user, request.cookies.get(SESSION_COOKIE))
    return [responses.SignedInSession.of(row, current) for row, current in rows]


async def api_sessions(request: Request) -> Response:
    return json_response(responses.SignedInSessions(sessions=await _devices(request)))


async def _end_device(request: Request, response: Response) -> Response:
    """Sign out the path's session of the account; when it is this very browser, its
    cookies go too."""
    user = service.require_user(user_of(request))
    public_id = request.path_params["id"]
    mine = [row for row in await _devices(request) if row.current]
    await service.end_device(db(request), user, public_id)
    if mine and mine[0].id == public_id:
        clear_session_cookie(response, settings_of(request))
        rotate_csrf_cookie(response, settings_of(request))
    return response


async def api_end_session(request: Request) -> Response:
    return await _end_device(request, Response(status_code=204))


async def _end_others(request: Request) -> int:
    user = service.require_user(user_of(request))
    return await service.end_other_sessions(db(request), user, request.cookies.get(SESSION_COOKIE))


async def api_end_other_sessions(request: Request) -> Response:
    return json_response(responses.Ended(ended=await _end_others(request)))


# ... and their pages --------------------------------------------------------------------------


def _errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {k: i18n.gettext(v) for k, v in exc.errors.items()}
    return {exc.field or "form": exc.translated()}


def _refused(
    request: Request, exc: DomainError, template: str, context: dict[str, Any]
) -> Response:
    """The page again with the refusal's messages, in its status; a failed try that counts
    toward a limit is kept."""
    if exc.persist_changes:
        request.state.persist_changes = True
    answer = page(request, template, {**context, "errors": _errors_of(exc)}, exc.status)
    answer.headers.update(exc.headers())
    return answer


async def verify_page(request: Request) -> Response:
    """The mailed link: a page with a button. Nothing is confirmed on GET, which mail
    scanners fetch on their own."""
    token = request.path_params["token"]
    context: dict[str, Any] = {"token": token, "done": False, "errors": {}}
    if request.method == "GET":
        return page(request, "accounts/verify.html", context)
    await read_form(request)
    try:
        await service.verify_email(db(request), token)
    except DomainError as exc:
        return _refused(request, exc, "accounts/verify.html", context)
    return page(request, "accounts/verify.html", {**context, "done": True})


async def account_page(request: Request) -> Response:
    service.require_user(user_of(request))
    return page(request, "accounts/account.html", await account_context(request))


async def resend_page(request: Request) -> Response:
    await read_form(request)
    service.require_user(user_of(request))
    try:
        await service.resend_verification(
            db(request),
            user_of(request),
            settings=settings_of(request),
            address=client_address(request),
        )
    except DomainError as exc:
        return _refused(request, exc, "accounts/account.html", await account_context(request))
    return redirect("/account?done=sent")


async def password_page(request: Request) -> Response:
    form = await read_form(request)
    service.require_user(user_of(request))
    try:
        values = _form_values(form, ("current_password", "new_password"))
        await _change_password(request, parse(PasswordChange, values))
    except DomainError as exc:
        return _refused(request, exc, "accounts/account.html", await account_context(request))
    return redirect("/account?done=password")


async def sessions_page(request: Request) -> Response:
    context = {"sessions": await _devices(request), "ended": request.query_params.get("ended")}
    return page(request, "accounts/sessions.html", context)


async def end_session_page(request: Request) -> Response:
    await read_form(request)
    return await _end_device(request, redirect("/account/sessions"))


async def end_other_sessions_page(request: Request) -> Response:
    await read_form(request)
    return redirect(f"/account/sessions?ended={await _end_others(request)}")


async def forgot_page(request: Request) -> Response:
    """Forgot password: the same page follows whether or not the address has an account."""
    if request.method == "GET":
        return page(request, "accounts/forgot.html", {"values": {}, "errors": {}, "sent": False})
    form = await read_form(request)
    values = _form_values(form, ("email",))
    context: dict[str, Any] = {"values": values, "sent": False}
    try:
        data = parse(PasswordResetRequest, values)
        await service.request_password_reset(
            db(request),
            str(data.email),
            settings=settings_of(request),
            address=client_address(request),
        )
    except DomainError as exc:
        return _refused(request, exc, "accounts/forgot.html", context)
    return page(request, "accounts/forgot.html", {**context, "errors": {}, "sent": True}, 202)


async def reset_page(request: Request) -> Response:
    token = request.path_params["token"]
    context: dict[str, Any] = {"token": token, "errors": {}}
    if request.method == "GET":
        return page(request, "accounts/reset.html", context)
    form = await read_form(request)
    try:
        data = parse(PasswordResetConfirm, {"token": token, "password": form.get("password", "")})
        await service.reset_password(
            db(request), data.token, data.password, keep=request.cookies.get(SESSION_COOKIE)
        )
    except DomainError as exc:
        return _refused(request, exc, "accounts/reset.html", context)
    return redirect("/login?done=reset")


API = [
    Endpoint(
        "POST",
        "/api/auth/register",
        api_register,
        "Register an exhibitor or buyer",
        responses.User,
        status=201,
        body=Registration,
        errors=(409,),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/login",
        api_login,
        "Sign in",
        responses.User,
        body=Login,
        errors=(401, 429),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/logout",
        api_logout,
        "Sign out",
        status=204,
        cookie_only=True,
    ),
    Endpoint("GET", "/api/auth/me", api_me, "The signed-in user", responses.User, errors=(401,)),
    Endpoint(
        "POST",
        "/api/auth/verify",
        api_verify,
        "Confirm the account's e-mail address with the mailed link's token",
        responses.User,
        body=VerifyEmail,
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/verify/resend",
        api_verify_resend,
        "Mail a new verification link (rate-limited)",
        status=202,
        errors=(401, 409, 429),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/password-reset",
        api_password_reset,
        "Mail a password reset link; 202 whether or not the address has an account",
        status=202,
        body=PasswordResetRequest,
        errors=(429,),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/password-reset/confirm",
        api_password_reset_confirm,
        "Set a new password with the mailed link's token; every other session ends",
        status=204,
        body=PasswordResetConfirm,
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/password",
        api_password,
        "Change the password, given the current one; every other session ends",
        status=204,
        body=PasswordChange,
        errors=(401, 429),
        cookie_only=True,
    ),
    Endpoint(
        "GET",
        "/api/auth/sessions",
        api_sessions,
        "The account's signed-in devices",
        responses.SignedInSessions,
        errors=(401,),
        cookie_only=True,
    ),
    Endpoint(
        "DELETE",
        "/api/auth/sessions/{id}",
        api_end_session,
        "Sign out one of the account's devices",
        status=204,
        errors=(401, 404),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/auth/sessions/revoke-others",
        api_end_other_sessions,
        "Sign out every other device of the account",
        responses.Ended,
        errors=(401,),
        cookie_only=True,
    ),
]

routes = [
    Route("/register", register_page, methods=["GET", "POST"]),
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout_page, methods=["POST"]),
    Route("/language", choose_language, methods=["POST"]),
    Route("/verify/{token}", verify_page, methods=["GET", "POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/verify/resend", resend_page, methods=["POST"]),
    Route("/account/password", password_page, methods=["POST"]),
    Route("/account/sessions", sessions_page, methods=["GET"]),
    Route("/account/sessions/revoke-others", end_other_sessions_page, methods=["POST"]),
    Route("/account/sessions/{id}/revoke", end_session_page, methods=["POST"]),
    Route("/password-reset", forgot_page, methods=["GET", "POST"]),
    Route("/password-reset/{token}", reset_page, methods=["GET", "POST"]),
]
