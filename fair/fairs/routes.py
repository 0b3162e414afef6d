"""Fair endpoints: JSON under /api/fairs, the home page and a fair's page."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint, Scope
from fair.errors import BadRequest
from fair.fairs import admission, responses, service
from fair.fairs.models import Fair, FairBuyer
from fair.fairs.panels import FairPanel, no_panel
from fair.fairs.phase import PHASE_LABELS, Phase
from fair.fairs.schemas import AdmissionAsk, FairCreate, FairUpdate
from fair.i18n import gettext, lazy
from fair.schemas import parse
from fair.web import db, json_response, page, read_form, read_json, redirect, user_of


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


async def api_update(request: Request) -> Response:
    require_role(user_of(request), Role.ORGANIZER)
    data = parse(FairUpdate, await read_json(request))
    fair = await service.set_admission(
        db(request), actor=user_of(request), slug=request.path_params["slug"], data=data
    )
    return json_response(responses.Fair.of(fair))


# Vetted fairs: buyers ask, organizers answer ------------------------------------------------


async def api_ask(request: Request) -> Response:
    require_role(user_of(request), Role.BUYER)
    data = parse(AdmissionAsk, await read_json(request))
    asked = await admission.ask(
        db(request), actor=user_of(request), slug=request.path_params["slug"], message=data.message
    )
    return json_response(responses.Admission.of(request.path_params["slug"], asked), 201)


def _status_filter(request: Request) -> admission.Decision | None:
    raw = request.query_params.get("status")
    if raw is None or raw == "":
        return None
    if raw not in ("pending", "approved", "rejected"):
        raise BadRequest(lazy("Unknown status."), field="status")
    return raw  # type: ignore[return-value]


async def api_requests(request: Request) -> Response:
    _fair, rows = await admission.queue(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        status=_status_filter(request),
    )
    items = [responses.AdmissionRequest.of(asked, user) for asked, user in rows]
    return json_response(responses.AdmissionRequests(items=items))


async def _decide(request: Request, approve: bool) -> FairBuyer:
    return await admission.decide(
        db(request),
        actor=user_of(request),
        slug=request.path_params["slug"],
        user_id=request.path_params["user_id"],
        approve=approve,
    )


async def api_approve(request: Request) -> Response:
    decided = await _decide(request, approve=True)
    return json_response(responses.Admission.of(request.path_params["slug"], decided))


async def api_reject(request: Request) -> Response:
    decided = await _decide(request, approve=False)
    return json_response(responses.Admission.of(request.path_params["slug"], decided))


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


async def fair_page(request: Request, panel: FairPanel = no_panel) -> Response:
    user = user_of(request)
    fair = await service.get_fair(db(request), request.path_params["slug"], viewer=user)
    context = {
        "fair": fair,
        "panel": await panel(request, fair),
        "phase": service.phase_of(fair),
        "phase_label": phase_label,
        "admission": await admission.my_request(db(request), fair, user),
    }
    return page(request, "fairs/fair.html", context)


async def ask_page(request: Request) -> Response:
    """The fair page's "ask to take part" form."""
    form = await read_form(request)
    data = parse(AdmissionAsk, {"message": str(form.get("message", ""))})
    slug = request.path_params["slug"]
    await admission.ask(db(request), actor=user_of(request), slug=slug, message=data.message)
    return redirect(f"/fairs/{slug}")


async def buyers_page(request: Request) -> Response:
    """The organizers' queue of a vetted fair's buyer requests, with approve/reject."""
    if request.method == "POST":
        form = await read_form(request)
        user_id, answer = str(form.get("user_id", "")), str(form.get("answer", ""))
        if answer not in ("approve", "reject"):
            raise BadRequest(lazy("Choose approve or reject."), field="answer")
        await admission.decide(
            db(request),
            actor=user_of(request),
            slug=request.path_params["slug"],
            user_id=user_id,
            approve=answer == "approve",
        )
        return redirect(request.url.path)
    fair, rows = await admission.queue(
        db(request), actor=user_of(request), slug=request.path_params["slug"], status=None
    )
    return page(request, "fairs/buyers.html", {"fair": fair, "rows": rows})


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
        scope=Scope.BOOTHS,
    ),
    Endpoint("GET", "/api/fairs/{slug}", api_get, "One fair", responses.Fair, errors=(404,)),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/publish",
        api_publish,
        "Publish a draft fair (organizer)",
        responses.Fair,
        errors=(401, 403, 404),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "PATCH",
        "/api/fairs/{slug}",
        api_update,
        "Open a fair to every buyer or to admitted ones only (organizer)",
        responses.Fair,
        body=FairUpdate,
        errors=(401, 403, 404),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/buyers",
        api_ask,
        "Ask to take part in a vetted fair (buyer)",
        responses.Admission,
        status=201,
        body=AdmissionAsk,
        errors=(401, 403, 404, 409),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/fairs/{slug}/buyers",
        api_requests,
        "Buyers' requests to take part (organizer, staff)",
        responses.AdmissionRequests,
        query=("status",),
        errors=(401, 403, 404),
    ),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/buyers/{user_id}/approve",
        api_approve,
        "Admit a buyer to a vetted fair (organizer)",
        responses.Admission,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/buyers/{user_id}/reject",
        api_reject,
        "Turn a buyer's request down (organizer)",
        responses.Admission,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
]


def page_routes(panel: FairPanel = no_panel) -> list[Route]:
    """The fairs' pages; a fair's page shows ``panel`` (a feature's, e.g. recommendations)."""

    async def fair(request: Request) -> Response:
        return await fair_page(request, panel)

    return [
        Route("/", home, methods=["GET"]),
        Route("/fairs/{slug}", fair, methods=["GET"]),
        Route("/fairs/{slug}/admission", ask_page, methods=["POST"]),
        Route("/fairs/{slug}/buyers", buyers_page, methods=["GET", "POST"]),
    ]


routes = page_routes()
