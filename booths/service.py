"""Booths: creating one, editing it, review by an organizer, copying it into the next fair.

Who may do what is decided here, not only in the routes: a booth belongs to a company and
any of its members edits it, an organizer reviews, everyone sees approved booths of
published fairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, bindparam, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from booths import revisions
from booths.errors import (
    BadOrdering,
    BoothExists,
    BoothNotFound,
    FairClosed,
    NoPendingChanges,
    NotApproved,
)
from booths.jobs import send_booth_changes_mail, send_booth_review_mail
from booths.models import (
    Booth,
    BoothRevision,
    BoothStatus,
    BoothTag,
    Media,
    Product,
    RevisionStatus,
    TagKind,
)
from booths.schemas import BoothCreate, BoothUpdate
from booths.taxonomy import CATEGORIES
from booths.text import texts
from fair import clock, outbox
from fair.accounts import companies
from fair.accounts.models import Company, Role, User
from fair.accounts.service import require_role, require_user
from fair.errors import Forbidden, ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import get_fair, phase_of
from fair.i18n import lazy
from fair.webhooks import service as webhooks

REVIEWERS = (Role.ORGANIZER,)
INSIDERS = (Role.ORGANIZER, Role.STAFF)
TAG_FIELDS = {
    "categories": TagKind.CATEGORY,
    "markets": TagKind.MARKET,
    "wanted_markets": TagKind.WANTED_MARKET,
    "languages": TagKind.LANGUAGE,
}


def can_manage(user: User | None, booth: Booth) -> bool:
    """Any member of the booth's company manages it (edits, uploads, hours, leads, hosts)."""
    return companies.is_member(user, booth.company_id)


def of_company(user: User) -> ColumnElement[bool]:
    """The booths of ``user``'s company (none when they have no company)."""
    if user.company_id is None:
        return false()
    return Booth.company_id == user.company_id


def sees_unreviewed(user: User | None, booth: Booth) -> bool:
    """Its exhibitor and the programme's insiders see what waits for review."""
    return can_manage(user, booth) or (user is not None and user.has_role(*INSIDERS))


def can_see(user: User | None, booth: Booth, fair: Fair) -> bool:
    if sees_unreviewed(user, booth):
        return True
    return booth.is_public and fair.status == "published"


# The statements of the booth's page and API, built once: SQLAlchemy keeps a statement's
# cache key on the statement, so a prebuilt one skips building and hashing it per request.
_SHOWN = (
    select(Booth, Fair, Company.confirmed_at)
    .join(Fair, Fair.id == Booth.fair_id)
    .outerjoin(Company, Company.id == Booth.company_id)
    .where(Booth.id == bindparam("booth_id"))
    .options(joinedload(Booth.tags))
)


def _rows_of(model: Any, unreviewed: bool) -> Any:
    query = select(*model.__table__.columns).where(model.booth_id == bindparam("booth_id"))
    if not unreviewed:
        query = query.where(model.awaiting_review.is_(False))
    return query.order_by(model.position, model.created_at)


_ROWS = {
    (model, unreviewed): _rows_of(model, unreviewed)
    for model in (Product, Media)
    for unreviewed in (False, True)
}


class Shown(NamedTuple):
    """A booth the viewer may see, its fair, and whether an organizer has confirmed the
    company behind it."""

    booth: Booth
    fair: Fair
    company_confirmed: bool


async def load_shown(session: AsyncSession, booth_id: str, *, viewer: User | None) -> Shown:
    """As ``load_booth``, in one statement: the booth with its tags, its fair and its
    company's confirmation (the booth's page and API read them all; three statements and
    two more fetches of the same fair before, issue 19). Whoever holds the fair keeps it
    in the session, so a later ``session.get(Fair, ...)`` reads no row again."""
    if len(booth_id) > 32:
        raise BoothNotFound()
    found = (await session.execute(_SHOWN, {"booth_id": booth_id})).unique().first()
    if found is None or not can_see(viewer, found[0], found[1]):
        raise BoothNotFound()
    booth, fair, confirmed_at = found
    return Shown(booth, fair, confirmed_at is not None)


async def load_booth(session: AsyncSession, booth_id: str, *, viewer: User | None) -> Booth:
    """A booth the viewer may see; others' unapproved booths do not exist for them."""
    booth = await session.get(Booth, booth_id) if len(booth_id) <= 32 else None
    if booth is None:
        raise BoothNotFound()
    fair = await session.get(Fair, booth.fair_id)
    if fair is None or not can_see(viewer, booth, fair):
        raise BoothNotFound()
    return booth


