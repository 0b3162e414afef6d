"""Where people see matches and act on them, beside the buyer's needs page and the proposals
page: "recommended for you" on a fair's page and in its directory (a panel the core's pages
show), a booth's "buyers looking for what you make" with an "invite" button, and the
organizers' matchmaking console of a fair (its matches filtered and paged, "propose" per
pair, "propose the top N to every admitted buyer", and the proposals' answers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy import bindparam, func, or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.models import Booth
from booths.service import load_managed_booth
from booths.taxonomy import category_label
from fair import i18n, templating
from fair.accounts.models import Role, User
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import get_fair, phase_of
from fair.web import db, page, read_form, redirect, settings_of, user_of, viewer_zone
from matchmaking import page_actions, proposals, service
from matchmaking.models import Need, ProposalStatus
from matchmaking.reasons import Audience, render
from matchmaking.scoring import Match

# The booths a fair's page and directory recommend; a console page's pairs.
PANEL_SHOWN = 3
PAGE_SIZE = 25
LEADS_SHOWN = 50
# The console's "lowest match" choices, in per cent.
MIN_SCORES = (10, 20, 40, 60, 80)
TOP_DEFAULT = 3


def _reasons(match: Match, audience: Audience) -> list[str]:
    return [render(reason, audience)["text"] for reason in match.reasons]


# Recommended for you (the fair's page and its directory) -----------------------------------


# A buyer's needs for the fair (or for any fair): on every directory and fair page a buyer
# sees, so built once (0.14 ms built and hashed per page).
_NEEDS = (
    select(func.count())
    .select_from(Need)
    .where(
        Need.buyer_id == bindparam("buyer_id"),
        or_(Need.fair_id == bindparam("fair_id"), Need.fair_id.is_(None)),
    )
)


async def recommended_panel(request: Request, fair: Fair) -> str:
    """A buyer's best booths of the fair with their reasons and a book button; a buyer who
    has not said what they look for is asked to. Nothing for anyone else, nor once the fair
    is over."""
    user = user_of(request)
    if user is None or not user.has_role(Role.BUYER) or fair.status != "published":
        return ""
    if phase_of(fair) == Phase.CLOSED:
        return ""
    session = db(request)
    needs = await session.scalar(_NEEDS, {"buyer_id": user.id, "fair_id": fair.id})
    items: list[dict[str, Any]] = []
    if needs:
        matches = (await service.recommendations(session, actor=user, fair_slug=fair.slug))[
            :PANEL_SHOWN
        ]
        booths = {
            b.id: b
            for b in await session.scalars(
                select(Booth).where(Booth.id.in_([m.booth_id for m in matches]))
            )
        }
        items = [
            {"booth": booths[m.booth_id], "score": m.score, "reasons": _reasons(m, "buyer")}
            for m in matches
        ]
    html = templating.render("matchmaking/_recommended.html", fair=fair, needs=needs, items=items)
    return Markup(html)  # noqa: S704 (rendered by the autoescaping environment)


# Buyers looking for what you make (a booth's exhibitor) -------------------------------------


async def leads_page(request: Request, message: str = "", status: int = 200) -> Response:
    session, user = db(request), user_of(request)
    booth = await load_managed_booth(session, request.path_params["booth_id"], actor=user)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    found = (await service.leads(session, actor=user, booth_id=booth.id))[:LEADS_SHOWN]
    views = await proposals.my_proposals(session, actor=user, fair_slug=fair.slug)
    asked = {v.proposal.buyer_id: v.status for v in views if v.proposal.booth_id == booth.id}
    items = [
        {
            "buyer": lead.buyer,
            "need_id": lead.match.need_id,
            "score": lead.match.score,
            "reasons": _reasons(lead.match, "others"),
            "asked": asked.get(lead.buyer.id),
        }
        for lead in found
    ]
    context = {
        "booth": booth,
        "fair": fair,
        "open": phase_of(fair) in {Phase.BOOKING, Phase.LIVE},
        "items": items,
        "message": message,
        "sent": request.query_params.get("sent") == "1",
    }
    return page(request, "matchmaking/leads.html", context, status)


async def invite_page(request: Request) -> Response:
    form = await read_form(request)
    session, user = db(request), user_of(request)
    booth = await load_managed_booth(session, request.path_params["booth_id"], actor=user)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    values = {
        "fair": fair.slug,
        "booth_id": booth.id,
        "buyer_id": str(form.get("buyer_id", "")),
        "note": str(form.get("note", "")),
    }

    async def again(message: str, status: int) -> Response:
        return await leads_page(request, message, status)

    answer = await page_actions.propose(request, form, values, again)
    if isinstance(answer, Response):
        return answer
    return redirect(f"/booths/{booth.id}/manage/leads?sent=1")


# The organizers' matchmaking console --------------------------------------------------------


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return min(max(value, low), high)


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    names = ("buyer", "booth", "country", "category", "min")
    return {name: params.get(name, "")[:40] for name in names if params.get(name)}


async def console_page(request: Request, message: str = "", status: int = 200) -> Response:
    session, user = db(request), user_of(request)
    slug = request.path_params["slug"]
    every = await service.fair_matches(session, actor=user, fair_slug=slug)
    fair = await get_fair(session, slug, viewer=user)
    buyers = {
        u.id: u
        for u in await session.scalars(select(User).where(User.id.in_({m.buyer_id for m in every})))
    }
    booths = {
        b.id: b
        for b in await session.scalars(
            select(Booth).where(Booth.id.in_({m.booth_id for m in every}))
        )
    }
    chosen = _filters(request)
    lowest = _int(chosen.get("min"), MIN_SCORES[0], 0, 100) / 100
    shown = [
        m
        for m in every
        if m.score >= lowest
        and chosen.get("buyer", m.buyer_id) == m.buyer_id
        and chosen.get("booth", m.booth_id) == m.booth_id
        and chosen.get("country", buyers[m.buyer_id].country) == buyers[m.buyer_id].country
        and (not chosen.get("category") or chosen["category"] in booths[m.booth_id].categories)
    ]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    number = _int(request.query_params.get("page"), 1, 1, pages)
    views = await proposals.my_proposals(session, actor=user, fair_slug=fair.slug)
    latest: dict[tuple[str, str], ProposalStatus] = {}
    for view in views:  # newest first: the first one of a pair is its latest
        latest.setdefault((view.proposal.buyer_id, view.proposal.booth_id), view.status)
    language = i18n.current_language()
    rows = [
        {
            "buyer": buyers[m.buyer_id],
            "booth": booths[m.booth_id],
            "need_id": m.need_id,
            "score": m.score,
            "reasons": _reasons(m, "others"),
            "asked": latest.get((m.buyer_id, m.booth_id)),
        }
        for m in shown[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    ]
    query = dict(chosen)
    categories = sorted({c for b in booths.values() for c in b.categories})
    context = {
        "fair": fair,
        "open": phase_of(fair) in {Phase.BOOKING, Phase.LIVE},
        "rows": rows,
        "total": len(shown),
        "page": number,
        "pages": pages,
        "page_url": lambda n: f"?{urlencode({**query, 'page': n})}",
        "chosen": chosen,
        "min_scores": MIN_SCORES,
        "buyers": sorted(buyers.values(), key=lambda u: (u.name, u.id)),
        "booths": sorted(booths.values(), key=lambda b: (i18n.pick_text(b.company)[0], b.id)),
        "countries": sorted({u.country for u in buyers.values() if u.country}),
        "categories": [(c, category_label(c, language)) for c in categories],
        "views": views,
        "zone": viewer_zone(request),
        "message": message,
        "sent": request.query_params.get("sent") == "1",
        "created": request.query_params.get("created"),
        "skipped": request.query_params.get("skipped"),
        "top_default": TOP_DEFAULT,
        "top_max": proposals.MAX_TOP,
    }
    return page(request, "matchmaking/console.html", context, status)


def _console(slug: str) -> str:
    return f"/organizer/fairs/{slug}/matchmaking"


async def console_propose(request: Request) -> Response:
    form = await read_form(request)
    slug = request.path_params["slug"]
    values = {"fair": slug, **{n: str(form.get(n, "")) for n in ("buyer_id", "booth_id", "note")}}

    async def again(message: str, status: int) -> Response:
        return await console_page(request, message, status)

    answer = await page_actions.propose(request, form, values, again)
    return answer if isinstance(answer, Response) else redirect(f"{_console(slug)}?sent=1")


async def console_top(request: Request) -> Response:
    form = await read_form(request)
    slug = request.path_params["slug"]
    n = _int(str(form.get("n", "")), 0, 0, 1000)

    async def act() -> proposals.TopProposed:
        return await proposals.propose_top(
            db(request), actor=user_of(request), fair_slug=slug, n=n, settings=settings_of(request)
        )

    async def again(message: str, status: int) -> Response:
        return await console_page(request, message, status)

    answer = await page_actions.attempt(request, act, again)
    if isinstance(answer, Response):
        return answer
    summary = urlencode({"created": len(answer.created), "skipped": answer.skipped})
    return redirect(f"{_console(slug)}?{summary}")


routes = [
    Route("/booths/{booth_id}/manage/leads", leads_page, methods=["GET"]),
    Route("/booths/{booth_id}/manage/leads", invite_page, methods=["POST"]),
    Route("/organizer/fairs/{slug}/matchmaking", console_page, methods=["GET"]),
    Route("/organizer/fairs/{slug}/matchmaking/propose", console_propose, methods=["POST"]),
    Route("/organizer/fairs/{slug}/matchmaking/top", console_top, methods=["POST"]),
]
