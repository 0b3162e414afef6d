"""The booth API's response shapes (``fair.api``): they serialize the responses and describe
them in ``/api/openapi.json``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import MISSING, BaseModel, ConfigDict, Field, PlainSerializer

from booths import analytics, directory, models, revisions, service
from booths.models import BoothStatus, MediaKind
from fair.accounts.models import User
from fair.api import Instant, Texts
from fair.fairs.models import Fair


def _two_places(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


Money = Annotated[
    Decimal | None,
    PlainSerializer(_two_places, return_type=str | None, when_used="json"),
    Field(description="decimal, two places"),
]


class Media(BaseModel):
    id: str
    booth_id: str
    product_id: str | None
    kind: MediaKind
    content_type: str
    size: int
    sha256: str
    filename: str
    title: Texts
    width: int | None
    height: int | None
    status: Literal["processing", "ready", "failed"]
    position: int
    # Uploaded to an approved booth and not yet approved: served to nobody but its
    # exhibitor and the programme's organizers and staff.
    awaiting_review: bool
    url: str
    thumb_url: str | MISSING = MISSING  # images only, as large_url
    large_url: str | MISSING = MISSING
    # For its exhibitor, organizers and staff: the caption waiting for review.
    pending_changes: dict[str, Texts] | MISSING = MISSING

    @classmethod
    def of(cls, media: models.Media, pending: dict[str, Texts] | None = None) -> Media:
        """The file as buyers see it; ``pending``: its changes waiting for review, for those
        who may see them."""
        url = f"/media/{media.id}"
        variants = {}
        if media.kind == MediaKind.IMAGE:
            variants = {"thumb_url": f"{url}/thumb", "large_url": f"{url}/large"}
        return cls(
            id=media.id,
            booth_id=media.booth_id,
            product_id=media.product_id,
            kind=MediaKind(media.kind),
            content_type=media.content_type,
            size=media.size,
            sha256=media.sha256,
            filename=media.filename,
            title=media.title,
            width=media.width,
            height=media.height,
            status=media.status,
            position=media.position,
            awaiting_review=media.awaiting_review,
            url=url,
            **variants,
            **({} if pending is None else {"pending_changes": pending}),
        )


class Product(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    booth_id: str
    name: Texts
    description: Texts
    hs_code: str
    moq: int | None
    moq_unit: str
    price_min: Money
    price_max: Money
    currency: str
    lead_time_days: int | None
    position: int
    # Added to an approved booth and not yet approved: shown to nobody but its exhibitor
    # and the programme's organizers and staff.
    awaiting_review: bool
    # For its exhibitor, organizers and staff: the name or description waiting for review.
    pending_changes: dict[str, Texts] | MISSING = MISSING

    @classmethod
    def of(cls, product: models.Product, pending: dict[str, Texts] | None = None) -> Product:
        """The product as buyers see it; ``pending`` as for Media."""
        made = cls.model_validate(product)
        if pending is not None:
            made.pending_changes = pending
        return made


class FieldChange(BaseModel):
    """One field waiting for review: what buyers see now and what the exhibitor wrote."""

    subject: Literal["booth", "product", "media"]
    id: str  # the booth's, the product's or the file's
    field: str
    before: Texts | list[str] | str
    after: Texts | list[str] | str


class PendingChanges(BaseModel):
    """Changes to an approved booth that wait for an organizer. Until they are approved,
    buyers see the booth's approved version: the booth's, products' and files' own fields."""

    status: Literal["pending", "rejected"]  # rejected: sent back, see ``note``
    note: str  # the organizer's reason when sent back
    submitted_at: Instant
    reviewed_at: Instant | None
    changes: list[FieldChange]
    added_products: list[str]  # ids of products shown once approved
    added_media: list[str]  # ids of files served once approved

    @classmethod
    def of(cls, pending: revisions.Pending) -> PendingChanges:
        revision = pending.revision
        return cls(
            status=revision.status,
            note=revision.note,
            submitted_at=revision.submitted_at,
            reviewed_at=revision.reviewed_at,
            changes=[
                FieldChange(
                    subject=c.subject, id=c.item_id, field=c.field, before=c.before, after=c.after
                )
                for c in pending.changes
            ],
            added_products=[p.id for p in pending.added_products],
            added_media=[m.id for m in pending.added_media],
        )


class BoothMinimumOrder(BaseModel):
    amount: int
    unit: str  # piece, kg, ... (a product's moq_unit)


class BoothCard(BaseModel):
    """A booth without its long company story (its description)."""

    id: str
    fair: str | None
    status: BoothStatus
    company: Texts
    title: Texts
    tagline: Texts
    categories: list[str]
    markets: list[str]  # where the company sells
    wanted_markets: list[str]  # "buyers we want": buyers who sell in these
    minimum_order: BoothMinimumOrder | None  # for products that give no minimum of their own
    languages: list[str]
    certifications: list[str]
    website: str
    city: str
    copied_from: str | None
    created_at: Instant
    updated_at: Instant
    # For its exhibitor and the programme's organizers and staff only.
    review_note: str | MISSING = MISSING
    reviewed_at: Instant | MISSING | None = MISSING
    # The same: null when buyers see everything the exhibitor wrote.
    pending_changes: PendingChanges | MISSING | None = MISSING

    @staticmethod
    def fields_of(
        booth: models.Booth | directory.Card,
        fair: Fair | None,
        viewer: User | None,
        pending: revisions.Pending | None = None,
    ) -> dict[str, object]:
        fields: dict[str, object] = {
            "id": booth.id,
            "fair": fair.slug if fair else None,
            "status": BoothStatus(booth.status),
            "company": booth.company,
            "title": booth.company,
            "tagline": booth.tagline,
            "categories": booth.categories,
            "markets": booth.markets,
            "wanted_markets": booth.wanted_markets,
            "minimum_order": booth.minimum_order,
            "languages": booth.languages,
            "certifications": booth.certifications,
            "website": booth.website,
            "city": booth.city,
            "copied_from": booth.copied_from_id,
            "created_at": booth.created_at,
            "updated_at": booth.updated_at,
        }
        if service.sees_unreviewed(viewer, booth):
            fields["review_note"] = booth.review_note
            fields["reviewed_at"] = booth.reviewed_at
            fields["pending_changes"] = PendingChanges.of(pending) if pending else None
        return fields


class Booth(BoothCard):
    description: Texts

    @classmethod
    def of(
        cls,
        booth: models.Booth,
        fair: Fair | None = None,
        viewer: User | None = None,
        pending: revisions.Pending | None = None,
        **more: object,
    ) -> Self:
        """The booth as ``viewer`` may see it (``pending``: what waits for review in it);
        ``more``: a subclass's own fields."""
        fields = cls.fields_of(booth, fair, viewer, pending)
        return cls.model_validate({**fields, "description": booth.description, **more})