async def load_managed_booth(session: AsyncSession, booth_id: str, *, actor: User | None) -> Booth:
    """A booth the actor owns: 401 when signed out, 404 when missing, 403 when not theirs."""
    user = require_user(actor)
    booth = await session.get(Booth, booth_id) if len(booth_id) <= 32 else None
    if booth is None:
        raise BoothNotFound()
    if not can_manage(user, booth):
        raise Forbidden(lazy("This booth belongs to another exhibitor."))
    return booth


def _set_tags(booth: Booth, kind: TagKind, codes: Sequence[str]) -> None:
    # Rows that stay are reused: the unit of work inserts before it deletes, so dropping and
    # re-adding the same (booth, kind, code) in one flush would collide on the primary key.
    others = [tag for tag in booth.tags if tag.kind != kind]
    existing = {tag.code: tag for tag in booth.tags if tag.kind == kind}
    wanted = []
    for index, code in enumerate(codes):
        tag = existing.get(code) or BoothTag(kind=kind, code=code)
        tag.position = index
        wanted.append(tag)
    booth.tags = others + wanted


async def refresh_search(session: AsyncSession, booth: Booth) -> None:
    """Recompute the folded search text of a booth and of its products."""
    products = await list_products(session, booth.id, unreviewed=True)
    for product in products:
        product.search_text = texts(product.name, product.description, product.hs_code)
    category_labels = [CATEGORIES[code] for code in booth.categories if code in CATEGORIES]
    booth.search_name = texts(booth.company, booth.tagline)
    booth.search_text = texts(
        booth.company,
        booth.tagline,
        booth.description,
        booth.city,
        booth.certifications,
        *category_labels,
        # What waits for review is not found until it is shown.
        *(p.search_text for p in products if not p.awaiting_review),
    )


async def _ensure_open(fair: Fair) -> None:
    if phase_of(fair) == Phase.CLOSED:
        raise FairClosed()


async def _ensure_no_booth(
    session: AsyncSession, fair: Fair, company_id: str | None, *, other_than: str | None = None
) -> None:
    """One booth per company per fair; a rejected one does not count (its place is free)."""
    query = select(Booth.id).where(
        Booth.fair_id == fair.id,
        Booth.company_id == company_id,
        Booth.status != BoothStatus.REJECTED,
    )
    if other_than is not None:
        query = query.where(Booth.id != other_than)
    if await session.scalar(query):
        raise BoothExists()


async def publish_event(session: AsyncSession, event: str, booth: Booth) -> None:
    """Tell the organizers' webhook endpoints about ``booth``: ids, the fair, the company's
    name as it is shown, the status and when (no contact details)."""
    fair = await session.get(Fair, booth.fair_id)
    await webhooks.publish(
        session,
        event,
        {
            "booth_id": booth.id,
            "fair": fair.slug if fair else None,
            "exhibitor_id": booth.owner_id,
            "company_id": booth.company_id,
            "company": dict(booth.company),
            "status": booth.status,
            "at": clock.now().isoformat(),
        },
    )


async def create_booth(
    session: AsyncSession, *, actor: User | None, fair_slug: str, data: BoothCreate
) -> Booth:
    """An exhibitor opens its company's booth in a fair; it waits for review."""
    user = require_role(actor, Role.EXHIBITOR)
    fair = await get_fair(session, fair_slug, viewer=user)
    await _ensure_open(fair)
    company = await companies.ensure_company(session, user)
    await _ensure_no_booth(session, fair, company.id if company else None)
    booth = await build_booth(session, fair=fair, owner=user, data=data)
    await publish_event(session, "booth.submitted", booth)
    return booth


async def build_booth(
    session: AsyncSession, *, fair: Fair, owner: User, data: BoothCreate
) -> Booth:
    """The booth row itself, of the owner's company, without the checks of
    ``create_booth`` (the demo uses it for fairs that have already ended)."""
    company = await companies.ensure_company(session, owner)
    booth = Booth(
        fair_id=fair.id,
        owner_id=owner.id,
        company_id=company.id if company else None,
        company=data.company,
        tagline=data.tagline,
        description=data.description,
        certifications=data.certifications,
        website=data.website,
        city=data.city,
        status=BoothStatus.PENDING,
        tags=[],
    )
    _set_minimum_order(booth, data.minimum_order.model_dump() if data.minimum_order else None)
    for name, kind in TAG_FIELDS.items():
        _set_tags(booth, kind, getattr(data, name))
    session.add(booth)
    await session.flush()
    await refresh_search(session, booth)
    await session.flush()
    return booth


