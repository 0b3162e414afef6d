"""Personal API tokens: ``/api/tokens`` and the page ``/account/tokens``. Both are the
account's own keys: a cookie session only (an API token never makes or revokes tokens)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, i18n
from fair.accounts import api_tokens, responses, service
from fair.accounts.schemas import ApiTokenRequest
from fair.api import Endpoint, Scope
from fair.errors import DomainError, ValidationFailed
from fair.schemas import parse
from fair.web import db, json_response, page, read_form, read_json, redirect, user_of

# A secret in an answer: no cache, no proxy keeps it.
NO_STORE = {"Cache-Control": "no-store"}


async def _listed(request: Request) -> list[responses.ApiToken]:
    user = service.require_user(user_of(request))
    now = clock.now()
    return [responses.ApiToken.of(t, now) for t in await api_tokens.my_tokens(db(request), user)]


async def _create(request: Request, data: ApiTokenRequest) -> responses.NewApiToken:
    user = service.require_user(user_of(request))
    row, secret = await api_tokens.create_token(db(request), user, data)
    shown = responses.ApiToken.of(row, clock.now())
    return responses.NewApiToken(**shown.model_dump(), token=secret)


async def api_list(request: Request) -> Response:
    return json_response(responses.ApiTokens(tokens=await _listed(request)))


async def api_create(request: Request) -> Response:
    service.require_user(user_of(request))
    made = await _create(request, parse(ApiTokenRequest, await read_json(request)))
    return json_response(made, 201, headers=NO_STORE)


async def api_revoke(request: Request) -> Response:
    user = service.require_user(user_of(request))
    await api_tokens.revoke_token(db(request), user, request.path_params["id"])
    return Response(status_code=204)


# The page --------------------------------------------------------------------------------------


def _default_values() -> dict[str, Any]:
    last = clock.now().date() + timedelta(days=api_tokens.DEFAULT_DAYS)
    return {"name": "", "scopes": [Scope.READ.value], "expires_on": last.isoformat()}


async def _tokens_page(
    request: Request,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    made: responses.NewApiToken | None = None,
    status: int = 200,
) -> Response:
    today = clock.now().date()
    context = {
        "tokens": await _listed(request),
        "scopes": list(Scope),
        "values": values,
        "errors": errors or {},
        "made": made,
        "notice": request.query_params.get("done", ""),
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=api_tokens.MAX_DAYS - 1)).isoformat(),
        "limit": api_tokens.MAX_LIVE,
    }
    answer = page(request, "accounts/tokens.html", context, status)
    if made is not None:
        answer.headers.update(NO_STORE)
    return answer


async def tokens_page(request: Request) -> Response:
    service.require_user(user_of(request))
    if request.method == "GET":
        return await _tokens_page(request, values=_default_values())
    form = await read_form(request)
    values = {
        "name": str(form.get("name", "")),
        "scopes": [str(s) for s in form.getlist("scopes")],
        "expires_on": str(form.get("expires_on", "")),
    }
    data = {**values, "expires_on": values["expires_on"] or None}
    try:
        made = await _create(request, parse(ApiTokenRequest, data))
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            errors = {k: i18n.gettext(v) for k, v in exc.errors.items()}
        else:
            errors = {exc.field or "form": exc.translated()}
        return await _tokens_page(request, values=values, errors=errors, status=exc.status)
    # Shown on this answer only, never in a URL: no redirect after this post.
    return await _tokens_page(request, values=_default_values(), made=made)


async def revoke_page(request: Request) -> Response:
    await read_form(request)
    user = service.require_user(user_of(request))
    await api_tokens.revoke_token(db(request), user, request.path_params["id"])
    return redirect("/account/tokens?done=revoked")


API = [
    Endpoint(
        "GET",
        "/api/tokens",
        api_list,
        "The account's API tokens (never their secrets)",
        responses.ApiTokens,
        errors=(401,),
        cookie_only=True,
    ),
    Endpoint(
        "POST",
        "/api/tokens",
        api_create,
        "Make an API token: its secret is in this answer only",
        responses.NewApiToken,
        status=201,
        body=ApiTokenRequest,
        errors=(401, 409),
        cookie_only=True,
    ),
    Endpoint(
        "DELETE",
        "/api/tokens/{id}",
        api_revoke,
        "Revoke one of the account's API tokens: it stops working at once",
        status=204,
        errors=(401, 404),
        cookie_only=True,
    ),
]

routes = [
    Route("/account/tokens", tokens_page, methods=["GET", "POST"]),
    Route("/account/tokens/{id}/revoke", revoke_page, methods=["POST"]),
]
