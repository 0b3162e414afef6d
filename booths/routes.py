"""Booth API under /api (JSON; media uploads as multipart) and the media file endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths import (
    analytics,
    catalog,
    directory,
    directory_cache,
    gallery,
    kept_items,
    quota,
    responses,
    revisions,
    service,
)
from booths.bots import is_bot
from booths.errors import MediaNotFound
from booths.media import (
    ACCEPTED,
    MEDIA_CSP,
    content_disposition,
    download_name,
    largest_limit,
    receive_upload,
    variant_key,
)
from booths.models import Booth, BoothStatus, MediaKind, VisitKind
from booths.sandbox import sandbox_of
from booths.schemas import (
    BoothCreate,
    BoothUpdate,
    CopyRequest,
    MediaUpdate,
    MediaUpload,
    Ordering,
    ProductCreate,
    ProductUpdate,
    Rejection,
)
from booths.taxonomy import CATEGORIES
from fair import clock, resources, uploads
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint, Scope
from fair.errors import ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.service import get_fair
from fair.i18n import lazy
from fair.schemas import check_country, check_language, parse
from fair.storage import discard
from fair.web import (
    PayloadTooLarge,
    check_upload_csrf,
    client_address,
    db,
    json_response,
    read_json,
    settings_of,
    user_of,
    writing,
)


async def _fair_of(request: Request, booth: Booth) -> Fair | None:
    return await db(request).get(Fair, booth.fair_id)


def _booth_id(request: Request) -> str:
    return request.path_params["booth_id"]


async def _booth_shape(
    request: Request, booth: Booth, shape: type[responses.Booth] = responses.Booth, **more: Any
) -> responses.Booth:
    """The booth as the caller may see it: the public version, and for its exhibitor and
    the programme's insiders what waits for review."""
    viewer = user_of(request)
    pending = None
    if service.sees_unreviewed(viewer, booth):
        pending = await revisions.pending_of(db(request), booth)
    return shape.of(booth, await _fair_of(request, booth), viewer, pending, **more)


async def _booth_answer(request: Request, booth: Booth, status: int = 200) -> Response:
    return json_response(await _booth_shape(request, booth), status)


class _Items:
    """A booth's products and files for one caller: those waiting for review, and the
    changes waiting in the others, only for its exhibitor and the programme's insiders."""

    def __init__(
        self, booth: Booth, revision: Any, insider: bool, kept: kept_items.Items | None
    ) -> None:
        self.booth, self.revision, self.insider, self.kept = booth, revision, insider, kept

    @classmethod
    async def of(cls, request: Request, booth: Booth, fair: Fair | None = None) -> _Items:
        """``fair``: the booth's, read by this reading request: a visitor's products and
        files are then the kept ones (``booths.kept_items``), looked up once."""
        session = db(request)
        insider = service.sees_unreviewed(user_of(request), booth)
        revision = await revisions.revision_of(session, booth.id) if insider else None
        kept = None
        if fair is not None and not insider:
            kept = await kept_items.public_items(session, booth, fair)
        return cls(booth, revision, insider, kept)

    def _pending(self, subject: str, item_id: str) -> dict[str, Any] | None:
        return revisions.proposed_fields(self.revision, subject, item_id) if self.insider else None

    def product(self, product: Any) -> responses.Product:
        return responses.Product.of(product, self._pending("product", product.id))

    def media(self, media: Any) -> responses.Media:
        return responses.Media.of(media, self._pending("media", media.id))

    async def products(self, request: Request) -> list[responses.Product]:
        if self.kept is not None:
            found: Sequence[Any] = self.kept.products
        else:
            found = await service.product_rows(db(request), self.booth.id, unreviewed=self.insider)
        return [self.product(p) for p in found]

    async def files(self, request: Request) -> list[responses.Media]:
        if self.kept is not None:
            found: Sequence[Any] = self.kept.media
        else:
            found = await service.media_rows(db(request), self.booth.id, unreviewed=self.insider)
        return [self.media(m) for m in found]


async def api_create(request: Request) -> Response:
    require_role(user_of(request), Role.EXHIBITOR)
    data = parse(BoothCreate, await read_json(request))
    slug = request.path_params["slug"]
    booth = await service.create_booth(
        db(request), actor=user_of(request), fair_slug=slug, data=data
    )
    return await _booth_answer(request, booth, 201)


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


