"""Exhibitor and organizer pages: my booths, the booth editor, products, media, visitors,
and the organizer's review queue. HTML forms with CSRF tokens; the same services as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths import analytics, catalog, gallery, revisions, service
from booths.models import Booth, BoothStatus
from booths.pages import MAIN_MARKETS, template_helpers
from booths.schemas import BoothCreate, BoothUpdate, MediaUpdate, ProductCreate, ProductUpdate
from booths.taxonomy import CATEGORIES, COMMON_CERTIFICATIONS, MOQ_UNITS
from fair import i18n, resources
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.errors import DomainError, NotFound, ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import get_fair, list_fairs, phase_of
from fair.schemas import parse
from fair.web import db, page, read_form, redirect, settings_of, user_of

TEXT_FIELDS = ("company", "tagline", "description")
PRODUCT_TEXT_FIELDS = ("name", "description")
NUMBER_FIELDS = ("moq", "price_min", "price_max", "lead_time_days")


def _translated(form: FormData, name: str) -> dict[str, str]:
    return {code: str(form.get(f"{name}.{code}", "")) for code in i18n.LANGUAGES}


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.replace("、", ",").split(",") if part.strip()]


def _markets(form: FormData, name: str) -> list[str]:
    markets = [str(v) for v in form.getlist(name)]
    markets += [code.upper() for code in _codes(str(form.get(f"{name}_other", "")))]
    return list(dict.fromkeys(markets))


def _minimum_order(form: FormData) -> dict[str, str] | None:
    """None (no minimum) when the amount is left empty."""
    amount = str(form.get("minimum_order_amount", "")).strip().replace(",", "")
    if not amount:
        return None
    return {"amount": amount, "unit": str(form.get("minimum_order_unit", "piece"))}


def booth_values(form: FormData) -> dict[str, Any]:
    return {
        **{name: _translated(form, name) for name in TEXT_FIELDS},
        "categories": [str(v) for v in form.getlist("categories")],
        "markets": _markets(form, "markets"),
        "wanted_markets": _markets(form, "wanted_markets"),
        "minimum_order": _minimum_order(form),
        "languages": [str(v) for v in form.getlist("languages")],
        "certifications": _codes(str(form.get("certifications", ""))),
        "website": str(form.get("website", "")).strip(),
        "city": str(form.get("city", "")).strip(),
    }


def product_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: _translated(form, name) for name in PRODUCT_TEXT_FIELDS}
    for name in ("hs_code", "moq_unit", "currency"):
        values[name] = str(form.get(name, "")).strip()
    for name in NUMBER_FIELDS:
        raw = str(form.get(name, "")).strip().replace(",", "")
        values[name] = raw or None
    return values


def field_errors(exc: DomainError) -> dict[str, str]:
    """Messages by form field: ``markets.2`` belongs to ``markets``."""
    if isinstance(exc, ValidationFailed):
        errors: dict[str, str] = {}
        for key, message in exc.errors.items():
            errors.setdefault(key.split(".")[0], i18n.gettext(message))
        return errors
    return {exc.field or "form": exc.translated()}


def booth_form_values(booth: Booth | revisions.Proposed) -> dict[str, Any]:
    # The form edits what a PATCH may change: BoothUpdate's fields.
    return {name: getattr(booth, name) for name in BoothUpdate.model_fields}


def _booth_form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    main = set(MAIN_MARKETS)
    return {
        "values": values,
        "errors": errors,
        "categories": list(CATEGORIES),
        "main_markets": [(code, i18n.territory_name(code)) for code in MAIN_MARKETS],
        "other_markets": ", ".join(c for c in values.get("markets", []) if c not in main),
        "other_wanted_markets": ", ".join(
            c for c in values.get("wanted_markets", []) if c not in main
        ),
        "units": [(code, i18n.gettext(label)) for code, label in MOQ_UNITS.items()],
        "certification_suggestions": COMMON_CERTIFICATIONS,
        **template_helpers(),
    }


async def my_booths_page(request: Request) -> Response:
    session, user = db(request), require_role(user_of(request), Role.EXHIBITOR)
    rows = await service.my_booths(session, actor=user)
    booth_fairs = {fair.id for _, fair in rows}
    open_fairs = [
        fair
        for fair in reversed(await list_fairs(session, viewer=user))
        if fair.id not in booth_fairs and phase_of(fair) not in {Phase.CLOSED, Phase.DRAFT}
    ][:4]
    approved = [booth for booth, _ in rows if booth.status == BoothStatus.APPROVED]
    summaries = []
    for booth, fair in rows:
        products = await service.list_products(session, booth.id, unreviewed=True)
        media = await service.list_media(session, booth.id, unreviewed=True)
        checks = service.completeness(booth, products, media)
        revision = await revisions.revision_of(session, booth.id)
        summaries.append((booth, fair, sum(done for _, done in checks), len(checks), revision))
    return page(
        request,
        "booths/my_booths.html",
        {
            "summaries": summaries,
            "open_fairs": open_fairs,
            "copy_source": approved[0] if approved else None,
            "phase_of": phase_of,
            **template_helpers(),
        },
    )


async def new_booth_page(request: Request) -> Response:
    session, user = db(request), require_role(user_of(request), Role.EXHIBITOR)
    fair = await get_fair(session, request.path_params["slug"], viewer=user)
    if request.method == "GET":
        values: dict[str, Any] = {
            "company": {user.locale if user.locale in i18n.LANGUAGES else "ja": user.company},
            "languages": user.languages or ["ja"],
        }
        return page(
            request, "booths/new_booth.html", {"fair": fair, **_booth_form_context(values, {})}
        )
    form = await read_form(request)
    values = booth_values(form)
    try:
        data = parse(BoothCreate, values)
        booth = await service.create_booth(session, actor=user, fair_slug=fair.slug, data=data)
    except DomainError as exc:
        context = {"fair": fair, **_booth_form_context(values, field_errors(exc))}
        return page(request, "booths/new_booth.html", context, exc.status)
    return redirect(f"/booths/{booth.id}/manage/products?created=1")


def _latest(items: list[Any], revision: Any, subject: str) -> list[Any]:
    """The items as the exhibitor last wrote them (their changes waiting for review)."""
    return [
        revisions.Proposed(item, revisions.proposed_fields(revision, subject, item.id))
        for item in items
    ]


async def _editor_context(request: Request, booth: Booth) -> dict[str, Any]:
    """The exhibitor's pages show their latest version, everything waiting for review too."""
    session = db(request)
    fair = await session.get(Fair, booth.fair_id)
    revision = await revisions.revision_of(session, booth.id)
    products = _latest(
        await service.list_products(session, booth.id, unreviewed=True), revision, "product"
    )
    media = _latest(await service.list_media(session, booth.id, unreviewed=True), revision, "media")
    checks = service.completeness(booth, products, media)
    return {
        "booth": booth,
        "fair": fair,
        "products": products,
        "media": media,
        "revision": revision,
        "pending": await revisions.pending_of(session, booth),
        "held_back": revisions.held_back(booth),
        "checks": [(i18n.gettext(label), done) for label, done in checks],
        "score": round(100 * sum(done for _, done in checks) / len(checks)),
        "saved": request.query_params.get("saved") == "1",
        **template_helpers(),
    }


