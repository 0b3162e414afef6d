"""Booth API under /api (JSON; media uploads as multipart) and the media file endpoint."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from booths import analytics, catalog, directory, gallery, quota, service
from booths.bots import is_bot
from booths.errors import MediaNotFound
from booths.media import (
    ACCEPTED,
    content_disposition,
    download_name,
    largest_limit,
    receive_upload,
    variant_key,
)
from booths.models import Booth, BoothStatus, Media, MediaKind, Product, VisitKind
from booths.sandbox import sandbox_of
from booths.schemas import (
    BoothCreate,
    BoothUpdate,
    CopyRequest,
    MediaUpdate,
    Ordering,
    ProductCreate,
    ProductUpdate,
    Rejection,
)
from booths.taxonomy import CATEGORIES
from fair import resources
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.errors import ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.service import get_fair
from fair.i18n import lazy
from fair.schemas import check_country, check_language, parse
from fair.storage import discard
from fair.web import (
    CSRF_COOKIE,
    CsrfFailed,
    PayloadTooLarge,
    client_address,
    db,
    read_json,
    settings_of,
    user_of,
)

UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and small fields around the file
# A file opened on its own runs nothing and loads nothing (sandbox, no sources but the
# file itself); an image or a video still shows.
MEDIA_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def media_json(media: Media) -> dict[str, Any]:
    urls = {"url": f"/media/{media.id}"}
    if media.kind == MediaKind.IMAGE:
        urls |= {"thumb_url": f"/media/{media.id}/thumb", "large_url": f"/media/{media.id}/large"}
    return {
        "id": media.id,
        "booth_id": media.booth_id,
        "product_id": media.product_id,
        "kind": media.kind,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "filename": media.filename,
        "title": media.title,
        "width": media.width,
        "height": media.height,
        "status": media.status,
        "position": media.position,
        **urls,
    }


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "booth_id": product.booth_id,
        "name": product.name,
        "description": product.description,
        "hs_code": product.hs_code,
        "moq": product.moq,
        "moq_unit": product.moq_unit,
        "price_min": _money(product.price_min),
        "price_max": _money(product.price_max),
        "currency": product.currency,
        "lead_time_days": product.lead_time_days,
        "position": product.position,
    }


def booth_json(
    booth: Booth, fair: Fair | None = None, viewer: User | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": booth.id,
        "fair": fair.slug if fair else None,
        "status": booth.status,
        "company": booth.company,
        "title": booth.company,
        "tagline": booth.tagline,
        "description": booth.description,
        "categories": booth.categories,
        "markets": booth.markets,
        "languages": booth.languages,
        "certifications": booth.certifications,
        "website": booth.website,
        "city": booth.city,
        "copied_from": booth.copied_from_id,
        "created_at": booth.created_at.isoformat(),
        "updated_at": booth.updated_at.isoformat(),
    }
    if viewer is not None and (
        service.can_manage(viewer, booth) or viewer.has_role(*service.INSIDERS)
    ):
        data["review_note"] = booth.review_note
        data["reviewed_at"] = booth.reviewed_at.isoformat() if booth.reviewed_at else None
    return data


async def _fair_of(request: Request, booth: Booth) -> Fair | None:
    return await db(request).get(Fair, booth.fair_id)


def _booth_id(request: Request) -> str:
    return request.path_params["booth_id"]


async def api_create(request: Request) -> Response:
    require_role(user_of(request), Role.EXHIBITOR)
    data = parse(BoothCreate, await read_json(request))
    slug = request.path_params["slug"]
    booth = await service.create_booth(
        db(request), actor=user_of(request), fair_slug=slug, data=data
    )
    return JSONResponse(
        booth_json(booth, await _fair_of(request, booth), user_of(request)), status_code=201
    )


def query_filters(request: Request) -> directory.Filters:
    params = request.query_params
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"q": params.get("q", "")[:200]}
    for name, check in (("market", check_country), ("language", check_language)):
        if params.get(name):
            try:
                values[name] = check(params[name])
            except ValueError as exc:
                errors[name] = str(exc)
    if params.get("category"):
        if params["category"] in CATEGORIES:
            values["category"] = params["category"]
        else:
            errors["category"] = lazy("Unknown category.")
    if params.get("sort"):
        if params["sort"] in {"relevance", "newest", "products"}:
            values["sort"] = params["sort"]
        else:
            errors["sort"] = lazy("Not one of the allowed values.")
    for name, low, high in (("page", 1, directory.MAX_PAGE), ("per_page", 1, 60)):
        raw = params.get(name)
        if raw:
            if raw.isdigit() and low <= int(raw) <= high:
                values[name] = int(raw)
            else:
                errors[name] = lazy("Give a whole number in the allowed range.")
    if errors:
        raise ValidationFailed(errors)
    return directory.Filters(**values)


def hit_json(hit: directory.Hit) -> dict[str, Any]:
    """A booth in a list: everything but the long company story, which ``GET
    /api/booths/{id}`` carries (in six languages it was four fifths of a directory page)."""
    summary = booth_json(hit.booth)
    del summary["description"]
    return {
        **summary,
        "product_count": hit.product_count,
        "cover": media_json(hit.cover) if hit.cover else None,
        "matched_products": [
            {"id": p.id, "name": p.name, "hs_code": p.hs_code} for p in hit.matched_products
        ],
    }


async def api_directory(request: Request) -> Response:
    filters = query_filters(request)
    fair = await get_fair(db(request), request.path_params["slug"], viewer=user_of(request))
    page = await directory.search(db(request), fair, filters)
    return JSONResponse(
        {
            "fair": fair.slug,
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "booths": [{**hit_json(hit), "fair": fair.slug} for hit in page.hits],
            "facets": {"category": page.category_counts},
        }
    )


def visitor_of(request: Request) -> str:
    return analytics.visitor_key(
        user_of(request), client_address(request), request.headers.get("user-agent", "")
    )


async def count_visit(request: Request, kind: VisitKind, booth: Booth, subject_id: str) -> None:
    viewer = user_of(request)
    if viewer is None and is_bot(request.headers.get("user-agent", "")):
        return  # crawlers and tools are nobody's visit (an account counts once whatever)
    await analytics.record_visit(
        db(request),
        kind=kind,
        booth=booth,
        subject_id=subject_id,
        viewer=viewer,
        key=visitor_of(request),
    )


async def api_get(request: Request) -> Response:
    session, viewer = db(request), user_of(request)
    booth = await service.load_booth(session, _booth_id(request), viewer=viewer)
    await count_visit(request, VisitKind.BOOTH, booth, booth.id)
    products = await service.list_products(session, booth.id)
    media = await service.list_media(session, booth.id)
    return JSONResponse(
        {
            **booth_json(booth, await _fair_of(request, booth), viewer),
            "products": [product_json(p) for p in products],
            "media": [media_json(m) for m in media],
        }
    )


async def api_update(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(BoothUpdate, await read_json(request))
    booth = await service.update_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request), data=data
    )
    return JSONResponse(booth_json(booth, await _fair_of(request, booth), user_of(request)))


async def api_approve(request: Request) -> Response:
    booth = await service.approve_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request)
    )
    return JSONResponse(booth_json(booth, await _fair_of(request, booth), user_of(request)))


async def api_reject(request: Request) -> Response:
    require_role(user_of(request), *service.REVIEWERS)
    data = parse(Rejection, await read_json(request))
    booth = await service.reject_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request), reason=data.reason
    )
    return JSONResponse(booth_json(booth, await _fair_of(request, booth), user_of(request)))


async def api_copy(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(CopyRequest, await read_json(request))
    booth = await service.copy_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request), fair_slug=data.fair
    )
    return JSONResponse(
        booth_json(booth, await _fair_of(request, booth), user_of(request)), status_code=201
    )


async def api_products(request: Request) -> Response:
    booth = await service.load_booth(db(request), _booth_id(request), viewer=user_of(request))
    products = await service.list_products(db(request), booth.id)
    return JSONResponse({"products": [product_json(p) for p in products]})


async def api_add_product(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(ProductCreate, await read_json(request))
    product = await catalog.add_product(
        db(request), actor=user_of(request), booth_id=_booth_id(request), data=data
    )
    return JSONResponse(product_json(product), status_code=201)


async def api_update_product(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(ProductUpdate, await read_json(request))
    product = await catalog.update_product(
        db(request),
        actor=user_of(request),
        booth_id=_booth_id(request),
        product_id=request.path_params["product_id"],
        data=data,
    )
    return JSONResponse(product_json(product))


async def api_delete_product(request: Request) -> Response:
    await catalog.delete_product(
        db(request),
        actor=user_of(request),
        booth_id=_booth_id(request),
        product_id=request.path_params["product_id"],
    )
    return Response(status_code=204)


async def api_order_products(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(Ordering, await read_json(request))
    products = await catalog.reorder_products(
        db(request), actor=user_of(request), booth_id=_booth_id(request), ids=data.ids
    )
    return JSONResponse({"products": [product_json(p) for p in products]})


def _check_upload_csrf(request: Request) -> None:
    # A multipart POST can be sent by any site's form, unlike a JSON one: the page's script
    # must echo the CSRF cookie in a header.
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not cookie or not secrets.compare_digest(cookie, sent):
        raise CsrfFailed()


async def api_upload(request: Request) -> Response:
    session, settings, user = db(request), settings_of(request), user_of(request)
    booth = await service.load_managed_booth(session, _booth_id(request), actor=user)
    assert user is not None  # the owner, by load_managed_booth
    _check_upload_csrf(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > largest_limit(settings) + UPLOAD_OVERHEAD:
        raise PayloadTooLarge()
    await quota.check_rate(session, user, settings)
    await quota.check_room(session, booth, settings)
    await session.commit()  # the body is not waited for inside a transaction
    storage = resources.of_request(request).storage
    upload = await receive_upload(
        request.stream(),
        content_type=request.headers.get("content-type", ""),
        settings=settings,
        staging=storage.staging_path(),
    )
    try:
        await gallery.check_fields(session, booth, upload.fields)
    except BaseException:
        discard(upload.path)
        raise
    # A file received in full with good fields goes to a media worker: the rate limit counts
    # it whatever the worker says (as a failed sign-in counts), so it is committed now, and
    # no transaction waits on the worker.
    quota.record_attempt(session, user)
    await session.commit()
    media, created = await gallery.store_upload(
        session,
        booth=booth,
        upload=upload,
        storage=storage,
        sandbox=sandbox_of(resources.of_request(request)),
        settings=settings,
    )
    return JSONResponse(media_json(media), status_code=201 if created else 200)


async def api_media(request: Request) -> Response:
    booth = await service.load_booth(db(request), _booth_id(request), viewer=user_of(request))
    items = await service.list_media(db(request), booth.id)
    return JSONResponse({"media": [media_json(m) for m in items]})


async def api_update_media(request: Request) -> Response:
    data = parse(MediaUpdate, await read_json(request))
    media = await gallery.update_media(
        db(request), actor=user_of(request), media_id=request.path_params["media_id"], data=data
    )
    return JSONResponse(media_json(media))


async def api_delete_media(request: Request) -> Response:
    orphan = await gallery.delete_media(
        db(request), actor=user_of(request), media_id=request.path_params["media_id"]
    )
    await db(request).commit()  # the row goes first; a crash after leaves only a stray file
    await gallery.remove_blob(resources.of_request(request).storage, orphan)
    return Response(status_code=204)


async def api_order_media(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(Ordering, await read_json(request))
    items = await gallery.reorder_media(
        db(request), actor=user_of(request), booth_id=_booth_id(request), ids=data.ids
    )
    return JSONResponse({"media": [media_json(m) for m in items]})


async def api_analytics(request: Request) -> Response:
    report = await analytics.booth_report(
        db(request), actor=user_of(request), booth_id=_booth_id(request)
    )
    return JSONResponse(
        {
            "booth_views": report.booth_views,
            "unique_visitors": report.unique_visitors,
            "signed_in_visitors": report.signed_in_visitors,
            "buyer_visitors": report.buyer_visitors,
            "anonymous_views": report.anonymous_views,
            "daily": [
                {
                    "day": day.isoformat(),
                    "views": n,
                    "buyer_views": report.daily_split.get(day, (0, 0))[0],
                    "anonymous_views": report.daily_split.get(day, (0, 0))[1],
                }
                for day, n in report.daily
            ],
            "product_views": [
                {"product_id": p.id, "name": p.name, "views": n} for p, n in report.product_views
            ],
            "brochure_downloads": [
                {"media_id": m.id, "filename": m.filename, "downloads": n}
                for m, n in report.brochure_downloads
            ],
            "visitors": [
                {
                    "name": v.name,
                    "company": v.company,
                    "country": v.country,
                    "role": v.role,
                    "days": v.days,
                    "last_visit": v.last_visit.isoformat(),
                }
                for v in report.visitors
            ],
        }
    )


async def api_my_booths(request: Request) -> Response:
    rows = await service.my_booths(db(request), actor=user_of(request))
    return JSONResponse({"booths": [booth_json(b, f, user_of(request)) for b, f in rows]})


async def api_review_queue(request: Request) -> Response:
    status = request.query_params.get("status", BoothStatus.PENDING)
    if status not in set(BoothStatus):
        raise ValidationFailed({"status": lazy("Not one of the allowed values.")})
    rows = await service.review_queue(
        db(request),
        actor=user_of(request),
        status=BoothStatus(status),
        fair_slug=request.query_params.get("fair") or None,
    )
    return JSONResponse({"booths": [booth_json(b, f, user_of(request)) for b, f in rows]})


async def serve_media(request: Request) -> Response:
    """A booth's file as stored, or an image variant; Range requests for video seeking."""
    session, viewer = db(request), user_of(request)
    media, booth = await gallery.media_for_viewer(
        session, request.path_params["media_id"], viewer=viewer
    )
    variant = request.path_params.get("variant")
    storage = resources.of_request(request).storage
    key, content_type = media.storage_key, media.content_type
    stand_in = False
    if variant is not None:
        if variant not in {"thumb", "large"} or media.kind != MediaKind.IMAGE:
            raise MediaNotFound()
        candidate = variant_key(media.sha256, variant)
        if storage.path(candidate).exists():
            key, content_type = candidate, "image/webp"
        else:
            stand_in = True  # the original until the job has run: not to be cached as it
    path = storage.path(key)
    if not path.exists():
        raise MediaNotFound()
    if media.kind == MediaKind.PDF:
        await count_visit(request, VisitKind.BROCHURE, booth, media.id)
    # A PDF is always saved, never shown in the site's origin (a PDF can be an HTML page
    # too); every file is named for its sniffed type and sandboxed if opened anyway.
    download = media.kind == MediaKind.PDF or bool(request.query_params.get("download"))
    name = download_name(media.filename, ACCEPTED.get(content_type), media.id)
    headers = {
        "Cache-Control": "public, max-age=86400"
        if booth.is_public and not stand_in
        else "private, max-age=0, must-revalidate",
        "Content-Disposition": content_disposition("attachment" if download else "inline", name),
        "Content-Security-Policy": MEDIA_CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return FileResponse(path, media_type=content_type, headers=headers)


routes = [
    Route("/api/fairs/{slug}/booths", api_create, methods=["POST"]),
    Route("/api/fairs/{slug}/booths", api_directory, methods=["GET"]),
    Route("/api/me/booths", api_my_booths, methods=["GET"]),
    Route("/api/review/booths", api_review_queue, methods=["GET"]),
    Route("/api/booths/{booth_id}", api_get, methods=["GET"]),
    Route("/api/booths/{booth_id}", api_update, methods=["PATCH"]),
    Route("/api/booths/{booth_id}/approve", api_approve, methods=["POST"]),
    Route("/api/booths/{booth_id}/reject", api_reject, methods=["POST"]),
    Route("/api/booths/{booth_id}/copy", api_copy, methods=["POST"]),
    Route("/api/booths/{booth_id}/analytics", api_analytics, methods=["GET"]),
    Route("/api/booths/{booth_id}/products", api_products, methods=["GET"]),
    Route("/api/booths/{booth_id}/products", api_add_product, methods=["POST"]),
    Route("/api/booths/{booth_id}/products/order", api_order_products, methods=["PUT"]),
    Route("/api/booths/{booth_id}/products/{product_id}", api_update_product, methods=["PATCH"]),
    Route("/api/booths/{booth_id}/products/{product_id}", api_delete_product, methods=["DELETE"]),
    Route("/api/booths/{booth_id}/media", api_media, methods=["GET"]),
    Route("/api/booths/{booth_id}/media", api_upload, methods=["POST"]),
    Route("/api/booths/{booth_id}/media/order", api_order_media, methods=["PUT"]),
    Route("/api/media/{media_id}", api_update_media, methods=["PATCH"]),
    Route("/api/media/{media_id}", api_delete_media, methods=["DELETE"]),
    Route("/media/{media_id}", serve_media, methods=["GET", "HEAD"]),
    Route("/media/{media_id}/{variant}", serve_media, methods=["GET", "HEAD"]),
]
