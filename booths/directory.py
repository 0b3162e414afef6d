"""The booth directory of a fair: search, filters, facets, sorting, pages.

Every search term must occur in the booth's folded text (its own texts, its categories'
labels in six languages and its products). Substring matching is what Japanese, Chinese
and Thai need; the trigram index of each database makes it fast: PostgreSQL's pg_trgm
GIN index on ``booths.search_text``, SQLite's FTS5 ``booth_search`` table with the
trigram tokenizer (both built by the migrations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import case, column, func, literal, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from booths.models import Booth, BoothStatus, BoothTag, Media, MediaKind, Product, TagKind
from booths.text import search_terms
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


@dataclass
class Hit:
    booth: Booth
    product_count: int
    cover: Media | None = None
    matched_products: list[Product] = field(default_factory=list)


@dataclass
class Page:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    terms: list[str]
    category_counts: dict[str, int]


def _like(column: Any, term: str) -> Any:
    # The pattern goes into the SQL text: PostgreSQL then plans each word on its own. With a
    # bound parameter a warmed-up connection switches to one generic plan, which reads the
    # whole trigram index for every word (measured in bench/directory.py).
    return column.like(literal(f"%{term}%", literal_execute=True))


def _contains(dialect: str, terms: list[str]) -> list[Any]:
    conditions = []
    for term in terms:
        # SQLite's trigram index finds nothing for a term under three characters (two
        # kanji are a whole word in Japanese): those scan the booths' own column instead.
        if dialect == "sqlite" and len(term) >= 3:
            conditions.append(
                Booth.id.in_(select(_fts.c.booth_id).where(_like(_fts.c.search_text, term)))
            )
        else:
            conditions.append(_like(Booth.search_text, term))
    return conditions


def _has_tag(kind: TagKind, code: str) -> Any:
    return Booth.id.in_(
        select(BoothTag.booth_id).where(BoothTag.kind == kind, BoothTag.code == code)
    )


def _order(sort: Sort, terms: list[str], products: Any, in_name: Any) -> list[Any]:
    """The page's order: most products, then the oldest booth first (ties by id), behind
    the newest review or, for a search, the most terms found in the booth's name."""
    tail = [products.desc(), Booth.created_at, Booth.id]
    if sort == "newest":
        return [Booth.reviewed_at.desc().nulls_last(), *tail]
    if sort == "products" or not terms:
        return tail
    return [in_name.desc(), *tail]


async def search(session: AsyncSession, fair: Fair, filters: Filters) -> Page:
    """Ranking, paging and facets in SQL: the database finds the matching booths (the text
    filter written once, as a subquery the facets and the page read) and returns only the
    page's rows with the total, so a request reads 24 booths whether 20 match or 2,000."""
    dialect = session.get_bind().dialect.name
    terms = search_terms(filters.q)
    matching = select(Booth.id).where(
        Booth.fair_id == fair.id, Booth.status == BoothStatus.APPROVED
    )
    for condition in _contains(dialect, terms):
        matching = matching.where(condition)
    if filters.market:
        matching = matching.where(_has_tag(TagKind.MARKET, filters.market))
    if filters.language:
        matching = matching.where(_has_tag(TagKind.LANGUAGE, filters.language))
    matching_ids = matching.scalar_subquery()

    # Facets count every match, ignoring the category filter itself.
    counts = await session.execute(
        select(BoothTag.code, func.count())
        .where(BoothTag.kind == TagKind.CATEGORY, BoothTag.booth_id.in_(matching_ids))
        .group_by(BoothTag.code)
    )
    category_counts = {code: count for code, count in counts.all()}

    chosen = Booth.id.in_(matching_ids)
    if filters.category:
        chosen = chosen & _has_tag(TagKind.CATEGORY, filters.category)
    products = (
        select(func.count())
        .select_from(Product)
        .where(Product.booth_id == Booth.id, Product.awaiting_review.is_(False))
        .correlate(Booth)
        .scalar_subquery()
    )
    in_name: Any = literal(0)
    for term in terms:
        in_name = in_name + case((_like(Booth.search_name, term), 1), else_=0)
    # The total comes with the page's rows (a window over every match, counted before the
    # LIMIT): the text filter runs once for both.
    ordered = (
        select(Booth, products, func.count().over())
        .where(chosen)
        .order_by(*_order(filters.sort, terms, products, in_name))
        .limit(filters.per_page)
    )

    async def rows_of(page: int) -> list[Any]:
        found = await session.execute(ordered.offset((page - 1) * filters.per_page))
        return list(found.all())

    page = max(1, filters.page)
    rows = await rows_of(page)
    if rows:
        total = int(rows[0][2])
    elif page == 1:
        total = 0
    else:  # past the last page: the last page is shown, as the links promise
        total = int(await session.scalar(select(func.count()).where(chosen)) or 0)
        page = max(1, math.ceil(total / filters.per_page))
        rows = await rows_of(page) if total else []
    pages = max(1, math.ceil(total / filters.per_page))
    hits = [Hit(booth=booth, product_count=count) for booth, count, _ in rows]
    await _decorate(session, hits, terms)
    return Page(
        hits=hits,
        total=total,
        page=page,
        pages=pages,
        terms=terms,
        category_counts=category_counts,
    )


def _first_of_each_booth(query: Any, entity: Any, keep: int) -> Any:
    """``query``'s rows of ``entity``, only the first ``keep`` of each booth by position:
    the page needs one cover and three products per booth, not every row of them."""
    place = (
        func.row_number()
        .over(partition_by=entity.booth_id, order_by=(entity.position, entity.id))
        .label("place")
    )
    ranked = query.add_columns(place).subquery()
    kept = aliased(entity, ranked)
    return select(kept).where(ranked.c.place <= keep).order_by(kept.booth_id, kept.position)


async def _decorate(session: AsyncSession, hits: list[Hit], terms: list[str]) -> None:
    """Each hit's cover picture and, for a search, the products that matched it."""
    if not hits:
        return
    by_id = {hit.booth.id: hit for hit in hits}
    images = select(Media).where(
        Media.booth_id.in_(by_id),
        Media.kind == MediaKind.IMAGE,
        Media.product_id.is_(None),
        Media.status == "ready",
        Media.awaiting_review.is_(False),
    )
    for image in await session.scalars(_first_of_each_booth(images, Media, 1)):
        by_id[image.booth_id].cover = image
    if not terms:
        return
    query = select(Product).where(Product.booth_id.in_(by_id), Product.awaiting_review.is_(False))
    for term in terms:
        query = query.where(_like(Product.search_text, term))
    for product in await session.scalars(_first_of_each_booth(query, Product, MATCHED_SHOWN)):
        by_id[product.booth_id].matched_products.append(product)
