"""The page of meeting proposals: those made to me (accept, the buyer picking a time among
the good-for-both slots; decline with a reason), those I made, and where to make them: an
exhibitor's leads (buyers looking for what their booth makes) and an organizer's matches of
the fairs open for booking, each with its "invite" or "propose" button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.models import Booth, BoothStatus
from booths.service import of_company
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_user
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.schemas import parse
from fair.web import (
    client_address,
    db,
    page,
    read_form,
    redirect,
    settings_of,
    user_of,
    viewer_zone,
)
from matchmaking import page_actions, proposals, service
from matchmaking.models import ProposalStatus
from matchmaking.reasons import render
from matchmaking.schemas import ProposalAccept, ProposalDecline
from meetings.models import Meeting

T = TypeVar("T")

# How many open proposals get a slot picker at once, and how many matches a list shows.
PICKERS = 10
LEADS_SHOWN = 10
MATCHES_SHOWN = 20
FAIRS_SHOWN = 2


async def _open_fairs(request: Request, now: datetime) -> list[Fair]:
    fairs = await db(request).scalars(
        select(Fair)
        .where(Fair.status == "published", Fair.ends_on >= now.date())
        .order_by(Fair.starts_on, Fair.slug)
    )
    return [f for f in fairs if phase_of(f, now) in {Phase.BOOKING, Phase.LIVE}][:FAIRS_SHOWN]


def _live_pairs(views: list[proposals.ProposalView]) -> set[tuple[str, str]]:
    return {
        (v.proposal.buyer_id, v.proposal.booth_id) for v in views if v.status == ProposalStatus.OPEN
    }


async def _leads(request: Request, user: User, fairs: list[Fair]) -> list[dict[str, Any]]:
    """The exhibitor's approved booths in the fairs open for booking, with their leads."""
    if not fairs:
        return []
    booths = await db(request).scalars(
        select(Booth)
        .where(
            of_company(user),
            Booth.status == BoothStatus.APPROVED,
            Booth.fair_id.in_([f.id for f in fairs]),
        )
        .order_by(Booth.fair_id, Booth.id)
    )
    slugs = {f.id: f.slug for f in fairs}
    shown = []
    for booth in booths:
        found = await service.leads(db(request), actor=user, booth_id=booth.id)
        items = [
            {
                "buyer": lead.buyer,
                "need_id": lead.match.need_id,
                "score": lead.match.score,
                "reasons": [render(r, "others")["text"] for r in lead.match.reasons],
            }
            for lead in found[:LEADS_SHOWN]
        ]
        shown.append({"booth": booth, "fair": slugs[booth.fair_id], "items": items})
    return shown


async def _matches(request: Request, user: User, fairs: list[Fair]) -> list[dict[str, Any]]:
    """The organizer's best matches of each fair open for booking."""
    shown = []
    for fair in fairs:
        found = (await service.fair_matches(db(request), actor=user, fair_slug=fair.slug))[
            :MATCHES_SHOWN
        ]
        buyer_ids = {m.buyer_id for m in found}
        booth_ids = {m.booth_id for m in found}
        buyers = {
            u.id: u for u in await db(request).scalars(select(User).where(User.id.in_(buyer_ids)))
        }
        booths = {
            b.id: b for b in await db(request).scalars(select(Booth).where(Booth.id.in_(booth_ids)))
        }
        items = [
            {
                "buyer": buyers[m.buyer_id],
                "booth": booths[m.booth_id],
                "need_id": m.need_id,
                "score": m.score,
                "reasons": [render(r, "others")["text"] for r in m.reasons],
            }
            for m in found
        ]
        shown.append({"fair": fair, "items": items})
    return shown


async def proposals_page(
    request: Request, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    user = require_user(user_of(request))
    zone = viewer_zone(request)
    now = clock.now()
    views = await proposals.my_proposals(db(request), actor=user, now=now)
    slots: dict[str, list[Any]] = {}
    for view in views:
        if len(slots) >= PICKERS:
            break
        if view.side == "buyer" and view.status == ProposalStatus.OPEN:
            slots[view.proposal.id] = await proposals.offered_slots(
                db(request), view.proposal, user, zone=zone, now=now
            )
    fairs = await _open_fairs(request, now)
    context = {
        "views": views,
        "slots": slots,
        "zone": zone,
        "live_pairs": _live_pairs(views),
        "leads": await _leads(request, user, fairs) if user.has_role(Role.EXHIBITOR) else [],
        "matches": await _matches(request, user, fairs) if user.has_role(Role.ORGANIZER) else [],
        "errors": errors or {},
        "sent": request.query_params.get("sent") == "1",
    }
    return page(request, "matchmaking/proposals.html", context, status)


def _again(request: Request) -> page_actions.Again:
    """Brings the proposals page back with a refusal's message."""

    async def again(message: str, status: int) -> Response:
        return await proposals_page(request, {"form": message}, status)

    return again


async def _attempt(request: Request, action: Callable[[], Awaitable[T]]) -> T | Response:
    return await page_actions.attempt(request, action, _again(request))


async def propose_page(request: Request) -> Response:
    form = await read_form(request)
    values = {name: str(form.get(name, "")) for name in ("fair", "buyer_id", "booth_id", "note")}
    answer = await page_actions.propose(request, form, values, _again(request))
    return answer if isinstance(answer, Response) else redirect("/proposals?sent=1")


async def accept_page(request: Request) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {}
    if form.get("start"):
        values["start"] = str(form.get("start"))
    if form.get("interpreter_language"):
        values["interpreter_language"] = str(form.get("interpreter_language"))

    async def act() -> Meeting | None:
        _, meeting = await proposals.accept(
            db(request),
            actor=user_of(request),
            proposal_id=request.path_params["proposal_id"],
            data=parse(ProposalAccept, values),
            settings=settings_of(request),
            address=client_address(request),
        )
        return meeting

    answer = await _attempt(request, act)
    if isinstance(answer, Response):
        return answer
    if answer is not None:
        return redirect(f"/meetings/{answer.id}/room?booked=1")
    return redirect("/proposals")


async def decline_page(request: Request) -> Response:
    form = await read_form(request)

    async def act() -> object:
        data = parse(ProposalDecline, {"reason": str(form.get("reason", ""))})
        return await proposals.decline(
            db(request),
            actor=user_of(request),
            proposal_id=request.path_params["proposal_id"],
            reason=data.reason,
        )

    answer = await _attempt(request, act)
    return answer if isinstance(answer, Response) else redirect("/proposals")


routes = [
    Route("/proposals", proposals_page, methods=["GET"]),
    Route("/proposals", propose_page, methods=["POST"]),
    Route("/proposals/{proposal_id}/accept", accept_page, methods=["POST"]),
    Route("/proposals/{proposal_id}/decline", decline_page, methods=["POST"]),
]
