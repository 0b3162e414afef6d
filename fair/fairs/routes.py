"""Fair endpoints: JSON under /api/fairs, the home page and a fair's page."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint
from fair.fairs import responses, service
from fair.fairs.models import Fair
from fair.fairs.phase import PHASE_LABELS, Phase
from fair.fairs.schemas import FairCreate
from fair.i18n import gettext
from fair.schemas import parse
from fair.web import db, json_response, page, read_json, user_of


async def api_list(request: Request) -> Response:
    fairs = await service.list_fairs(db(request), viewer=user_of(request))
    now = clock.now()
    return json_response(responses.Fairs(fairs=[responses.Fair.of(f, now) for f in fairs]))


async def api_get(request: Request) -> Response:
    fair = await service.get_fair(db(request), request.path_params["slug"], viewer=user_of(request))
    return json_response(responses.Fair.of(fair))


async def api_create(request: Request) -> Response:
    # Role before shape: a buyer learns "not allowed", not which fields would be wrong.
    require_role(user_of(request), Role.ORGANIZER)
    data = parse(FairCreate, await read_json(request))
    fair = await service.create_fair(db(request), actor=user_of(request), data=data)
    return json_response(responses.Fair.of(fair), 201)


async def api_publish(request: Request) -> Response:
    fair = await service.publish_fair(
        db(request), actor=user_of(request), slug=request.path_params["slug"]
    )
    return json_response(responses.Fair.of(fair))


def phase_label(phase: Phase) -> str:
    return gettext(PHASE_LABELS[phase])


def _grouped(fairs: list[Fair], now: datetime) -> dict[str, list[tuple[Fair, Phase]]]:
    groups: dict[str, list[tuple[Fair, Phase]]] = {"current": [], "upcoming": [], "past": []}
    for fair in fairs:
        phase = service.phase_of(fair, now)
        if phase == Phase.CLOSED:
            groups["past"].append((fair, phase))
        elif phase == Phase.LIVE:
            groups["current"].append((fair, phase))
        else:
            groups["upcoming"].append((fair, phase))
    groups["upcoming"].reverse()  # soonest first
    return groups


async def home(request: Request) -> Response:
    fairs = await service.list_fairs(db(request), viewer=user_of(request))
    groups = _grouped(fairs, clock.now())
    # The home page shows what's near; older and far-off fairs stay reachable by the API.
    groups["upcoming"] = groups["upcoming"][:6]
    groups["past"] = groups["past"][:6]
    return page(request, "fairs/home.html", {"groups": groups, "phase_label": phase_label})


async def fair_page(request: Request) -> Response:
    fair = await service.get_fair(db(request), request.path_params["slug"], viewer=user_of(request))
    context = {"fair": fair, "phase": service.phase_of(fair), "phase_label": phase_label}
    return page(request, "fairs/fair.html", context)


API = [
    Endpoint("GET", "/api/fairs", api_list, "Fairs and their phase", responses.Fairs),
    Endpoint(
        "POST",
        "/api/fairs",
        api_create,
        "Create a fair (organizer)",
        responses.Fair,
        status=201,
        body=FairCreate,
        errors=(401, 403, 409),
    ),
    Endpoint("GET", "/api/fairs/{slug}", api_get, "One fair", responses.Fair, errors=(404,)),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/publish",
        api_publish,
        "Publish a draft fair (organizer)",
        responses.Fair,
        errors=(401, 403, 404),
    ),
]

routes = [
    Route("/", home, methods=["GET"]),
    Route("/fairs/{slug}", fair_page, methods=["GET"]),
]
