"""Matchmaking's JSON API: a buyer's sourcing needs, the recommendations, the leads and the
fair's matches, each match with its reasons in the viewer's language."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response

from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint, Param, Scope
from fair.errors import ValidationFailed
from fair.i18n import lazy
from fair.schemas import parse
from fair.web import client_address, db, json_response, read_json, settings_of, user_of, viewer_zone
from matchmaking import proposals, responses, service
from matchmaking.reasons import Audience, render
from matchmaking.schemas import (
    NeedCreate,
    NeedUpdate,
    ProposalAccept,
    ProposalCreate,
    ProposalDecline,
    ProposeTop,
)
from matchmaking.scoring import Match


def _reasons(match: Match, audience: Audience) -> list[responses.MatchReason]:
    return [responses.MatchReason(**render(reason, audience)) for reason in match.reasons]


def _need_id(request: Request) -> str:
    return request.path_params["need_id"]


async def api_needs(request: Request) -> Response:
    needs = await service.list_needs(db(request), actor=user_of(request))
    return json_response(responses.Needs(items=[responses.Need.of(n, s) for n, s in needs]))


async def api_create_need(request: Request) -> Response:
    require_role(user_of(request), Role.BUYER)
    data = parse(NeedCreate, await read_json(request))
    need, slug = await service.create_need(db(request), actor=user_of(request), data=data)
    return json_response(responses.Need.of(need, slug), 201)


async def api_update_need(request: Request) -> Response:
    body = await read_json(request)
    need, slug = await service.update_need(
        db(request), actor=user_of(request), need_id=_need_id(request), body=body
    )
    return json_response(responses.Need.of(need, slug))


async def api_delete_need(request: Request) -> Response:
    await service.delete_need(db(request), actor=user_of(request), need_id=_need_id(request))
    return Response(status_code=204)


async def api_recommendations(request: Request) -> Response:
    matches = await service.recommendations(
        db(request), actor=user_of(request), fair_slug=request.path_params["slug"]
    )
    items = [
        responses.Recommendation(
            booth_id=m.booth_id,
            score=m.score,
            reasons=_reasons(m, "buyer"),
            product_ids=list(m.product_ids),
        )
        for m in matches
    ]
    return json_response(responses.Recommendations(items=items))


async def api_leads(request: Request) -> Response:
    found = await service.leads(
        db(request), actor=user_of(request), booth_id=request.path_params["booth_id"]
    )
    items = [
        responses.Lead(
            buyer=responses.LeadBuyer(
                id=lead.buyer.id,
                name=lead.buyer.name,
                company=lead.buyer.company,
                country=lead.buyer.country,
            ),
            need_id=lead.match.need_id,
            score=lead.match.score,
            reasons=_reasons(lead.match, "others"),
        )
        for lead in found
    ]
    return json_response(responses.Leads(items=items))


def _match_filters(request: Request) -> dict[str, object]:
    params = request.query_params
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name, key in (("buyer", "buyer_id"), ("booth", "booth_id")):
        raw = params.get(name)
        if raw:
            if len(raw) <= 32:
                values[key] = raw
            else:
                errors[name] = lazy("There is no such id.")
    raw = params.get("min_score")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if 0.0 <= value <= 1.0:
            values["min_score"] = value
        else:
            errors["min_score"] = lazy("Give a number from 0 to 1.")
    if errors:
        raise ValidationFailed(errors)
    return values


async def api_matches(request: Request) -> Response:
    filters = _match_filters(request)
    matches = await service.fair_matches(
        db(request),
        actor=user_of(request),
        fair_slug=request.path_params["slug"],
        **filters,  # type: ignore[arg-type]
    )
    items = [
        responses.FairMatch(
            buyer_id=m.buyer_id,
            booth_id=m.booth_id,
            need_id=m.need_id,
            score=m.score,
            reasons=_reasons(m, "others"),
        )
        for m in matches
    ]
    return json_response(responses.FairMatches(items=items))


async def api_propose(request: Request) -> Response:
    data = parse(ProposalCreate, await read_json(request))
    made = await proposals.propose(
        db(request), actor=user_of(request), data=data, settings=settings_of(request)
    )
    return json_response(responses.ProposalAnswer(id=made.id, status=made.status), 201)


async def api_propose_top(request: Request) -> Response:
    data = parse(ProposeTop, await read_json(request))
    made = await proposals.propose_top(
        db(request),
        actor=user_of(request),
        fair_slug=request.path_params["slug"],
        n=data.n,
        settings=settings_of(request),
    )
    body = responses.TopProposals(
        created=len(made.created), skipped=made.skipped, ids=[p.id for p in made.created]
    )
    return json_response(body, 201)


async def api_proposals(request: Request) -> Response:
    zone = viewer_zone(request, "UTC")
    views = await proposals.my_proposals(
        db(request), actor=user_of(request), fair_slug=request.query_params.get("fair") or None
    )
    items = [responses.Proposal.of(view, zone) for view in views]
    return json_response(responses.Proposals(items=items, timezone=zone))


def _proposal_id(request: Request) -> str:
    return request.path_params["proposal_id"]


async def api_accept_proposal(request: Request) -> Response:
    data = parse(ProposalAccept, await read_json(request))
    proposal, meeting = await proposals.accept(
        db(request),
        actor=user_of(request),
        proposal_id=_proposal_id(request),
        data=data,
        settings=settings_of(request),
        address=client_address(request),
    )
    return json_response(
        responses.ProposalAnswer(
            id=proposal.id, status=proposal.status, meeting_id=meeting.id if meeting else None
        )
    )


async def api_decline_proposal(request: Request) -> Response:
    data = parse(ProposalDecline, await read_json(request))
    proposal = await proposals.decline(
        db(request), actor=user_of(request), proposal_id=_proposal_id(request), reason=data.reason
    )
    return json_response(responses.ProposalAnswer(id=proposal.id, status=proposal.status))


SCORE = Param("min_score", {"type": "number", "minimum": 0, "maximum": 1}, "the lowest score")

API = [
    Endpoint(
        "GET",
        "/api/needs",
        api_needs,
        "My sourcing needs (buyer)",
        responses.Needs,
        errors=(401, 403),
    ),
    Endpoint(
        "POST",
        "/api/needs",
        api_create_need,
        "Say what you are looking for (buyer)",
        responses.Need,
        status=201,
        body=NeedCreate,
        errors=(401, 403, 409),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "PATCH",
        "/api/needs/{need_id}",
        api_update_need,
        "Change one of my needs (buyer)",
        responses.Need,
        body=NeedUpdate,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "DELETE",
        "/api/needs/{need_id}",
        api_delete_need,
        "Remove one of my needs (buyer)",
        status=204,
        errors=(401, 403, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/fairs/{slug}/recommendations",
        api_recommendations,
        "Booths recommended for my needs, best first, with reasons (buyer)",
        responses.Recommendations,
        errors=(401, 403, 404),
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/leads",
        api_leads,
        "Buyers looking for what the booth makes (its exhibitor)",
        responses.Leads,
        errors=(401, 403, 404),
    ),
    Endpoint(
        "GET",
        "/api/fairs/{slug}/matches",
        api_matches,
        "Every match of a fair, best first (organizers, staff)",
        responses.FairMatches,
        query=(
            Param("buyer", description="a buyer's id"),
            Param("booth", description="a booth's id"),
            SCORE,
        ),
        errors=(401, 403, 404, 422),
    ),
    Endpoint(
        "POST",
        "/api/proposals",
        api_propose,
        "Propose a meeting: an organizer to both sides, a booth's exhibitor to a buyer",
        responses.ProposalAnswer,
        status=201,
        body=ProposalCreate,
        errors=(401, 403, 409, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/fairs/{slug}/proposals/top",
        api_propose_top,
        "Propose each admitted buyer's N best booths of the fair (organizer), skipping pairs "
        "already proposed, met or closed",
        responses.TopProposals,
        status=201,
        body=ProposeTop,
        errors=(401, 403, 404, 409, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/proposals",
        api_proposals,
        "Meeting proposals I made or am invited to (all of them for organizers and staff)",
        responses.Proposals,
        query=(Param("fair", description="a fair's slug"), "tz"),
        errors=(401, 422),
    ),
    Endpoint(
        "POST",
        "/api/proposals/{proposal_id}/accept",
        api_accept_proposal,
        "Accept a proposal (the buyer gives the start); booked once every side accepted",
        responses.ProposalAnswer,
        body=ProposalAccept,
        errors=(401, 403, 404, 409, 410, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/proposals/{proposal_id}/decline",
        api_decline_proposal,
        "Decline a proposal (an invited side)",
        responses.ProposalAnswer,
        body=ProposalDecline,
        errors=(401, 403, 404, 409, 410),
        scope=Scope.MEETINGS,
    ),
]