def _set_minimum_order(booth: Booth, value: dict[str, Any] | None) -> None:
    booth.minimum_order_amount = value["amount"] if value else None
    booth.minimum_order_unit = value["unit"] if value else None


async def update_booth(
    session: AsyncSession, *, actor: User | None, booth_id: str, data: BoothUpdate
) -> Booth:
    """Change the fields that were sent. A rejected booth that is edited goes back to review;
    an approved one keeps its public texts until an organizer approves the new ones
    (booths.revisions)."""
    booth = await load_managed_booth(session, booth_id, actor=actor)
    changes = data.model_dump(exclude_unset=True)
    # The one field that null clears: a number, so it applies at once (booths.revisions).
    clear_minimum = "minimum_order" in changes and changes["minimum_order"] is None
    if clear_minimum:
        changes["minimum_order"] = {}
    empty = [name for name, value in changes.items() if value is None]
    if empty:
        raise ValidationFailed({name: lazy("This field cannot be empty.") for name in empty})
    changes = await revisions.hold_back(session, booth, "booth", booth, changes)
    if not changes:
        return booth
    for name, value in changes.items():
        if name in TAG_FIELDS:
            _set_tags(booth, TAG_FIELDS[name], value)
        elif name == "minimum_order":
            _set_minimum_order(booth, value or None)
        else:
            setattr(booth, name, value)
    resubmitted = booth.status == BoothStatus.REJECTED
    if resubmitted:
        # Its place was freed when it was rejected: the company may have another booth now.
        fair = await session.get(Fair, booth.fair_id)
        assert fair is not None
        await _ensure_no_booth(session, fair, booth.company_id, other_than=booth.id)
        booth.status = BoothStatus.PENDING
    booth.updated_at = clock.now()
    await refresh_search(session, booth)
    await session.flush()
    if resubmitted:
        await publish_event(session, "booth.submitted", booth)
    return booth


async def _review(
    session: AsyncSession, actor: User | None, booth_id: str, status: BoothStatus, note: str
) -> Booth:
    reviewer = require_role(actor, *REVIEWERS)
    booth = await session.get(Booth, booth_id) if len(booth_id) <= 32 else None
    if booth is None:
        raise BoothNotFound()
    if booth.status == status and booth.review_note == note:
        return booth  # a repeated click changes nothing and mails nobody twice
    approved_now = booth.status != status and status == BoothStatus.APPROVED
    if booth.status != status:
        # The booth is reviewed whole from now on: what waited for review is part of it.
        await revisions.publish(session, booth)
        await refresh_search(session, booth)
    booth.status = status
    booth.review_note = note
    booth.reviewed_by = reviewer.id
    booth.reviewed_at = clock.now()
    await session.flush()
    await outbox.enqueue(
        session,
        send_booth_review_mail,
        key=f"booth-review:{booth.id}:{booth.reviewed_at.isoformat()}",
        booth_id=booth.id,
    )
    if approved_now:
        await publish_event(session, "booth.approved", booth)
    return booth


async def approve_booth(session: AsyncSession, *, actor: User | None, booth_id: str) -> Booth:
    return await _review(session, actor, booth_id, BoothStatus.APPROVED, "")


async def reject_booth(
    session: AsyncSession, *, actor: User | None, booth_id: str, reason: str
) -> Booth:
    return await _review(session, actor, booth_id, BoothStatus.REJECTED, reason)


async def _booth_for_review(session: AsyncSession, actor: User | None, booth_id: str) -> Any:
    reviewer = require_role(actor, *REVIEWERS)
    booth = await session.get(Booth, booth_id) if len(booth_id) <= 32 else None
    if booth is None:
        raise BoothNotFound()
    revision = await revisions.revision_of(session, booth.id)
    if revision is None:
        raise NoPendingChanges()
    return reviewer, booth, revision


async def _announce_changes(session: AsyncSession, booth: Booth, outcome: str) -> None:
    await outbox.enqueue(
        session,
        send_booth_changes_mail,
        key=f"booth-changes:{booth.id}:{outcome}:{clock.now().isoformat()}",
        booth_id=booth.id,
        outcome=outcome,
    )


async def approve_changes(session: AsyncSession, *, actor: User | None, booth_id: str) -> Booth:
    """Publish what waits for review in an approved booth; its exhibitor is told."""
    _reviewer, booth, _revision = await _booth_for_review(session, actor, booth_id)
    await revisions.publish(session, booth)
    booth.updated_at = clock.now()
    await refresh_search(session, booth)
    await session.flush()
    await _announce_changes(session, booth, "approved")
    return booth