class BoothDetail(Booth):
    products: list[Product]
    media: list[Media]


class Booths(BaseModel):
    booths: list[Booth]


class MatchedProduct(BaseModel):
    id: str
    name: Texts
    hs_code: str


class DirectoryBooth(BoothCard):
    """A booth in a list: everything but the long company story, which GET
    /api/booths/{id} carries (in six languages it was four fifths of a directory page)."""

    product_count: int
    cover: Media | None
    matched_products: list[MatchedProduct]

    @classmethod
    def of(cls, hit: directory.Hit, fair: Fair) -> DirectoryBooth:
        return cls.model_validate(
            {
                **cls.fields_of(hit.booth, fair, None),
                "product_count": hit.product_count,
                "cover": Media.of(hit.cover) if hit.cover else None,
                "matched_products": [
                    MatchedProduct(id=p.id, name=p.name, hs_code=p.hs_code)
                    for p in hit.matched_products
                ],
            }
        )


class Facets(BaseModel):
    category: dict[str, int]  # booths per category code


class Directory(BaseModel):
    fair: str
    total: int
    page: int
    pages: int
    booths: list[DirectoryBooth]
    facets: Facets

    @classmethod
    def of(cls, fair: Fair, page: directory.Page) -> Directory:
        return cls(
            fair=fair.slug,
            total=page.total,
            page=page.page,
            pages=page.pages,
            booths=[DirectoryBooth.of(hit, fair) for hit in page.hits],
            facets=Facets(category=page.category_counts),
        )


class Products(BaseModel):
    products: list[Product]


class MediaList(BaseModel):
    media: list[Media]


class DailyViews(BaseModel):
    day: date
    views: int
    # Of the views: by signed-in buyers (each once a day), and without signing in.
    buyer_views: int
    anonymous_views: int


class ProductViews(BaseModel):
    product_id: str
    name: Texts
    views: int


class BrochureDownloads(BaseModel):
    media_id: str
    filename: str
    downloads: int


class Visitor(BaseModel):
    name: str
    company: str
    country: str
    role: str
    days: int
    last_visit: Instant


class BoothAnalytics(BaseModel):
    booth_views: int
    unique_visitors: int
    signed_in_visitors: int
    # Signed-in buyers who came (each once), and views without signing in (shown apart:
    # address and browser can be varied at will, so they are no count of visitors).
    buyer_visitors: int
    anonymous_views: int
    daily: list[DailyViews]
    product_views: list[ProductViews]
    brochure_downloads: list[BrochureDownloads]
    visitors: list[Visitor]

    @classmethod
    def of(cls, report: analytics.Report) -> BoothAnalytics:
        return cls(
            booth_views=report.booth_views,
            unique_visitors=report.unique_visitors,
            signed_in_visitors=report.signed_in_visitors,
            buyer_visitors=report.buyer_visitors,
            anonymous_views=report.anonymous_views,
            daily=[
                DailyViews(
                    day=day,
                    views=n,
                    buyer_views=report.daily_split.get(day, (0, 0))[0],
                    anonymous_views=report.daily_split.get(day, (0, 0))[1],
                )
                for day, n in report.daily
            ],
            product_views=[
                ProductViews(product_id=p.id, name=p.name, views=n) for p, n in report.product_views
            ],
            brochure_downloads=[
                BrochureDownloads(media_id=m.id, filename=m.filename, downloads=n)
                for m, n in report.brochure_downloads
            ],
            visitors=[
                Visitor(
                    name=v.name,
                    company=v.company,
                    country=v.country,
                    role=v.role,
                    days=v.days,
                    last_visit=v.last_visit,
                )
                for v in report.visitors
            ],
        )
