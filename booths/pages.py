"""Public booth pages: the directory of a fair, a booth, a product."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths import catalog, directory, directory_cache, kept_items, revisions, service
from booths.errors import ProductNotFound
from booths.models import MediaKind, Product, VisitKind
from booths.routes import count_visit, query_filters
from booths.taxonomy import CATEGORIES, MOQ_UNITS, category_label
from booths.text import search_terms
from fair import i18n
from fair.accounts.models import Role
from fair.fairs.models import Fair
from fair.fairs.panels import FairPanel, no_panel
from fair.fairs.phase import Phase
from fair.fairs.service import get_fair, phase_of
from fair.web import db, page, settings_of, user_of, viewer_zone

# The programme's buyer countries come first in the market filter.
MAIN_MARKETS = ("CN", "VN", "TW", "TH", "US", "HK", "SG", "MY", "ID", "PH", "KR", "DE", "FR", "GB")


def format_price(product: Product) -> str:
    """ "¥1,800 – ¥2,600", "from US$4.50" or "" in the viewer's locale."""
    low, high = product.price_min, product.price_max
    if low is None and high is None:
        return ""
    if low is not None and high is not None and low != high:
        return (
            f"{i18n.format_currency(low, product.currency)} – "
            f"{i18n.format_currency(high, product.currency)}"
        )
    value = low if low is not None else high
    return i18n.format_currency(value, product.currency)  # type: ignore[arg-type]


def format_quantity(amount: int | None, unit: str | None) -> str:
    if not amount:
        return ""
    label = i18n.gettext(MOQ_UNITS.get(unit or "piece", MOQ_UNITS["piece"]))
    return f"{i18n.format_number(amount)} {label}"


def format_moq(product: Product) -> str:
    return format_quantity(product.moq, product.moq_unit)


def template_helpers() -> dict[str, Any]:
    return {
        "category_label": lambda code: category_label(code, i18n.current_language()),
        "format_price": format_price,
        "format_moq": format_moq,
        "format_quantity": format_quantity,
    }


# Each card's next free meeting time (an object with a UTC ``start``), by booth id: the
# meetings feature, above this one, provides it when the app is assembled.
NextFree = Callable[[AsyncSession, Fair, Sequence[str]], Awaitable[Mapping[str, Any]]]