async def reject_changes(
    session: AsyncSession, *, actor: User | None, booth_id: str, reason: str
) -> Booth:
    """Keep the approved version public and tell the exhibitor why their changes are not."""
    reviewer, booth, revision = await _booth_for_review(session, actor, booth_id)
    if revision.status == RevisionStatus.REJECTED and revision.note == reason:
        return booth  # a repeated click mails nobody twice
    revision.status = RevisionStatus.REJECTED
    revision.note = reason
    revision.reviewed_by = reviewer.id
    revision.reviewed_at = clock.now()
    await session.flush()
    await _announce_changes(session, booth, "rejected")
    return booth


async def changes_queue(
    session: AsyncSession, *, actor: User | None, fair_slug: str | None
) -> list[tuple[Booth, Fair]]:
    """Approved booths whose changes wait for review, longest waiting first."""
    require_role(actor, *REVIEWERS)
    query = (
        select(Booth, Fair)
        .join(Fair, Fair.id == Booth.fair_id)
        .join(BoothRevision, BoothRevision.booth_id == Booth.id)
        .where(BoothRevision.status == RevisionStatus.PENDING)
        .order_by(BoothRevision.submitted_at)
    )
    if fair_slug:
        query = query.where(Fair.slug == fair_slug)
    return [(booth, fair) for booth, fair in (await session.execute(query)).all()]


async def copy_booth(
    session: AsyncSession, *, actor: User | None, booth_id: str, fair_slug: str
) -> Booth:
    """Copy an approved booth (texts, products, media) into another fair, pending review.
    The copy is reviewed whole, so it takes the exhibitor's latest texts, and products and
    files still waiting in the source. Media rows point at the same stored blobs: nothing is
    uploaded again."""
    booth_row = await load_managed_booth(session, booth_id, actor=actor)
    if booth_row.status != BoothStatus.APPROVED:
        raise NotApproved()
    fair = await get_fair(session, fair_slug, viewer=actor)
    await _ensure_open(fair)
    await _ensure_no_booth(session, fair, booth_row.company_id)
    revision = await revisions.revision_of(session, booth_row.id)

    def latest(item: Any, subject: str) -> Any:
        return revisions.Proposed(item, revisions.proposed_fields(revision, subject, item.id))

    source = latest(booth_row, "booth")
    booth = Booth(
        fair_id=fair.id,
        owner_id=source.owner_id,
        company_id=source.company_id,
        company=dict(source.company),
        tagline=dict(source.tagline),
        description=dict(source.description),
        certifications=list(source.certifications),
        website=source.website,
        city=source.city,
        minimum_order_amount=source.minimum_order_amount,
        minimum_order_unit=source.minimum_order_unit,
        status=BoothStatus.PENDING,
        copied_from_id=source.id,
        tags=[BoothTag(kind=t.kind, code=t.code, position=t.position) for t in source.tags],
    )
    session.add(booth)
    await session.flush()
    product_ids: dict[str, str] = {}
    for product in await list_products(session, source.id, unreviewed=True):
        clone = Product(
            booth_id=booth.id,
            **{name: getattr(latest(product, "product"), name) for name in _PRODUCT_COPY_FIELDS},
        )
        session.add(clone)
        await session.flush()
        product_ids[product.id] = clone.id
    for item in await list_media(session, source.id, unreviewed=True):
        session.add(
            Media(
                booth_id=booth.id,
                product_id=product_ids.get(item.product_id or ""),
                **{name: getattr(latest(item, "media"), name) for name in MEDIA_COPY_FIELDS},
            )
        )
    await refresh_search(session, booth)
    await session.flush()
    await publish_event(session, "booth.submitted", booth)
    return booth


_PRODUCT_COPY_FIELDS = (
    "name",
    "description",
    "hs_code",
    "moq",
    "moq_unit",
    "price_min",
    "price_max",
    "currency",
    "lead_time_days",
    "position",
    "search_text",
)
MEDIA_COPY_FIELDS = (
    "kind",
    "content_type",
    "size",
    "sha256",
    "storage_key",
    "thumb_key",
    "filename",
    "title",
    "width",
    "height",
    "status",
    "position",
)


async def list_products(
    session: AsyncSession, booth_id: str, *, unreviewed: bool = False
) -> list[Product]:
    """The booth's products as buyers see them; with ``unreviewed``, also those that wait
    for review (for its exhibitor and the programme's insiders)."""
    query = select(Product).where(Product.booth_id == booth_id)
    if not unreviewed:
        query = query.where(Product.awaiting_review.is_(False))
    return list((await session.scalars(query.order_by(Product.position, Product.created_at))).all())


