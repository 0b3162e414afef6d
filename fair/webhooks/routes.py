"""Webhook endpoints under /api/webhooks (organizers, each their own)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint
from fair.schemas import parse
from fair.web import db, json_response, read_json, settings_of, user_of
from fair.webhooks import responses, service
from fair.webhooks.schemas import EndpointCreate


async def api_list(request: Request) -> Response:
    endpoints = await service.list_endpoints(db(request), actor=user_of(request))
    return json_response(
        responses.Endpoints(endpoints=[responses.Endpoint.of(e) for e in endpoints])
    )


async def api_create(request: Request) -> Response:
    # Role before shape: a buyer learns "not allowed", not which fields would be wrong.
    require_role(user_of(request), Role.ORGANIZER)
    data = parse(EndpointCreate, await read_json(request))
    endpoint = await service.create_endpoint(
        db(request),
        actor=user_of(request),
        url=data.url,
        events=data.events,
        settings=settings_of(request),
    )
    return json_response(responses.CreatedEndpoint.of(endpoint), 201)


async def api_delete(request: Request) -> Response:
    await service.delete_endpoint(
        db(request), actor=user_of(request), endpoint_id=request.path_params["id"]
    )
    return Response(status_code=204)


async def api_deliveries(request: Request) -> Response:
    _endpoint, deliveries = await service.list_deliveries(
        db(request), actor=user_of(request), endpoint_id=request.path_params["id"]
    )
    return json_response(
        responses.Deliveries(deliveries=[responses.Delivery.of(d) for d in deliveries])
    )


async def api_replay(request: Request) -> Response:
    delivery = await service.replay(
        db(request),
        actor=user_of(request),
        endpoint_id=request.path_params["id"],
        delivery_id=request.path_params["delivery_id"],
    )
    return json_response(responses.Delivery.of(delivery), 202)


API = [
    Endpoint(
        "GET",
        "/api/webhooks",
        api_list,
        "The organizer's webhook endpoints",
        responses.Endpoints,
        errors=(401, 403),
    ),
    Endpoint(
        "POST",
        "/api/webhooks",
        api_create,
        "Register a webhook endpoint (organizer); its signing secret is in this answer only",
        responses.CreatedEndpoint,
        status=201,
        body=EndpointCreate,
        errors=(401, 403, 409),
        # Where the programme's events go and the secret that signs them: changed only by
        # the organizer signed in, never by a token that may leak.
        cookie_only=True,
    ),
    Endpoint(
        "DELETE",
        "/api/webhooks/{id}",
        api_delete,
        "Delete a webhook endpoint and its deliveries",
        status=204,
        errors=(401, 403, 404),
        cookie_only=True,
    ),
    Endpoint(
        "GET",
        "/api/webhooks/{id}/deliveries",
        api_deliveries,
        "An endpoint's latest deliveries, newest first",
        responses.Deliveries,
        errors=(401, 403, 404),
    ),
    Endpoint(
        "POST",
        "/api/webhooks/{id}/deliveries/{delivery_id}/replay",
        api_replay,
        "Send a delivery again (same payload and webhook-id)",
        responses.Delivery,
        status=202,
        errors=(401, 403, 404),
        cookie_only=True,
    ),
]