async def api_directory(request: Request) -> Response:
    filters = query_filters(request)
    fair = await get_fair(db(request), request.path_params["slug"], viewer=user_of(request))
    megabytes = settings_of(request).directory_cache_mb
    body = await directory_cache.answer(db(request), fair, filters, megabytes=megabytes)
    return Response(body, media_type="application/json")


def visitor_of(request: Request) -> str:
    return analytics.visitor_key(
        user_of(request), client_address(request), request.headers.get("user-agent", "")
    )


async def count_visit(
    request: Request, kind: VisitKind, booth: Booth, subject_id: str, fair: Fair | None = None
) -> None:
    """Count the view (``fair``: the booth's, when the caller holds it). A view this
    process has seen recorded today writes nothing, and its GET stays a reader's."""
    viewer = user_of(request)
    if viewer is None and is_bot(request.headers.get("user-agent", "")):
        return  # crawlers and tools are nobody's visit (an account counts once whatever)
    if not analytics.counts_for(viewer, booth):
        return
    now = clock.now()
    if fair is None:
        fair = await db(request).get(Fair, booth.fair_id)
    key = visitor_of(request)
    if analytics.recorded(kind, subject_id, key, analytics.visit_day(now, fair)):
        return
    await analytics.record_visit(
        await writing(request),  # a GET's transaction only reads
        kind=kind,
        booth=booth,
        subject_id=subject_id,
        viewer=viewer,
        key=key,
        now=now,
        fair=fair,
    )


async def api_get(request: Request) -> Response:
    session, viewer = db(request), user_of(request)
    # ``shown`` holds the fair for the whole request: the visit's count finds it in the
    # session instead of reading it again.
    shown = await service.load_shown(session, _booth_id(request), viewer=viewer)
    booth = shown.booth
    await count_visit(request, VisitKind.BOOTH, booth, booth.id, shown.fair)
    items = await _Items.of(request, booth, shown.fair)
    pending = await revisions.pending_of(session, booth) if items.insider else None
    detail = responses.BoothDetail.of(
        booth,
        shown.fair,
        viewer,
        pending,
        products=await items.products(request),
        media=await items.files(request),
    )
    return json_response(detail)


async def api_update(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(BoothUpdate, await read_json(request))
    booth = await service.update_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request), data=data
    )
    return await _booth_answer(request, booth)


def _review(
    act: Callable[..., Awaitable[Booth]], *, with_reason: bool
) -> Callable[[Request], Awaitable[Response]]:
    """An organizer's decision on a booth, or on an approved booth's changes: approve, or
    send back with the body's reason."""

    async def endpoint(request: Request) -> Response:
        reason: dict[str, str] = {}
        if with_reason:
            require_role(user_of(request), *service.REVIEWERS)
            reason["reason"] = parse(Rejection, await read_json(request)).reason
        booth = await act(
            db(request), actor=user_of(request), booth_id=_booth_id(request), **reason
        )
        return await _booth_answer(request, booth)

    return endpoint


api_approve = _review(service.approve_booth, with_reason=False)
api_reject = _review(service.reject_booth, with_reason=True)
api_approve_changes = _review(service.approve_changes, with_reason=False)
api_reject_changes = _review(service.reject_changes, with_reason=True)


async def api_copy(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(CopyRequest, await read_json(request))
    booth = await service.copy_booth(
        db(request), actor=user_of(request), booth_id=_booth_id(request), fair_slug=data.fair
    )
    return await _booth_answer(request, booth, 201)


async def api_products(request: Request) -> Response:
    booth = await service.load_booth(db(request), _booth_id(request), viewer=user_of(request))
    items = await _Items.of(request, booth)
    return json_response(responses.Products(products=await items.products(request)))


async def api_add_product(request: Request) -> Response:
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(ProductCreate, await read_json(request))
    product = await catalog.add_product(
        db(request), actor=user_of(request), booth_id=_booth_id(request), data=data
    )
    return json_response(await _own_product(request, product), 201)


async def _own_product(request: Request, product: Any) -> responses.Product:
    booth = await service.load_managed_booth(db(request), product.booth_id, actor=user_of(request))
    return (await _Items.of(request, booth)).product(product)


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
    return json_response(await _own_product(request, product))


async def api_delete_product(request: Request) -> Response:
    await catalog.delete_product(
        db(request),
        actor=user_of(request),
        booth_id=_booth_id(request),
        product_id=request.path_params["product_id"],
    )
    return Response(status_code=204)


T = TypeVar("T")


async def _reorder(request: Request, reorder: Callable[..., Awaitable[T]]) -> T:
    """Puts the booth's products or pictures in the order the body lists."""
    await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request))
    data = parse(Ordering, await read_json(request))
    return await reorder(
        db(request), actor=user_of(request), booth_id=_booth_id(request), ids=data.ids
    )


