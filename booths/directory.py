"""The booth directory of a fair: search, filters, facets, sorting, pages.

Every search term must occur in the booth's folded text (its own texts, its categories'
labels in six languages and its products). Substring matching is what Japanese, Chinese
and Thai need; the trigram index of each database makes it fast: PostgreSQL's pg_trgm
GIN index on ``booths.search_text``, SQLite's FTS5 ``booth_search`` table with the
trigram tokenizer (both built by the migrations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, Literal

from sqlalchemy import Integer, String, bindparam, case, column, func, literal, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from booths.models import (
    Booth,
    BoothStatus,
    BoothTag,
    Media,
    MediaKind,
    Product,
    TaggedFacts,
    TagKind,
)
from booths.text import MAX_TERMS, search_terms
from fair.fairs.models import Fair

PER_PAGE = 24
MATCHED_SHOWN = 3  # the products a search hit lists under its booth
MAX_PAGE = 1000
Sort = Literal["relevance", "newest", "products"]

_fts = table("booth_search", column("booth_id"), column("search_text"))


@dataclass(frozen=True)
class Filters:
    q: str = ""
    category: str | None = None
    market: str | None = None
    language: str | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class Tag:
    kind: str
    code: str


@dataclass
class Card(TaggedFacts):
    """A booth as a directory card shows it, read as plain rows (``_CARD``): the mapped
    ``Booth`` with its tags cost two thirds of a first search's CPU in building some 300
    ORM objects a page, none of which the answer needs."""

    id: str
    status: str
    company_id: str | None
    company: dict[str, Any]
    tagline: dict[str, Any]
    certifications: list[str]
    website: str
    city: str
    copied_from_id: str | None
    minimum_order_amount: int | None
    minimum_order_unit: str | None
    created_at: datetime
    updated_at: datetime
    tags: list[Tag] = field(default_factory=list)


# Card's fields in its order, as the booth's columns of the same names.
_CARD = tuple(getattr(Booth, field.name) for field in fields(Card) if field.name != "tags")


@dataclass
class Hit:
    booth: Card
    product_count: int
    cover: Media | None = None
    matched_products: list[Any] = field(default_factory=list)  # rows: id, name, hs_code


@dataclass
class Page:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    terms: list[str]
    category_counts: dict[str, int]


# Each search's statements are built once per shape (which filters are set, how many terms,
# the order) and reused with the request's values bound: SQLAlchemy keeps a statement's cache
# key on the statement object (and its compiled form in the engine's cache under that key),
# so one built per request paid for its construction and its cache key every time (issue 19:
# a tenth of all request samples).


def _term(n: int) -> Any:
    # The pattern goes into the SQL text: PostgreSQL then plans each word on its own. With a
    # bound parameter a warmed-up connection switches to one generic plan, which reads the
    # whole trigram index for every word (measured in bench/directory.py). literal_execute
    # renders it when the statement runs, so the compiled statement is still kept.
    return bindparam(f"term{n}", type_=String(), literal_execute=True)


def _patterns(terms: list[str]) -> dict[str, str]:
    return {f"term{n}": f"%{term}%" for n, term in enumerate(terms)}


def _contains(trigram: tuple[bool, ...]) -> list[Any]:
    """Every term in the booth's text; ``trigram``: per term, whether SQLite's trigram
    table finds it (three characters or more; on PostgreSQL always False)."""
    conditions = []
    for n, indexed in enumerate(trigram):
        if indexed:
            conditions.append(
                Booth.id.in_(select(_fts.c.booth_id).where(_fts.c.search_text.like(_term(n))))
            )
        else:
            conditions.append(Booth.search_text.like(_term(n)))
    return conditions


def _has_tag(kind: TagKind) -> Any:
    return Booth.id.in_(
        select(BoothTag.booth_id).where(
            BoothTag.kind == kind, BoothTag.code == bindparam(kind.value)
        )
    )


def _order(sort: Sort, terms: int, products: Any, in_name: Any) -> list[Any]:
    """The page's order: most products, then the oldest booth first (ties by id), behind
    the newest review or, for a search, the most terms found in the booth's name."""
    tail = [products.desc(), Booth.created_at, Booth.id]
    if sort == "newest":
        return [Booth.reviewed_at.desc().nulls_last(), *tail]
    if sort == "products" or not terms:
        return tail
    return [in_name.desc(), *tail]


@dataclass(frozen=True)
class _Shape:
    """What a search's statements depend on, beside the values bound into them."""

    trigram: tuple[bool, ...]  # one per term (see _contains)
    market: bool
    language: bool
    category: bool
    sort: Sort

    @classmethod
    def of(cls, dialect: str, terms: list[str], filters: Filters) -> _Shape:
        return cls(
            # SQLite's trigram index finds nothing for a term under three characters (two
            # kanji are a whole word in Japanese): those scan the booths' own column instead.
            trigram=tuple(dialect == "sqlite" and len(term) >= 3 for term in terms),
            market=bool(filters.market),
            language=bool(filters.language),
            category=bool(filters.category),
            sort=filters.sort,
        )


@dataclass(frozen=True)
class _Statements:
    facets: Any  # category code → matching booths, the category filter left out
    rows: Any  # the page's booths with their product counts and the total
    total: Any  # the total alone (asked past the last page)