async def no_times(session: AsyncSession, fair: Fair, booth_ids: Sequence[str]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Listing:
    """A directory search as the page shows it: the answer the API sends (kept per fair
    version by ``directory_cache``, one for both), decoded. The booths are
    ``responses.DirectoryBooth`` as JSON: the public fields in all six languages, the
    viewer's language is picked when the page is rendered. Decoding 24 booths costs about
    0.3 ms; keeping them decoded beside the bytes would take four times the bytes' memory,
    so a quarter as many kept searches."""

    booths: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    category_counts: dict[str, int]
    terms: list[str]  # the search's terms (a search that finds nothing suggests fewer)

    @classmethod
    def of(cls, answer: bytes, filters: directory.Filters) -> Listing:
        shown = json.loads(answer)
        return cls(
            booths=shown["booths"],
            total=shown["total"],
            page=shown["page"],
            pages=shown["pages"],
            category_counts=shown["facets"]["category"],
            terms=search_terms(filters.q),
        )


async def directory_page(
    request: Request, next_free: NextFree = no_times, panel: FairPanel = no_panel
) -> Response:
    session, viewer = db(request), user_of(request)
    fair = await get_fair(session, request.path_params["slug"], viewer=viewer)
    filters = query_filters(request)
    result = Listing.of(
        await directory_cache.answer(
            session, fair, filters, megabytes=settings_of(request).directory_cache_mb
        ),
        filters,
    )
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    own = None
    if viewer is not None and viewer.has_role(Role.EXHIBITOR):
        own = next(
            (b for b, f in await service.my_booths(session, actor=viewer) if f.id == fair.id), None
        )
    return page(
        request,
        "booths/directory.html",
        {
            "next_free": await next_free(session, fair, [b["id"] for b in result.booths]),
            "panel": await panel(request, fair),
            "zone": viewer_zone(request, fair.timezone),
            "fair": fair,
            "phase": phase_of(fair),
            "filters": filters,
            "result": result,
            "categories": sorted(
                CATEGORIES, key=lambda c: category_label(c, i18n.current_language())
            ),
            "markets": [(code, i18n.territory_name(code)) for code in MAIN_MARKETS],
            "page_url": lambda n: f"?{urlencode({**query, 'page': n})}",
            "own_booth": own,
            **template_helpers(),
        },
    )


def _gallery(media: Sequence[Any]) -> dict[str, list[Any]]:
    return {
        "images": [m for m in media if m.kind == MediaKind.IMAGE and m.status != "failed"],
        "videos": [m for m in media if m.kind == MediaKind.VIDEO],
        "brochures": [m for m in media if m.kind == MediaKind.PDF],
    }


async def _booth_context(request: Request, shown: service.Shown) -> dict[str, Any]:
    session, viewer = db(request), user_of(request)
    booth, fair = shown.booth, shown.fair
    # Products and files as plain rows (the template reads their columns only), the
    # reviewed ones, which are everyone's (kept: booths.kept_items).
    products, media = await kept_items.public_items(session, booth, fair)
    photos: dict[str, Any] = {}
    for item in media:
        if item.product_id and item.kind == MediaKind.IMAGE and item.status != "failed":
            photos.setdefault(item.product_id, item)
    gallery = _gallery([m for m in media if not m.product_id or m.kind != MediaKind.IMAGE])
    manages = service.can_manage(viewer, booth)
    return {
        "booth": booth,
        # An organizer has confirmed who the company behind the booth is.
        "company_confirmed": shown.company_confirmed,
        "fair": fair,
        "phase": phase_of(fair),
        "Phase": Phase,
        "products": products,
        "product_photos": photos,
        "is_owner": manages,
        # Its exhibitor is told that buyers see the approved version while changes wait.
        "revision": await revisions.revision_of(session, booth.id) if manages else None,
        **gallery,
        **template_helpers(),
    }


async def booth_page(request: Request) -> Response:
    session, viewer = db(request), user_of(request)
    shown = await service.load_shown(session, request.path_params["booth_id"], viewer=viewer)
    await count_visit(request, VisitKind.BOOTH, shown.booth, shown.booth.id, shown.fair)
    return page(request, "booths/booth.html", await _booth_context(request, shown))


async def product_page(request: Request) -> Response:
    session, viewer = db(request), user_of(request)
    shown = await service.load_shown(session, request.path_params["booth_id"], viewer=viewer)
    booth = shown.booth
    product = await catalog.get_product(session, booth, request.path_params["product_id"])
    if product.awaiting_review and not service.sees_unreviewed(viewer, booth):
        raise ProductNotFound()
    await count_visit(request, VisitKind.PRODUCT, booth, product.id, shown.fair)
    context = await _booth_context(request, shown)
    if product.awaiting_review:
        media: Sequence[Any] = await service.media_rows(session, booth.id, unreviewed=True)
    else:
        media = (await kept_items.public_items(session, booth, shown.fair)).media
    context["product"] = product
    context["photos"] = [
        m
        for m in media
        if m.product_id == product.id and m.kind == MediaKind.IMAGE and m.status != "failed"
    ]
    return page(request, "booths/product.html", context)


def page_routes(next_free: NextFree = no_times, panel: FairPanel = no_panel) -> list[Route]:
    """The public pages; the directory's cards show ``next_free`` times, and the directory
    ``panel`` (a feature's, e.g. recommendations) above them."""

    async def directory(request: Request) -> Response:
        return await directory_page(request, next_free, panel)

    return [
        Route("/fairs/{slug}/booths", directory, methods=["GET"]),
        Route("/booths/{booth_id}", booth_page, methods=["GET"]),
        Route("/booths/{booth_id}/products/{product_id}", product_page, methods=["GET"]),
    ]