async def api_order_products(request: Request) -> Response:
    products = await _reorder(request, catalog.reorder_products)
    items = await _Items.of(
        request,
        await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request)),
    )
    return json_response(responses.Products(products=[items.product(p) for p in products]))


async def api_upload(request: Request) -> Response:
    session, settings, user = db(request), settings_of(request), user_of(request)
    booth = await service.load_managed_booth(session, _booth_id(request), actor=user)
    assert user is not None  # the owner, by load_managed_booth
    check_upload_csrf(request)
    declared = request.headers.get("content-length", "")
    if uploads.declared_over(declared, largest_limit(settings) + uploads.OVERHEAD):
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
    items = await _Items.of(request, booth)
    return json_response(items.media(media), 201 if created else 200)


async def api_media(request: Request) -> Response:
    booth = await service.load_booth(db(request), _booth_id(request), viewer=user_of(request))
    items = await _Items.of(request, booth)
    return json_response(responses.MediaList(media=await items.files(request)))


async def api_update_media(request: Request) -> Response:
    data = parse(MediaUpdate, await read_json(request))
    media = await gallery.update_media(
        db(request), actor=user_of(request), media_id=request.path_params["media_id"], data=data
    )
    booth = await service.load_managed_booth(db(request), media.booth_id, actor=user_of(request))
    return json_response((await _Items.of(request, booth)).media(media))


async def api_delete_media(request: Request) -> Response:
    orphan = await gallery.delete_media(
        db(request), actor=user_of(request), media_id=request.path_params["media_id"]
    )
    await db(request).commit()  # the row goes first; a crash after leaves only a stray file
    await gallery.remove_blob(resources.of_request(request).storage, orphan)
    return Response(status_code=204)


async def api_order_media(request: Request) -> Response:
    files = await _reorder(request, gallery.reorder_media)
    items = await _Items.of(
        request,
        await service.load_managed_booth(db(request), _booth_id(request), actor=user_of(request)),
    )
    return json_response(responses.MediaList(media=[items.media(m) for m in files]))


async def api_analytics(request: Request) -> Response:
    report = await analytics.booth_report(
        db(request), actor=user_of(request), booth_id=_booth_id(request)
    )
    return json_response(responses.BoothAnalytics.of(report))


async def api_my_booths(request: Request) -> Response:
    rows = await service.my_booths(db(request), actor=user_of(request))
    return json_response(responses.Booths(booths=[await _booth_shape(request, b) for b, _ in rows]))


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
    return json_response(responses.Booths(booths=[await _booth_shape(request, b) for b, _ in rows]))


async def api_changes_queue(request: Request) -> Response:
    rows = await service.changes_queue(
        db(request), actor=user_of(request), fair_slug=request.query_params.get("fair") or None
    )
    return json_response(responses.Booths(booths=[await _booth_shape(request, b) for b, _ in rows]))


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
        if await storage.exists(candidate):
            key, content_type = candidate, "image/webp"
        else:
            stand_in = True  # the original until the job has run: not to be cached as it
    # A PDF is always saved, never shown in the site's origin (a PDF can be an HTML page
    # too); every file is named for its sniffed type and sandboxed if opened anyway.
    download = media.kind == MediaKind.PDF or bool(request.query_params.get("download"))
    name = download_name(media.filename, ACCEPTED.get(content_type), media.id)
    headers = {
        "Cache-Control": "public, max-age=86400"
        if booth.is_public and not media.awaiting_review and not stand_in
        else "private, max-age=0, must-revalidate",
        "Content-Disposition": content_disposition("attachment" if download else "inline", name),
        "Content-Security-Policy": MEDIA_CSP,
        "X-Content-Type-Options": "nosniff",
    }
    # The folder's file, the bucket's bytes streamed on, or a redirect to a signed URL of
    # the bucket (FAIR_S3_PRESIGNED_DOWNLOADS); Range requests and HEAD in each case.
    response = await storage.download(request, key, media_type=content_type, headers=headers)
    if response is None:
        raise MediaNotFound()
    if media.kind == MediaKind.PDF:
        await count_visit(request, VisitKind.BROCHURE, booth, media.id)
    return response


