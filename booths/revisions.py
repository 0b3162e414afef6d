"""Changes to an approved booth wait for an organizer before buyers see them.

The rule: what the exhibitor writes in words is published only after review; what they
choose from a fixed list, numbers, order and removals apply at once, since they publish
nothing new. So on an approved booth
- the booth's company name, tagline, story, certifications, website and city, a product's
  name and description, and a file's caption are held in the booth's ``BoothRevision``
  (the public rows keep the approved texts);
- a product added or a file uploaded is a row marked ``awaiting_review``, shown to nobody
  but the booth's exhibitor and the programme's insiders (``/media/{id}`` answers 404 to
  everyone else);
- categories, markets, the markets buyers are wanted from, meeting languages, HS codes,
  quantities (a product's or the booth's minimum order), prices, lead times, the order of
  things, a file's product and every removal apply at once.
An organizer approves the revision (everything in it is published, the marks are cleared)
or sends it back with a reason: the approved version stays public, the exhibitor is told
why and edits on; the next change sends it back to review. A booth that is not approved is
reviewed whole, so its edits apply directly, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import (
    Booth,
    BoothRevision,
    BoothStatus,
    Media,
    Product,
    RevisionStatus,
)
from fair import clock
from fair.i18n import LANGUAGES

REVIEWED = {
    "booth": ("company", "tagline", "description", "certifications", "website", "city"),
    "product": ("name", "description"),
    "media": ("title",),
}
_COLUMN = {"booth": "booth_fields", "product": "product_fields", "media": "media_fields"}


def held_back(booth: Booth) -> bool:
    """Whether the booth's public texts are reviewed before they change (it is public)."""
    return booth.status == BoothStatus.APPROVED


async def revision_of(session: AsyncSession, booth_id: str) -> BoothRevision | None:
    return await session.get(BoothRevision, booth_id)


def proposed_fields(revision: BoothRevision | None, subject: str, item_id: str) -> dict[str, Any]:
    """The changes waiting for review of one item (``subject``: booth, product or media)."""
    if revision is None:
        return {}
    if subject == "booth":
        return dict(revision.booth_fields)
    return dict(getattr(revision, _COLUMN[subject]).get(item_id, {}))


class Proposed:
    """An item as its exhibitor last wrote it: the public row with the changes waiting for
    review laid over it. Read only; for the exhibitor's own pages and copies."""

    def __init__(self, item: Any, changes: Mapping[str, Any]) -> None:
        self._item = item
        self._changes = changes

    @property
    def has_changes(self) -> bool:
        return bool(self._changes)

    def __getattr__(self, name: str) -> Any:
        changes = self.__dict__["_changes"]
        return changes[name] if name in changes else getattr(self.__dict__["_item"], name)


def _touch(revision: BoothRevision) -> None:
    # Edited again: back to the organizers (the earlier note stays for them to read).
    revision.status = RevisionStatus.PENDING
    revision.submitted_at = clock.now()


async def _open_revision(session: AsyncSession, booth: Booth) -> BoothRevision:
    revision = await revision_of(session, booth.id)
    if revision is None:
        revision = BoothRevision(
            booth_id=booth.id, booth_fields={}, product_fields={}, media_fields={}
        )
        session.add(revision)
        await session.flush()  # found by the next get of this unit of work (no autoflush)
    return revision


async def hold_back(
    session: AsyncSession, booth: Booth, subject: str, item: Any, changes: dict[str, Any]
) -> dict[str, Any]:
    """Keep the reviewed fields of ``changes`` to ``item`` (the booth, one of its products or
    files) in the booth's revision, and return the rest, which apply at once. A field sent
    back to its public value is no longer a change. Items not public yet (the booth not
    approved, or the item itself waiting) take every change directly."""
    if not held_back(booth) or getattr(item, "awaiting_review", False):
        return changes
    reviewed = {k: v for k, v in changes.items() if k in REVIEWED[subject]}
    if not reviewed:
        return changes
    revision = await revision_of(session, booth.id)
    current = proposed_fields(revision, subject, item.id)
    wanted = dict(current)
    for name, value in reviewed.items():
        if value == getattr(item, name):
            wanted.pop(name, None)
        else:
            wanted[name] = value
    if wanted != current:
        revision = revision or await _open_revision(session, booth)
        _store(revision, subject, item.id, wanted)
        _touch(revision)
        await prune(session, booth, revision)
    return {k: v for k, v in changes.items() if k not in reviewed}


