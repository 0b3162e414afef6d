"""The organizers' webhooks pages: their endpoints, adding one (its secret shown once),
deleting one, an endpoint's deliveries with a replay button."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import i18n
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.errors import DomainError, ValidationFailed
from fair.schemas import parse
from fair.web import db, page, read_form, redirect, settings_of, user_of
from fair.webhooks import service
from fair.webhooks.events import EVENTS
from fair.webhooks.models import WebhookEndpoint
from fair.webhooks.schemas import EndpointCreate

BASE = "/organizer/webhooks"


async def _list_page(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: WebhookEndpoint | None = None,
    status: int = 200,
) -> Response:
    endpoints = await service.list_endpoints(db(request), actor=user_of(request))
    context = {
        "endpoints": endpoints,
        "events": EVENTS,
        "values": values or {"url": "", "events": []},
        "errors": errors or {},
        "created": created,
    }
    return page(request, "webhooks/endpoints.html", context, status)


async def endpoints_page(request: Request) -> Response:
    require_role(user_of(request), Role.ORGANIZER)
    if request.method == "GET":
        return await _list_page(request)
    form = await read_form(request)
    values = {"url": str(form.get("url", "")), "events": [str(e) for e in form.getlist("events")]}
    try:
        data = parse(EndpointCreate, values)
        endpoint = await service.create_endpoint(
            db(request),
            actor=user_of(request),
            url=data.url,
            events=data.events,
            settings=settings_of(request),
        )
    except ValidationFailed as exc:
        errors = {k: i18n.gettext(v) for k, v in exc.errors.items()}
        return await _list_page(request, values=values, errors=errors, status=422)
    except DomainError as exc:
        errors = {exc.field or "form": exc.translated()}
        return await _list_page(request, values=values, errors=errors, status=exc.status)
    # The secret is on this answer only: no redirect, whose page could not show it again.
    return await _list_page(request, created=endpoint, status=201)


async def endpoint_page(request: Request) -> Response:
    endpoint, deliveries = await service.list_deliveries(
        db(request), actor=user_of(request), endpoint_id=request.path_params["id"]
    )
    context = {"endpoint": endpoint, "deliveries": deliveries, "events": EVENTS}
    return page(request, "webhooks/deliveries.html", context)


async def delete_page(request: Request) -> Response:
    await read_form(request)
    await service.delete_endpoint(
        db(request), actor=user_of(request), endpoint_id=request.path_params["id"]
    )
    return redirect(BASE)


async def replay_page(request: Request) -> Response:
    await read_form(request)
    endpoint_id = request.path_params["id"]
    await service.replay(
        db(request),
        actor=user_of(request),
        endpoint_id=endpoint_id,
        delivery_id=request.path_params["delivery_id"],
    )
    return redirect(f"{BASE}/{endpoint_id}")


routes = [
    Route(BASE, endpoints_page, methods=["GET", "POST"]),
    Route(BASE + "/{id}", endpoint_page, methods=["GET"]),
    Route(BASE + "/{id}/delete", delete_page, methods=["POST"]),
    Route(BASE + "/{id}/deliveries/{delivery_id}/replay", replay_page, methods=["POST"]),
]