async def edit_booth_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth = await service.load_managed_booth(session, request.path_params["booth_id"], actor=user)
    if request.method == "GET":
        context = await _editor_context(request, booth)
        latest = revisions.Proposed(
            booth, revisions.proposed_fields(context["revision"], "booth", booth.id)
        )
        context.update(_booth_form_context(booth_form_values(latest), {}))
        return page(request, "booths/edit_booth.html", context)
    form = await read_form(request)
    values = booth_values(form)
    try:
        data = parse(BoothUpdate, values)
        await service.update_booth(session, actor=user, booth_id=booth.id, data=data)
    except DomainError as exc:
        # The error status makes the unit of work roll back; nothing is saved.
        context = await _editor_context(request, booth)
        context.update(_booth_form_context(values, field_errors(exc)))
        return page(request, "booths/edit_booth.html", context, exc.status)
    return redirect(f"/booths/{booth.id}/edit?saved=1")


async def copy_booth_form(request: Request) -> Response:
    form = await read_form(request)
    booth = await service.copy_booth(
        db(request),
        actor=user_of(request),
        booth_id=request.path_params["booth_id"],
        fair_slug=str(form.get("fair", "")),
    )
    return redirect(f"/booths/{booth.id}/edit?saved=1")


def _product_form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "units": [(code, i18n.gettext(label)) for code, label in MOQ_UNITS.items()],
        "currencies": ("JPY", "USD", "CNY", "TWD", "VND", "THB", "EUR", "HKD", "SGD"),
    }


