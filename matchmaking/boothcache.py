"""A fair's approved booths as the match engine reads them, kept in memory between requests
and read again only where they changed.

Reading a fair's booths (their texts in every language, their products, their tags) cost
more than matching them: one buyer's recommendations read a few hundred booths, a fair's
matches every booth. Every booth row carries a number the database's triggers move on every
write to the booth, its products, its tags or its company's name (migration 0030, whichever
path writes: the API, the review, a copy, the demo's load). A request reads the fair's
approved booths' numbers (one indexed statement, no texts), and the booths whose number
moved, appeared or went are read again or dropped: what the engine matches is always what
the database holds at that moment, never an older copy.

The booths come with their ``scoring.BoothIndex`` (kept up to date the same way), so which
booths share an HS prefix, a category or a word with a need is found without reading a text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, BoothStatus, BoothTag, Product, TagKind
from fair.accounts.models import Company
from fair.fairs.models import Fair
from matchmaking.scoring import BoothFacts, BoothIndex, ProductFacts, Quantity

# The fairs kept (a fair of 2,000 booths is some 50 MB of texts in memory): the programme's
# current fairs; another is read whole when asked for.
MAX_FAIRS = 4
# Booths read in one statement (an IN list of ids).
READ_BATCH = 500


async def read_booth_facts(
    session: AsyncSession, fair: Fair, *where: Any, limit: int | None = None
) -> list[tuple[BoothFacts, int]]:
    """The fair's booths that meet ``where``, as the engine reads them, by id (the first
    ``limit``), each with its facts' version as read. Columns, not ORM objects: a booth's
    and its products' names and descriptions are JSON in every language, and decoding them
    for a thousand booths cost more than scoring them."""
    query = (
        select(
            Booth.id,
            Booth.owner_id,
            Booth.company_id,
            Company.name_key,
            Booth.certifications,
            Booth.search_text,
            Booth.status,
            Booth.minimum_order_amount,
            Booth.minimum_order_unit,
            Booth.facts_version,
        )
        .outerjoin(Company, Company.id == Booth.company_id)
        .where(Booth.fair_id == fair.id, *where)
        .order_by(Booth.id)
    )
    booths = (await session.execute(query if limit is None else query.limit(limit))).all()
    ids = [row.id for row in booths]
    tags: dict[str, dict[str, list[str]]] = {booth_id: {} for booth_id in ids}
    products: dict[str, list[ProductFacts]] = {booth_id: [] for booth_id in ids}
    if ids:
        for booth_id, kind, code in await session.execute(
            select(BoothTag.booth_id, BoothTag.kind, BoothTag.code)
            .where(BoothTag.booth_id.in_(ids))
            .order_by(BoothTag.booth_id, BoothTag.position)
        ):
            tags[booth_id].setdefault(kind, []).append(code)
        for row in await session.execute(
            select(
                Product.booth_id,
                Product.id,
                Product.hs_code,
                Product.moq,
                Product.moq_unit,
                Product.price_min,
                Product.price_max,
                Product.currency,
                Product.search_text,
            )
            # A product added to an approved booth is shown to nobody until an organizer
            # approves it, so it may not win the booth a match either.
            .where(Product.booth_id.in_(ids), Product.awaiting_review.is_(False))
            .order_by(Product.booth_id, Product.position)
        ):
            products[row.booth_id].append(
                ProductFacts(
                    id=row.id,
                    hs_code=row.hs_code,
                    moq=row.moq,
                    moq_unit=row.moq_unit,
                    price_min=row.price_min,
                    price_max=row.price_max,
                    currency=row.currency,
                    text=row.search_text,
                )
            )
    return [
        (
            BoothFacts(
                id=row.id,
                owner_id=row.owner_id,
                company=row.name_key or "",
                categories=tuple(tags[row.id].get(TagKind.CATEGORY, ())),
                markets=tuple(tags[row.id].get(TagKind.MARKET, ())),
                wanted_markets=tuple(tags[row.id].get(TagKind.WANTED_MARKET, ())),
                minimum_order=Quantity(row.minimum_order_amount, row.minimum_order_unit)
                if row.minimum_order_amount is not None and row.minimum_order_unit
                else None,
                languages=tuple(tags[row.id].get(TagKind.LANGUAGE, ())),
                certifications=tuple(row.certifications),
                text=row.search_text,
                products=tuple(products[row.id]),
                approved=row.status == BoothStatus.APPROVED,
                fair_published=fair.status == "published",
                company_id=row.company_id,
            ),
            row.facts_version,
        )
        for row in booths
    ]


@dataclass(frozen=True)
class FairBooths:
    """A fair's approved booths at one moment: never changed once made (a request goes on
    reading the one it got while a later request makes the next)."""

    versions: dict[str, int]  # booth id -> its facts' version
    index: BoothIndex

    def by_id(self, booths: Iterable[BoothFacts]) -> list[BoothFacts]:
        return sorted(booths, key=lambda booth: booth.id)

    def first(self, limit: int) -> list[BoothFacts]:
        """The first ``limit`` booths by id, as a statement ordered by id reads them."""
        return self.by_id(self.index.of(self.index.all))[:limit]

    def get(self, booth_id: str) -> BoothFacts | None:
        position = self.index.positions.get(booth_id)
        return None if position is None else self.index.booths[position]


# (fair id, fair status) -> the fair's booths, the least recently asked for first. The
# status is in the key: every booth's facts say whether its fair is published.
_KEPT: OrderedDict[tuple[str, str], FairBooths] = OrderedDict()


async def fair_booths(session: AsyncSession, fair: Fair) -> FairBooths:
    """The fair's approved booths as the database holds them now (this session's own
    writes included), read again only where their version moved since last asked."""
    key = (fair.id, fair.status)
    rows = await session.execute(
        select(Booth.id, Booth.facts_version).where(
            Booth.fair_id == fair.id, Booth.status == BoothStatus.APPROVED
        )
    )
    now = {booth_id: version for booth_id, version in rows.all()}
    kept = _KEPT.get(key)
    if kept is not None and kept.versions == now:
        _KEPT.move_to_end(key)
        return kept
    before = kept.versions if kept is not None else {}
    stale = sorted(booth_id for booth_id, version in now.items() if before.get(booth_id) != version)
    read: list[BoothFacts] = []
    versions = {booth_id: version for booth_id, version in before.items() if booth_id in now}
    for start in range(0, len(stale), READ_BATCH):
        chunk = stale[start : start + READ_BATCH]
        for facts, version in await read_booth_facts(
            session, fair, Booth.id.in_(chunk), Booth.status == BoothStatus.APPROVED
        ):
            read.append(facts)
            versions[facts.id] = version  # as read with the facts, should it have moved
    # Gone: no longer approved (or deleted) since, or between the two statements.
    gone = [booth_id for booth_id in before if booth_id not in now]
    found = {booth.id for booth in read}
    gone += [booth_id for booth_id in stale if booth_id not in found]
    for booth_id in gone:
        versions.pop(booth_id, None)
    index = BoothIndex(read) if kept is None else kept.index.changed(read, gone)
    made = FairBooths(versions=versions, index=index)
    _KEPT[key] = made
    _KEPT.move_to_end(key)
    while len(_KEPT) > MAX_FAIRS:
        _KEPT.popitem(last=False)
    return made


def forget() -> None:
    """Every fair's booths dropped (the next request reads them whole)."""
    _KEPT.clear()
