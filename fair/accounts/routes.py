"""Account endpoints: JSON under /api/auth and the register / sign-in pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, i18n, ratelimit
from fair.accounts import responses, service
from fair.accounts.models import User
from fair.accounts.schemas import LocaleChoice, Login, Registration
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
        db(request), user, settings=settings, replaces=request.cookies.get(SESSION_COOKIE)
    )
    set_session_cookie(response, token, settings)
    rotate_csrf_cookie(response, settings)


async def _count_registration(request: Request) -> None:
    """At most ``registrations_per_address`` new accounts from one client address in the
    abuse window (429 with Retry-After): accounts cost nothing, so each one a booking cap
    counts per would otherwise be free to multiply."""
    settings = settings_of(request)
    await ratelimit.count_act(
        db(request),
        "register",
        client_address(request),
        limit=settings.registrations_per_address,
        window=timedelta(minutes=settings.abuse_window_minutes),
        now=clock.now(),
    )


async def api_register(request: Request) -> Response:
    data = parse(Registration, await read_json(request))
    await _count_registration(request)
    user = await service.register(db(request), data)
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


# Offered first in the form; any IANA name typed in is accepted too.
COMMON_TIMEZONES = (
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Ho_Chi_Minh",
    "Asia/Taipei",
    "Asia/Bangkok",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Jakarta",
    "Asia/Manila",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)


async def register_page(request: Request) -> Response:
    if request.method == "GET":
        values = {"role": "buyer", "locale": i18n.current_language(), "timezone": ""}
        return page(request, "accounts/register.html", _register_context(values, {}))
    form = await read_form(request)
    values = _form_values(form, REGISTER_FIELDS)
    try:
        data = parse(Registration, values)
        await _count_registration(request)
        user = await service.register(db(request), data)
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
    response = redirect("/?welcome=1")
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
    ),
    Endpoint(
        "POST",
        "/api/auth/login",
        api_login,
        "Sign in",
        responses.User,
        body=Login,
        errors=(401, 429),
    ),
    Endpoint("POST", "/api/auth/logout", api_logout, "Sign out", status=204),
    Endpoint("GET", "/api/auth/me", api_me, "The signed-in user", responses.User, errors=(401,)),
]

routes = [
    Route("/register", register_page, methods=["GET", "POST"]),
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout_page, methods=["POST"]),
    Route("/language", choose_language, methods=["POST"]),
]