async def list_media(
    session: AsyncSession, booth_id: str, *, unreviewed: bool = False
) -> list[Media]:
    """As ``list_products``, for the booth's files."""
    query = select(Media).where(Media.booth_id == booth_id)
    if not unreviewed:
        query = query.where(Media.awaiting_review.is_(False))
    return list((await session.scalars(query.order_by(Media.position, Media.created_at))).all())


# The columns the booth's page and API show of its products and files: read as plain rows
# (attribute access as on the models), not as objects of the session: building, identity-
# mapping and tracking those was most of these views' CPU (issue 19). Read only.
async def product_rows(
    session: AsyncSession, booth_id: str, *, unreviewed: bool = False
) -> list[Row[Any]]:
    """As ``list_products``, as rows."""
    query = _ROWS[Product, unreviewed]
    return list((await session.execute(query, {"booth_id": booth_id})).all())


async def media_rows(
    session: AsyncSession, booth_id: str, *, unreviewed: bool = False
) -> list[Row[Any]]:
    """As ``list_media``, as rows."""
    query = _ROWS[Media, unreviewed]
    return list((await session.execute(query, {"booth_id": booth_id})).all())


async def my_booths(session: AsyncSession, *, actor: User | None) -> list[tuple[Booth, Fair]]:
    user = require_user(actor)
    query = (
        select(Booth, Fair)
        .join(Fair, Fair.id == Booth.fair_id)
        .where(of_company(user))
        .order_by(Fair.starts_on.desc())
    )
    return [(booth, fair) for booth, fair in (await session.execute(query)).all()]


async def review_queue(
    session: AsyncSession, *, actor: User | None, status: BoothStatus, fair_slug: str | None
) -> list[tuple[Booth, Fair]]:
    require_role(actor, *REVIEWERS)
    query = (
        select(Booth, Fair)
        .join(Fair, Fair.id == Booth.fair_id)
        .where(Booth.status == status)
        .order_by(Fair.starts_on, Booth.created_at)
    )
    if fair_slug:
        query = query.where(Fair.slug == fair_slug)
    return [(booth, fair) for booth, fair in (await session.execute(query)).all()]


async def waiting_review(session: AsyncSession, actor: User) -> int:
    """How many booths wait for a reviewer's decision (the organizers' desk)."""
    require_role(actor, *REVIEWERS)
    found = await session.scalar(
        select(func.count()).select_from(Booth).where(Booth.status == BoothStatus.PENDING)
    )
    return int(found or 0)


async def counts_by_status(session: AsyncSession, fair_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Booth.status, func.count()).where(Booth.fair_id == fair_id).group_by(Booth.status)
    )
    return {status: count for status, count in rows.all()}


def apply_order(items: Sequence[Any], ids: Sequence[str]) -> None:
    """Set ``position`` from a full list of the items' ids, in the wanted order."""
    by_id = {item.id: item for item in items}
    if len(ids) != len(by_id) or set(ids) != set(by_id):
        raise BadOrdering()
    for position, item_id in enumerate(ids):
        by_id[item_id].position = position


def completeness(
    booth: Booth, products: Sequence[Product], media: Sequence[Media]
) -> list[tuple[str, bool]]:
    """What a buyer will find, item by item (msgid, done); the editor shows the missing ones."""
    images = [m for m in media if m.kind == "image"]
    return [
        (lazy("A tagline in Japanese and English"), {"ja", "en"} <= set(booth.tagline)),
        (
            lazy("Your company story in Japanese and English"),
            {"ja", "en"} <= set(booth.description),
        ),
        (
            lazy("Texts in at least one buyer language (Chinese, Vietnamese or Thai)"),
            bool(
                {"zh_Hans", "zh_Hant", "vi", "th"} & (set(booth.description) | set(booth.tagline))
            ),
        ),
        (lazy("At least one industry category"), bool(booth.categories)),
        (lazy("Target markets"), bool(booth.markets)),
        (lazy("At least three products"), len(products) >= 3),
        (
            lazy("Prices or minimum order quantities for every product"),
            bool(products) and all(p.moq or p.price_min is not None for p in products),
        ),
        (lazy("At least three photos"), len(images) >= 3),
        (lazy("A brochure (PDF) or a video"), any(m.kind in {"pdf", "video"} for m in media)),
        (lazy("Your website"), bool(booth.website)),
    ]