def _store(revision: BoothRevision, subject: str, item_id: str, wanted: dict[str, Any]) -> None:
    # JSON columns are replaced, never changed in place, so the change is always written.
    if subject == "booth":
        revision.booth_fields = wanted
        return
    column = _COLUMN[subject]
    by_item = dict(getattr(revision, column))
    if wanted:
        by_item[item_id] = wanted
    else:
        by_item.pop(item_id, None)
    setattr(revision, column, by_item)


async def mark_added(session: AsyncSession, booth: Booth, item: Product | Media) -> None:
    """A product or file added to a public booth waits for review, hidden."""
    if not held_back(booth):
        return
    item.awaiting_review = True
    _touch(await _open_revision(session, booth))


async def forget(session: AsyncSession, booth: Booth, subject: str, item_id: str) -> None:
    """An item removed: its waiting changes go with it."""
    revision = await revision_of(session, booth.id)
    if revision is not None and item_id in getattr(revision, _COLUMN[subject]):
        _store(revision, subject, item_id, {})
        await prune(session, booth, revision)


async def _has_added(session: AsyncSession, booth_id: str) -> bool:
    for model in (Product, Media):
        found = await session.scalar(
            select(model.id).where(model.booth_id == booth_id, model.awaiting_review).limit(1)
        )
        if found:
            return True
    return False


async def prune(session: AsyncSession, booth: Booth, revision: BoothRevision) -> None:
    """A revision with nothing left to review is dropped: the booth is as approved."""
    await session.flush()
    if revision.booth_fields or revision.product_fields or revision.media_fields:
        return
    if not await _has_added(session, booth.id):
        await session.delete(revision)
        await session.flush()


async def publish(session: AsyncSession, booth: Booth) -> None:
    """Lay the booth's revision onto its public rows and show what was added; the revision
    is gone afterwards (the caller refreshes the search text)."""
    revision = await revision_of(session, booth.id)
    if revision is not None:
        for name, value in revision.booth_fields.items():
            setattr(booth, name, value)
        for model, column in ((Product, "product_fields"), (Media, "media_fields")):
            for item_id, changes in getattr(revision, column).items():
                item = await session.get(model, item_id)
                if item is not None and item.booth_id == booth.id:
                    for name, value in changes.items():
                        setattr(item, name, value)
        await session.delete(revision)
    for model in (Product, Media):
        await session.execute(
            update(model)
            .where(model.booth_id == booth.id, model.awaiting_review)
            .values(awaiting_review=False)
            .execution_options(synchronize_session="fetch")
        )
    await session.flush()


@dataclass
class Change:
    """One field of one item: the public value and the proposed one."""

    subject: str  # booth, product or media
    item_id: str
    item_label: Any  # the item's name (texts by language) or file name; the booth's: None
    field: str
    before: Any
    after: Any

    def lines(self) -> list[tuple[str | None, str, str]]:
        """(language or None, before, after) for each part that differs, for people."""
        if isinstance(self.before, dict) or isinstance(self.after, dict):
            before, after = self.before or {}, self.after or {}
            return [
                (code, before.get(code, ""), after.get(code, ""))
                for code in LANGUAGES
                if before.get(code, "") != after.get(code, "")
            ]
        if isinstance(self.before, list) or isinstance(self.after, list):
            return [(None, ", ".join(self.before or []), ", ".join(self.after or []))]
        return [(None, str(self.before or ""), str(self.after or ""))]


@dataclass
class Pending:
    """What waits for review in one booth, for its exhibitor and the organizers."""

    revision: BoothRevision
    changes: list[Change] = field(default_factory=list)
    added_products: list[Product] = field(default_factory=list)
    added_media: list[Media] = field(default_factory=list)


async def pending_of(session: AsyncSession, booth: Booth) -> Pending | None:
    revision = await revision_of(session, booth.id)
    if revision is None:
        return None
    pending = Pending(revision)
    for name, value in revision.booth_fields.items():
        pending.changes.append(Change("booth", booth.id, None, name, getattr(booth, name), value))
    added = {"product": pending.added_products, "media": pending.added_media}
    for model, subject in ((Product, "product"), (Media, "media")):
        changed = list(getattr(revision, _COLUMN[subject]))
        query = select(model).where(
            model.booth_id == booth.id, or_(model.awaiting_review, model.id.in_(changed))
        )
        for item in await session.scalars(query.order_by(model.position)):
            if item.awaiting_review:
                added[subject].append(item)
                continue
            label = item.name if subject == "product" else item.filename
            for name, value in proposed_fields(revision, subject, item.id).items():
                before = getattr(item, name)
                pending.changes.append(Change(subject, item.id, label, name, before, value))
    return pending