@lru_cache(maxsize=256)
def _statements(shape: _Shape) -> _Statements:
    matching = select(Booth.id).where(
        Booth.fair_id == bindparam("fair_id"), Booth.status == BoothStatus.APPROVED
    )
    for condition in _contains(shape.trigram):
        matching = matching.where(condition)
    if shape.market:
        matching = matching.where(_has_tag(TagKind.MARKET))
    if shape.language:
        matching = matching.where(_has_tag(TagKind.LANGUAGE))
    matching_ids = matching.scalar_subquery()
    # Facets count every match, ignoring the category filter itself.
    facets = (
        select(BoothTag.code, func.count())
        .where(BoothTag.kind == TagKind.CATEGORY, BoothTag.booth_id.in_(matching_ids))
        .group_by(BoothTag.code)
    )
    chosen = Booth.id.in_(matching_ids)
    if shape.category:
        chosen = chosen & _has_tag(TagKind.CATEGORY)
    products = (
        select(func.count())
        .select_from(Product)
        .where(Product.booth_id == Booth.id, Product.awaiting_review.is_(False))
        .correlate(Booth)
        .scalar_subquery()
    )
    in_name: Any = literal(0)
    for n in range(len(shape.trigram)):
        in_name = in_name + case((Booth.search_name.like(_term(n)), 1), else_=0)
    # The total comes with the page's rows (a window over every match, counted before the
    # LIMIT): the text filter runs once for both.
    rows = (
        select(*_CARD, products, func.count().over())
        .where(chosen)
        .order_by(*_order(shape.sort, len(shape.trigram), products, in_name))
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
    )
    return _Statements(facets, rows, select(func.count()).where(chosen))


async def search(session: AsyncSession, fair: Fair, filters: Filters) -> Page:
    """Ranking, paging and facets in SQL: the database finds the matching booths (the text
    filter written once, as a subquery the facets and the page read) and returns only the
    page's rows with the total, so a request reads 24 booths whether 20 match or 2,000."""
    terms = search_terms(filters.q)
    made = _statements(_Shape.of(session.get_bind().dialect.name, terms, filters))
    values: dict[str, Any] = {"fair_id": fair.id, **_patterns(terms)}
    for kind, code in (
        (TagKind.MARKET, filters.market),
        (TagKind.LANGUAGE, filters.language),
        (TagKind.CATEGORY, filters.category),
    ):
        if code:
            values[kind.value] = code

    counts = await session.execute(made.facets, values)
    category_counts = {code: count for code, count in counts.all()}

    async def rows_of(page: int) -> list[Any]:
        found = await session.execute(
            made.rows,
            {**values, "limit": filters.per_page, "offset": (page - 1) * filters.per_page},
        )
        return list(found.all())

    page = max(1, filters.page)
    rows = await rows_of(page)
    if rows:
        total = int(rows[0][-1])
    elif page == 1:
        total = 0
    else:  # past the last page: the last page is shown, as the links promise
        total = int(await session.scalar(made.total, values) or 0)
        page = max(1, math.ceil(total / filters.per_page))
        rows = await rows_of(page) if total else []
    pages = max(1, math.ceil(total / filters.per_page))
    hits = [Hit(booth=Card(*row[:-2]), product_count=row[-2]) for row in rows]
    await _decorate(session, hits, terms)
    return Page(
        hits=hits,
        total=total,
        page=page,
        pages=pages,
        terms=terms,
        category_counts=category_counts,
    )


def _first_of_each_booth(query: Any, entity: Any, keep: int, *columns: str) -> Any:
    """``query``'s rows of ``entity`` (or only its ``columns``), only the first ``keep`` of
    each booth by position: the page needs one cover and three products per booth, not
    every row of them."""
    place = (
        func.row_number()
        .over(partition_by=entity.booth_id, order_by=(entity.position, entity.id))
        .label("place")
    )
    ranked = query.add_columns(place).subquery()
    kept = aliased(entity, ranked)
    chosen = [getattr(kept, name) for name in columns] if columns else [kept]
    return select(*chosen).where(ranked.c.place <= keep).order_by(kept.booth_id, kept.position)


_BOOTHS = bindparam("booths", expanding=True)


@cache
def _covers() -> Any:
    images = select(Media).where(
        Media.booth_id.in_(_BOOTHS),
        Media.kind == MediaKind.IMAGE,
        Media.product_id.is_(None),
        Media.status == "ready",
        Media.awaiting_review.is_(False),
    )
    return _first_of_each_booth(images, Media, 1)


@lru_cache(maxsize=MAX_TERMS)
def _matched_products(terms: int) -> Any:
    query = select(Product).where(Product.booth_id.in_(_BOOTHS), Product.awaiting_review.is_(False))
    for n in range(terms):
        query = query.where(Product.search_text.like(_term(n)))
    return _first_of_each_booth(query, Product, MATCHED_SHOWN, "booth_id", "id", "name", "hs_code")


@cache
def _tags() -> Any:
    # In the order of Booth.tags (by position), as Card's Tag.
    return (
        select(BoothTag.booth_id, BoothTag.kind, BoothTag.code)
        .where(BoothTag.booth_id.in_(_BOOTHS))
        .order_by(BoothTag.booth_id, BoothTag.position)
    )


async def _decorate(session: AsyncSession, hits: list[Hit], terms: list[str]) -> None:
    """Each hit's tags, cover picture and, for a search, the products that matched it."""
    if not hits:
        return
    by_id = {hit.booth.id: hit for hit in hits}
    booths = {"booths": list(by_id)}
    for booth_id, kind, code in await session.execute(_tags(), booths):
        by_id[booth_id].booth.tags.append(Tag(kind, code))
    for image in await session.scalars(_covers(), booths):
        by_id[image.booth_id].cover = image
    if not terms:
        return
    matched = await session.execute(_matched_products(len(terms)), {**booths, **_patterns(terms)})
    for product in matched:
        by_id[product.booth_id].matched_products.append(product)