async def products_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth = await service.load_managed_booth(session, request.path_params["booth_id"], actor=user)
    status = 200
    values: dict[str, Any] = {"currency": "JPY", "moq_unit": "piece"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = product_values(form)
        try:
            data = parse(ProductCreate, values)
            await catalog.add_product(session, actor=user, booth_id=booth.id, data=data)
        except DomainError as exc:
            errors, status = field_errors(exc), exc.status
        else:
            return redirect(f"/booths/{booth.id}/manage/products?saved=1")
    context = await _editor_context(request, booth)
    context.update(_product_form_context(values, errors))
    context["created"] = request.query_params.get("created") == "1"
    return page(request, "booths/products.html", context, status)


async def product_edit_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth = await service.load_managed_booth(session, request.path_params["booth_id"], actor=user)
    product = await catalog.get_product(session, booth, request.path_params["product_id"])
    revision = await revisions.revision_of(session, booth.id)
    if request.method == "GET":
        latest = revisions.Proposed(
            product, revisions.proposed_fields(revision, "product", product.id)
        )
        values = {
            name: getattr(latest, name)
            for name in (*PRODUCT_TEXT_FIELDS, "hs_code", "moq_unit", "currency", *NUMBER_FIELDS)
        }
        context = {
            "booth": booth,
            "product": product,
            "held_back": revisions.held_back(booth) and not product.awaiting_review,
            **_product_form_context(values, {}),
        }
        return page(request, "booths/product_edit.html", context)
    form = await read_form(request)
    values = product_values(form)
    try:
        data = parse(ProductUpdate, values)
        await catalog.update_product(
            session, actor=user, booth_id=booth.id, product_id=product.id, data=data
        )
    except DomainError as exc:
        context = {"booth": booth, "product": product, "held_back": False}
        context.update(_product_form_context(values, field_errors(exc)))
        return page(request, "booths/product_edit.html", context, exc.status)
    return redirect(f"/booths/{booth.id}/manage/products?saved=1")


async def _move(items: list[Any], item_id: str, direction: str) -> list[str]:
    ids = [item.id for item in items]
    if item_id in ids:
        index = ids.index(item_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
    return ids


async def _move_in_booth(
    request: Request,
    item_id: str,
    direction: str,
    items_of: Callable[..., Awaitable[Any]],
    reorder: Callable[..., Awaitable[Any]],
) -> None:
    """Moves a product or a picture one place up or down its booth's list."""
    session, user = db(request), user_of(request)
    booth_id = request.path_params["booth_id"]
    booth = await service.load_managed_booth(session, booth_id, actor=user)
    ids = await _move(await items_of(session, booth.id, unreviewed=True), item_id, direction)
    await reorder(session, actor=user, booth_id=booth_id, ids=ids)


async def product_action(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth_id, product_id = request.path_params["booth_id"], request.path_params["product_id"]
    action = request.path_params["action"]
    if action not in {"delete", "move"}:
        raise NotFound()
    form = await read_form(request)
    if action == "delete":
        await catalog.delete_product(session, actor=user, booth_id=booth_id, product_id=product_id)
    else:
        move = service.list_products, catalog.reorder_products
        await _move_in_booth(request, product_id, str(form.get("direction", "")), *move)
    return redirect(f"/booths/{booth_id}/manage/products")


async def media_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth = await service.load_managed_booth(session, request.path_params["booth_id"], actor=user)
    context = await _editor_context(request, booth)
    settings = settings_of(request)
    context["limits"] = {
        "image": settings.max_image_bytes,
        "video": settings.max_video_bytes,
        "pdf": settings.max_pdf_bytes,
    }
    return page(request, "booths/media.html", context)


async def media_action(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth_id, media_id = request.path_params["booth_id"], request.path_params["media_id"]
    action = request.path_params["action"]
    if action not in {"delete", "edit", "move"}:
        raise NotFound()
    form = await read_form(request)
    if action == "delete":
        orphan = await gallery.delete_media(session, actor=user, media_id=media_id)
        await session.commit()
        await gallery.remove_blob(resources.of_request(request).storage, orphan)
    elif action == "edit":
        data = parse(
            MediaUpdate,
            {
                "title": _translated(form, "title"),
                "product_id": str(form.get("product_id", "")) or None,
            },
        )
        await gallery.update_media(session, actor=user, media_id=media_id, data=data)
    else:
        move = service.list_media, gallery.reorder_media
        await _move_in_booth(request, media_id, str(form.get("direction", "")), *move)
    return redirect(f"/booths/{booth_id}/manage/media")


async def analytics_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth_id = request.path_params["booth_id"]
    report = await analytics.booth_report(session, actor=user, booth_id=booth_id)
    booth = await session.get(Booth, booth_id)
    assert booth is not None
    context = await _editor_context(request, booth)
    peak = max((count for _, count in report.daily), default=0)
    context.update(report=report, peak=peak)
    return page(request, "booths/analytics.html", context)


async def review_page(request: Request) -> Response:
    session, user = db(request), require_role(user_of(request), *service.REVIEWERS)
    status = request.query_params.get("status", BoothStatus.PENDING)
    if status not in REVIEW_TABS:
        status = BoothStatus.PENDING
    if status == CHANGES_TAB:
        rows = await service.changes_queue(session, actor=user, fair_slug=None)
    else:
        rows = await service.review_queue(
            session, actor=user, status=BoothStatus(status), fair_slug=None
        )
    items = []
    for booth, fair in rows:
        products = await service.list_products(session, booth.id, unreviewed=True)
        media = await service.list_media(session, booth.id, unreviewed=True)
        checks = service.completeness(booth, products, media)
        source = await session.get(Booth, booth.copied_from_id) if booth.copied_from_id else None
        pending = await revisions.pending_of(session, booth)
        items.append((booth, fair, len(products), len(media), checks, source, pending))
    return page(
        request,
        "booths/review.html",
        {"items": items, "status": status, **template_helpers()},
    )


# The queue's tabs: booths by status, and approved booths whose changes wait for review.
CHANGES_TAB = "changes"
REVIEW_TABS = {*BoothStatus, CHANGES_TAB}


async def review_action(request: Request) -> Response:
    session, user = db(request), user_of(request)
    action = request.path_params["action"]
    if action not in REVIEW_ACTIONS:
        raise NotFound()
    form = await read_form(request)
    booth_id = request.path_params["booth_id"]
    if action.startswith("approve"):
        await REVIEW_ACTIONS[action](session, actor=user, booth_id=booth_id)
    else:
        reason = str(form.get("reason", "")).strip()
        if not reason:
            raise ValidationFailed({"reason": i18n.lazy("Tell the exhibitor what to change.")})
        await REVIEW_ACTIONS[action](session, actor=user, booth_id=booth_id, reason=reason[:1000])
    tab = str(form.get("tab", ""))
    return redirect(f"/review/booths?status={tab}" if tab in REVIEW_TABS else "/review/booths")


# A whole booth's review, and the review of an approved booth's changes.
REVIEW_ACTIONS: dict[str, Callable[..., Awaitable[Booth]]] = {
    "approve": service.approve_booth,
    "reject": service.reject_booth,
    "approve-changes": service.approve_changes,
    "reject-changes": service.reject_changes,
}


def _post(endpoint: Callable[[Request], Awaitable[Response]], path: str) -> Route:
    return Route(path, endpoint, methods=["POST"])


routes = [
    Route("/my/booths", my_booths_page, methods=["GET"]),
    Route("/fairs/{slug}/booths/new", new_booth_page, methods=["GET", "POST"]),
    Route("/booths/{booth_id}/edit", edit_booth_page, methods=["GET", "POST"]),
    _post(copy_booth_form, "/booths/{booth_id}/copy"),
    Route("/booths/{booth_id}/manage/products", products_page, methods=["GET", "POST"]),
    Route(
        "/booths/{booth_id}/manage/products/{product_id}",
        product_edit_page,
        methods=["GET", "POST"],
    ),
    _post(product_action, "/booths/{booth_id}/manage/products/{product_id}/{action:str}"),
    Route("/booths/{booth_id}/manage/media", media_page, methods=["GET"]),
    _post(media_action, "/booths/{booth_id}/manage/media/{media_id}/{action:str}"),
    Route("/booths/{booth_id}/manage/analytics", analytics_page, methods=["GET"]),
    Route("/review/booths", review_page, methods=["GET"]),
    _post(review_action, "/review/booths/{booth_id}/{action:str}"),
]
