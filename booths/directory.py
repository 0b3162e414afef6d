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

from booths.models import Booth, BoothStatus, BoothTag, Media, MediaKind, Product, TagKind
from booths.text import search_terms
from fair.fairs.models import Fair

PER_PAGE = 24
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


def _sort_key(sort: Sort, terms: list[str]) -> Any:
    def key(row: Any) -> tuple[Any, ...]:
        reviewed = row.reviewed_at.timestamp() if row.reviewed_at else 0.0
        tail = (-row.products, row.created_at, row.id)
        if sort == "newest":
            return (-reviewed, *tail)
        if sort == "products" or not terms:
            return tail
        return (-row.in_name, *tail)

    return key


async def search(session: AsyncSession, fair: Fair, filters: Filters) -> Page:
    """One pass over the matching booths (ids and sort keys only), then the page's booths.
    The text filter runs once per request, however many figures the page shows."""
    dialect = session.get_bind().dialect.name
    terms = search_terms(filters.q)
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
    in_category: Any = (
        _has_tag(TagKind.CATEGORY, filters.category) if filters.category else literal(True)
    )
    query = select(
        Booth.id,
        Booth.reviewed_at,
        Booth.created_at,
        products.label("products"),
        in_name.label("in_name"),
        in_category.label("in_category"),
    ).where(Booth.fair_id == fair.id, Booth.status == BoothStatus.APPROVED)
    for condition in _contains(dialect, terms):
        query = query.where(condition)
    if filters.market:
        query = query.where(_has_tag(TagKind.MARKET, filters.market))
    if filters.language:
        query = query.where(_has_tag(TagKind.LANGUAGE, filters.language))
    rows = (await session.execute(query)).all()

    # Facets count every match, ignoring the category filter itself.
    category_counts: dict[str, int] = {}
    if rows:
        counts = await session.execute(
            select(BoothTag.code, func.count())
            .where(BoothTag.kind == TagKind.CATEGORY, BoothTag.booth_id.in_([r.id for r in rows]))
            .group_by(BoothTag.code)
        )
        category_counts = {code: count for code, count in counts.all()}

    matching = sorted((r for r in rows if r.in_category), key=_sort_key(filters.sort, terms))
    total = len(matching)
    pages = max(1, math.ceil(total / filters.per_page))
    page = min(max(1, filters.page), pages)
    chosen = matching[(page - 1) * filters.per_page : page * filters.per_page]
    booths = {
        b.id: b
        for b in await session.scalars(select(Booth).where(Booth.id.in_([r.id for r in chosen])))
    }
    hits = [Hit(booth=booths[r.id], product_count=r.products) for r in chosen]
    await _decorate(session, hits, terms)
    return Page(
        hits=hits,
        total=total,
        page=page,
        pages=pages,
        terms=terms,
        category_counts=category_counts,
    )


async def _decorate(session: AsyncSession, hits: list[Hit], terms: list[str]) -> None:
    """Each hit's cover picture and, for a search, the products that matched it."""
    if not hits:
        return
    by_id = {hit.booth.id: hit for hit in hits}
    images = await session.scalars(
        select(Media)
        .where(
            Media.booth_id.in_(by_id),
            Media.kind == MediaKind.IMAGE,
            Media.product_id.is_(None),
            Media.status == "ready",
            Media.awaiting_review.is_(False),
        )
        .order_by(Media.booth_id, Media.position)
    )
    for image in images:
        hit = by_id[image.booth_id]
        hit.cover = hit.cover or image
    if not terms:
        return
    query = select(Product).where(Product.booth_id.in_(by_id), Product.awaiting_review.is_(False))
    for term in terms:
        query = query.where(_like(Product.search_text, term))
    for product in await session.scalars(query.order_by(Product.booth_id, Product.position)):
        matched = by_id[product.booth_id].matched_products
        if len(matched) < 3:
            matched.append(product)