WRITE = (401, 403, 404)  # besides a JSON body's own (fair.api): not signed in, not yours

API = [
    Endpoint(
        "POST",
        "/api/fairs/{slug}/booths",
        api_create,
        "Open your company's booth (exhibitor)",
        responses.Booth,
        status=201,
        body=BoothCreate,
        errors=(*WRITE, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "GET",
        "/api/fairs/{slug}/booths",
        api_directory,
        "Approved booths of a fair: search, filters, pages",
        responses.Directory,
        query=("q", "category", "market", "language", "sort", "page", "per_page"),
        errors=(404, 422),
    ),
    Endpoint("GET", "/api/me/booths", api_my_booths, "My booths", responses.Booths, errors=(401,)),
    Endpoint(
        "GET",
        "/api/review/booths",
        api_review_queue,
        "Booths by review status (organizer)",
        responses.Booths,
        query=("status", "fair"),
        errors=(401, 403, 422),
    ),
    Endpoint(
        "GET",
        "/api/review/changes",
        api_changes_queue,
        "Approved booths whose changes wait for review, with them (organizer)",
        responses.Booths,
        query=("fair",),
        errors=(401, 403),
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}",
        api_get,
        "A booth with products and media",
        responses.BoothDetail,
        errors=(404,),
    ),
    Endpoint(
        "PATCH",
        "/api/booths/{booth_id}",
        api_update,
        "Change booth texts (its exhibitor); on an approved booth, texts wait for review",
        responses.Booth,
        body=BoothUpdate,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/approve",
        api_approve,
        "Approve (organizer)",
        responses.Booth,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/reject",
        api_reject,
        "Ask for changes (organizer)",
        responses.Booth,
        body=Rejection,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/changes/approve",
        api_approve_changes,
        "Publish an approved booth's changes (organizer)",
        responses.Booth,
        errors=(*WRITE, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/changes/reject",
        api_reject_changes,
        "Keep an approved booth's public version; tell its exhibitor why (organizer)",
        responses.Booth,
        body=Rejection,
        errors=(*WRITE, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/copy",
        api_copy,
        "Copy an approved booth into another fair (its exhibitor)",
        responses.Booth,
        status=201,
        body=CopyRequest,
        errors=(*WRITE, 409),
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/analytics",
        api_analytics,
        "Visits, product views, downloads, visitors",
        responses.BoothAnalytics,
        errors=WRITE,
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/products",
        api_products,
        "Products",
        responses.Products,
        errors=(404,),
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/products",
        api_add_product,
        "Add a product",
        responses.Product,
        status=201,
        body=ProductCreate,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "PUT",
        "/api/booths/{booth_id}/products/order",
        api_order_products,
        "Reorder products",
        responses.Products,
        body=Ordering,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "PATCH",
        "/api/booths/{booth_id}/products/{product_id}",
        api_update_product,
        "Change a product",
        responses.Product,
        body=ProductUpdate,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "DELETE",
        "/api/booths/{booth_id}/products/{product_id}",
        api_delete_product,
        "Remove a product",
        status=204,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/media",
        api_media,
        "Media",
        responses.MediaList,
        errors=(404,),
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/media",
        api_upload,
        "Upload a file (multipart field `file`; header X-CSRF-Token)",
        responses.Media,
        status=201,
        form=MediaUpload,
        # 429: the per-account upload rate limit; 503: no media worker could be started.
        errors=(*WRITE, 429, 503),
        # The same file again (by its SHA-256) is not stored twice: 200 and the one there.
        also={200: "already uploaded"},
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "PUT",
        "/api/booths/{booth_id}/media/order",
        api_order_media,
        "Reorder media",
        responses.MediaList,
        body=Ordering,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "PATCH",
        "/api/media/{media_id}",
        api_update_media,
        "Caption or product of a file",
        responses.Media,
        body=MediaUpdate,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "DELETE",
        "/api/media/{media_id}",
        api_delete_media,
        "Delete a file",
        status=204,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
]

routes = [
    Route("/media/{media_id}", serve_media, methods=["GET", "HEAD"]),
    Route("/media/{media_id}/{variant}", serve_media, methods=["GET", "HEAD"]),
]
