"""Sourcing needs (a buyer's own), and the matches read from them: a buyer's
recommendations in a fair, a booth's leads, a fair's matches for its organizers.

The work of a request is bounded: a fair's approved booths are kept in memory with their
index (``matchmaking.boothcache``: read again only where the database says they changed),
the candidates are found through that index (the booths that make an HS prefix, share a
category or whose text holds a word of the need; the needs that share a booth's codes come
from the database), at most ``MAX_CANDIDATES`` of them (a fair's matches read up to
``MAX_FAIR_NEEDS`` needs), and are then matched best-first by bounds
(``scoring.best_matches``: most pairs are never scored); at most ``MAX_ITEMS`` matches are
returned (``MAX_FAIR_MATCHES`` for a fair's). The weights are those in use
(``matchmaking.weights``: the latest learned fit used, else the priors), read once per
request unless the caller gives them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from booths.service import load_managed_booth
from fair import clock
from fair.accounts.companies import name_key
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.errors import ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.service import get_fair
from fair.i18n import lazy
from fair.money import current_rates
from fair.schemas import parse
from matchmaking.boothcache import FairBooths, fair_booths, read_booth_facts
from matchmaking.errors import NeedNotFound, TooManyNeeds
from matchmaking.goodtimes import good_times
from matchmaking.models import Need, NeedTag, NeedTagKind
from matchmaking.schemas import NeedCreate, NeedUpdate
from matchmaking.scoring import (
    BoothFacts,
    Context,
    Match,
    NeedFacts,
    Price,
    Quantity,
    Weights,
    best_matches,
    best_per_booth,
    rank,
    text_units,
    with_good_times,
)
from matchmaking.weights import current_weights
from meetings.models import Meeting, Stage

MAX_NEEDS_PER_BUYER = 20
MAX_CANDIDATES = 1000
MAX_ITEMS = 50
MAX_FAIR_MATCHES = 500
# A fair's every need (500 buyers with up to 3 each, and room to spare): the booth index and
# the bounds keep the pairs scored few (bench/matching.py).
MAX_FAIR_NEEDS = 5000
MAX_TEXT_PIECES = 40
# The score below which a pair is not worth showing.
MIN_SCORE = 0.1
MATCHERS = (Role.ORGANIZER, Role.STAFF)


# Needs --------------------------------------------------------------------------------------


async def _fair_by_slug(session: AsyncSession, slug: str | None) -> Fair | None:
    if slug is None:
        return None
    fair = await session.scalar(select(Fair).where(Fair.slug == slug))
    if fair is None or fair.status != "published":
        raise ValidationFailed({"fair": lazy("There is no such fair.")})
    return fair


def _tags(need: Need) -> list[NeedTag]:
    codes: dict[tuple[str, str], None] = {}
    for code in need.hs_codes:
        for length in (2, 4, 6):
            if len(code) >= length:
                codes[(NeedTagKind.HS, code[:length])] = None
    codes |= {(NeedTagKind.CATEGORY, code): None for code in need.categories}
    codes |= {(NeedTagKind.MARKET, code): None for code in need.markets}
    existing = {(tag.kind, tag.code): tag for tag in need.tags}
    # Rows that stay are kept: dropping and adding one key in a flush collides on the key.
    return [existing.get(key) or NeedTag(kind=key[0], code=key[1]) for key in codes]


def _apply(need: Need, data: NeedCreate, fair: Fair | None) -> None:
    need.fair_id = fair.id if fair else None
    need.text = data.text
    need.categories = list(data.categories)
    need.hs_codes = list(data.hs_codes)
    need.quantity_amount = data.quantity.amount if data.quantity else None
    need.quantity_unit = data.quantity.unit if data.quantity else None
    need.price_amount = data.target_price.amount if data.target_price else None
    need.price_currency = data.target_price.currency if data.target_price else None
    need.time_from = data.time_frame.from_ if data.time_frame else None
    need.time_until = data.time_frame.until if data.time_frame else None
    need.certifications = list(data.certifications)
    need.markets = list(data.markets)
    need.languages = list(data.languages)
    need.visible_to_exhibitors = data.visible_to_exhibitors
    need.tags = _tags(need)


async def _slugs(session: AsyncSession, needs: Iterable[Need]) -> dict[str, str]:
    ids = {need.fair_id for need in needs if need.fair_id}
    if not ids:
        return {}
    rows = await session.execute(select(Fair.id, Fair.slug).where(Fair.id.in_(ids)))
    return {fair_id: slug for fair_id, slug in rows.all()}


async def list_needs(session: AsyncSession, *, actor: User | None) -> list[tuple[Need, str | None]]:
    buyer = require_role(actor, Role.BUYER)
    needs = list(
        await session.scalars(
            select(Need).where(Need.buyer_id == buyer.id).order_by(Need.created_at, Need.id)
        )
    )
    slugs = await _slugs(session, needs)
    return [(need, slugs.get(need.fair_id or "")) for need in needs]


def _check_time_frame(data: NeedCreate) -> None:
    """A time frame given now must not have ended already (one that ends later simply stops
    being matched then)."""
    frame = data.time_frame
    if frame is not None and frame.until is not None and frame.until < _today():
        raise ValidationFailed({"time_frame": lazy("This time frame has already ended.")})


def _today() -> date:
    return clock.now().date()


async def create_need(
    session: AsyncSession, *, actor: User | None, data: NeedCreate
) -> tuple[Need, str | None]:
    buyer = require_role(actor, Role.BUYER)
    fair = await _fair_by_slug(session, data.fair)
    _check_time_frame(data)
    count = len(list(await session.scalars(select(Need.id).where(Need.buyer_id == buyer.id))))
    if count >= MAX_NEEDS_PER_BUYER:
        raise TooManyNeeds(limit=MAX_NEEDS_PER_BUYER)
    need = Need(buyer_id=buyer.id, tags=[])
    _apply(need, data, fair)
    session.add(need)
    await session.flush()
    return need, data.fair


async def _own_need(session: AsyncSession, actor: User | None, need_id: str) -> Need:
    """One of the buyer's needs; another's, like a missing one, is not found."""
    buyer = require_role(actor, Role.BUYER)
    need = await session.get(Need, need_id) if len(need_id) <= 32 else None
    if need is None or need.buyer_id != buyer.id:
        raise NeedNotFound()
    return need


def _as_input(need: Need, fair_slug: str | None) -> dict[str, Any]:
    quantity = price = None
    if need.quantity_amount is not None:
        quantity = {"amount": need.quantity_amount, "unit": need.quantity_unit}
    if need.price_amount is not None:
        price = {"amount": str(need.price_amount), "currency": need.price_currency}
    time_frame = None
    if need.time_from is not None or need.time_until is not None:
        time_frame = {
            "from": need.time_from.isoformat() if need.time_from else None,
            "until": need.time_until.isoformat() if need.time_until else None,
        }
    return {
        "fair": fair_slug,
        "text": need.text,
        "categories": need.categories,
        "hs_codes": need.hs_codes,
        "quantity": quantity,
        "target_price": price,
        "time_frame": time_frame,
        "certifications": need.certifications,
        "markets": need.markets,
        "languages": need.languages,
        "visible_to_exhibitors": need.visible_to_exhibitors,
    }


async def need_as_input(
    session: AsyncSession, *, actor: User | None, need_id: str
) -> dict[str, Any]:
    """One of the buyer's needs as the API's body (``NeedCreate``), to change it on a page."""
    need = await _own_need(session, actor, need_id)
    return _as_input(need, (await _slugs(session, [need])).get(need.fair_id or ""))


async def update_need(
    session: AsyncSession, *, actor: User | None, need_id: str, body: Mapping[str, Any]
) -> tuple[Need, str | None]:
    """Changes the fields ``body`` sends; the need as changed is checked as a new one."""
    need = await _own_need(session, actor, need_id)
    sent = parse(NeedUpdate, body)
    current = _as_input(need, (await _slugs(session, [need])).get(need.fair_id or ""))
    changes = {name: body[name] for name in sent.model_fields_set}
    for name in ("text", "categories", "hs_codes", "certifications", "markets", "languages"):
        if name in changes and changes[name] is None:
            changes[name] = "" if name == "text" else []
    if changes.get("visible_to_exhibitors", True) is None:
        changes.pop("visible_to_exhibitors")
    data = parse(NeedCreate, current | changes)
    fair = await _fair_by_slug(session, data.fair)
    if "time_frame" in changes:
        _check_time_frame(data)
    _apply(need, data, fair)
    await session.flush()
    return need, data.fair


async def delete_need(session: AsyncSession, *, actor: User | None, need_id: str) -> None:
    need = await _own_need(session, actor, need_id)
    await session.delete(need)
    await session.flush()


# Facts for the engine -----------------------------------------------------------------------


def need_facts(need: Need, buyer: User) -> NeedFacts:
    """The need as the engine reads it: where the buyer sells defaults to their country,
    the meeting languages to the buyer's."""
    quantity = None
    if need.quantity_amount is not None and need.quantity_unit:
        quantity = Quantity(need.quantity_amount, need.quantity_unit)
    markets = need.markets or ([buyer.country] if buyer.country else [])
    price = None
    if need.price_amount is not None and need.price_currency:
        price = Price(Decimal(need.price_amount), need.price_currency)
    return NeedFacts(
        id=need.id,
        buyer_id=need.buyer_id,
        text=need.text,
        categories=tuple(need.categories),
        hs_codes=tuple(need.hs_codes),
        quantity=quantity,
        price=price,
        time_from=need.time_from,
        time_until=need.time_until,
        certifications=tuple(need.certifications),
        markets=tuple(markets),
        languages=tuple(need.languages or buyer.languages),
        buyer_company=name_key(buyer.company) if buyer.company else "",
        visible_to_exhibitors=need.visible_to_exhibitors,
    )


async def _booth_facts(session: AsyncSession, fair: Fair, *where: Any) -> list[BoothFacts]:
    """The fair's booths that meet ``where``, as the engine reads them (at most
    ``MAX_CANDIDATES``, by id), from the database."""
    return [
        facts for facts, _ in await read_booth_facts(session, fair, *where, limit=MAX_CANDIDATES)
    ]


async def booth_facts(session: AsyncSession, fair: Fair, *where: Any) -> list[BoothFacts]:
    """The fair's booths that meet ``where`` as the engine reads them (at most
    ``MAX_CANDIDATES``): the learning of the weights reads the booths outcomes came from."""
    return await _booth_facts(session, fair, *where)


def seller_of(booth: Booth) -> str:
    """The booth's seller as ``BoothFacts.seller`` reads it: its company, else its owner."""
    return booth.company_id or booth.owner_id


async def context(
    session: AsyncSession,
    *,
    fair: Fair | None,
    buyer_ids: Iterable[str],
    seller_ids: Iterable[str],
    for_exhibitors: bool = False,
) -> Context:
    """Pairs of buyer and seller (a booth's company, or its owner) whose latest outcome, at
    any of the seller's booths, is no deal; the languages interpreters bridge, today's
    exchange rates (read once for the request), today and the fair's days (none when the
    pairs are of several fairs, as the learned weights' samples are)."""
    buyer_ids, seller_ids = list(set(buyer_ids)), list(set(seller_ids))
    closed: set[tuple[str, str]] = set()
    if buyer_ids and seller_ids:
        seller = func.coalesce(Booth.company_id, Booth.owner_id)
        rows = await session.execute(
            select(Meeting.buyer_id, seller, Meeting.stage)
            .join(Booth, Booth.id == Meeting.booth_id)
            .where(
                Meeting.buyer_id.in_(buyer_ids),
                seller.in_(seller_ids),
                Meeting.stage.is_not(None),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
        latest = {(buyer, sold_by): stage for buyer, sold_by, stage in rows.all()}
        closed = {pair for pair, stage in latest.items() if stage == Stage.NO_DEAL}
    pairs: set[frozenset[str]] = set()
    spoken = await session.scalars(
        select(User.languages).where(User.role == Role.INTERPRETER, User.is_active)
    )
    for languages in spoken:
        pairs |= {frozenset((a, b)) for a in languages for b in languages if a != b}
    today = _today()
    return Context(
        closed_pairs=frozenset(closed),
        interpreter_pairs=frozenset(pairs),
        for_exhibitors=for_exhibitors,
        rates=await current_rates(session, today),
        today=today,
        fair_days=None if fair is None else (fair.starts_on, fair.ends_on),
    )


# Candidates ---------------------------------------------------------------------------------


def _pieces(needs: Sequence[NeedFacts]) -> list[str]:
    """The pieces of the needs' texts a candidate booth is found by."""
    # The longest pieces say the most; their number bounds the work.
    return sorted(
        {unit.text for need in needs for unit in text_units(need.text)},
        key=lambda piece: (-len(piece), piece),
    )[:MAX_TEXT_PIECES]


def _candidates(booths: FairBooths, needs: Sequence[NeedFacts]) -> list[BoothFacts]:
    """The fair's approved booths that make an HS prefix asked for (its chapter), share a
    category or whose text holds a piece of a need's text (a market or a language alone is
    no match): the first ``MAX_CANDIDATES`` of them by id."""
    index = booths.index
    found = index.making({code[:2] for need in needs for code in need.hs_codes}, 2)
    for code in {code for need in needs for code in need.categories}:
        found |= index.in_category(code)
    for piece in _pieces(needs):
        found |= index.holding(piece)
    return booths.by_id(index.of(found & index.all))[:MAX_CANDIDATES]


def _prefixes(hs_codes: Iterable[str]) -> set[str]:
    return {code[:length] for code in hs_codes if code for length in (2, 4, 6)}


async def _candidate_needs(
    session: AsyncSession,
    fair: Fair,
    booths: Sequence[BoothFacts],
    *,
    visible_only: bool,
    buyer_id: str | None = None,
    limit: int = MAX_CANDIDATES,
) -> list[tuple[Need, User]]:
    """The fair's and the standing needs of active buyers that share a code with the booths
    (their products' HS prefixes, their categories), or that ask by text alone."""
    hs = sorted(_prefixes(p.hs_code for booth in booths for p in booth.products))
    categories = sorted({code for booth in booths for code in booth.categories})
    shared = [
        and_(NeedTag.kind == NeedTagKind.HS, NeedTag.code.in_(hs)) if hs else false(),
        and_(NeedTag.kind == NeedTagKind.CATEGORY, NeedTag.code.in_(categories))
        if categories
        else false(),
    ]
    structured = (NeedTagKind.HS, NeedTagKind.CATEGORY)
    query = (
        select(Need, User)
        .join(User, User.id == Need.buyer_id)
        .where(
            or_(Need.fair_id == fair.id, Need.fair_id.is_(None)),
            User.role == Role.BUYER,
            User.is_active,
            or_(
                exists().where(NeedTag.need_id == Need.id, or_(*shared)),
                ~exists().where(NeedTag.need_id == Need.id, NeedTag.kind.in_(structured)),
            ),
        )
    )
    if visible_only:
        query = query.where(Need.visible_to_exhibitors)
    if buyer_id is not None:
        query = query.where(Need.buyer_id == buyer_id)
    rows = await session.execute(query.order_by(Need.id).limit(limit))
    return [(need, user) for need, user in rows.all()]


# The matches --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    match: Match
    buyer: User


def _best_first(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.booth_id, m.need_id))


async def _with_good_times(
    session: AsyncSession,
    fair: Fair,
    matches: Sequence[Match],
    *,
    buyers: Mapping[str, User],
    weights: Weights,
    min_score: float,
) -> list[Match]:
    """The ranked matches with their good-for-both times in the fair as a part, best first.
    Counted for these pairs only (the best a request returns), not for every candidate: the
    times refine the order of the best, they do not pick them. The part is added to the
    parts already worked out (``scoring.with_good_times``: the same as scoring the pair
    again with the times in the context)."""
    times = await good_times(
        session, fair, ((buyers[m.buyer_id], m.booth_id) for m in matches), clock.now()
    )
    if not times:
        return list(matches)
    timed = (
        with_good_times(m, times[(m.buyer_id, m.booth_id)], weights)
        if (m.buyer_id, m.booth_id) in times
        else m
        for m in matches
    )
    return _best_first(m for m in timed if m.score >= min_score)


async def recommendations(
    session: AsyncSession,
    *,
    actor: User | None,
    fair_slug: str,
    weights: Weights | None = None,
) -> list[Match]:
    """The booths of a fair for the buyer's needs of that fair and standing ones, each once
    (by its best need), best first. ``weights``: the engine's current ones unless given."""
    buyer = require_role(actor, Role.BUYER)
    fair = await get_fair(session, fair_slug, viewer=buyer)
    needs = [
        need_facts(need, buyer)
        for need in await session.scalars(
            select(Need)
            .where(
                Need.buyer_id == buyer.id,
                or_(Need.fair_id == fair.id, Need.fair_id.is_(None)),
            )
            .order_by(Need.id)
        )
    ]
    if not needs:
        return []
    weights = weights or await current_weights(session)
    booths = await fair_booths(session, fair)
    candidates = _candidates(booths, needs)
    known = await context(
        session, fair=fair, buyer_ids=[buyer.id], seller_ids=[b.seller for b in candidates]
    )
    # A booth appears at most once per need: the best MAX_ITEMS × needs pairs hold the best
    # MAX_ITEMS booths, and pairs that cannot make that cut are never scored in full.
    matches = best_matches(
        needs,
        booths.index,
        within=booths.index.mask(candidates),
        weights=weights,
        context=known,
        min_score=MIN_SCORE,
        limit=MAX_ITEMS * len(needs),
    )
    return await _with_good_times(
        session,
        fair,
        best_per_booth(matches)[:MAX_ITEMS],
        buyers={buyer.id: buyer},
        weights=weights,
        min_score=MIN_SCORE,
    )


async def leads(
    session: AsyncSession,
    *,
    actor: User | None,
    booth_id: str,
    weights: Weights | None = None,
) -> list[Lead]:
    """The needs a booth answers, best first: only needs their buyers show to exhibitors."""
    booth = await load_managed_booth(session, booth_id, actor=actor)
    fair = await session.get(Fair, booth.fair_id)
    assert fair is not None
    (facts,) = await _booth_facts(session, fair, Booth.id == booth.id)
    rows = await _candidate_needs(session, fair, [facts], visible_only=True)
    buyers = {user.id: user for _, user in rows}
    needs = [need_facts(need, buyers[need.buyer_id]) for need, _ in rows]
    found = await context(
        session, fair=fair, buyer_ids=buyers, seller_ids=[seller_of(booth)], for_exhibitors=True
    )
    weights = weights or await current_weights(session)
    matches = rank(needs, [facts], weights=weights, context=found, min_score=MIN_SCORE)
    timed = await _with_good_times(
        session,
        fair,
        matches[:MAX_ITEMS],
        buyers=buyers,
        weights=weights,
        min_score=MIN_SCORE,
    )
    return [Lead(match, buyers[match.buyer_id]) for match in timed]


async def fair_matches(
    session: AsyncSession,
    *,
    actor: User | None,
    fair_slug: str,
    buyer_id: str | None = None,
    booth_id: str | None = None,
    min_score: float = MIN_SCORE,
    weights: Weights | None = None,
) -> list[Match]:
    """Every match of a fair (organizers and staff), best first, filtered."""
    viewer = require_role(actor, *MATCHERS)
    fair = await get_fair(session, fair_slug, viewer=viewer)
    booths = await fair_booths(session, fair)
    if booth_id is None:
        facts = booths.first(MAX_CANDIDATES)
    else:
        facts = [one] if (one := booths.get(booth_id)) is not None else []
    if not facts:
        return []
    rows = await _candidate_needs(
        session, fair, facts, visible_only=False, buyer_id=buyer_id, limit=MAX_FAIR_NEEDS
    )
    buyers = {user.id: user for _, user in rows}
    needs = [need_facts(need, buyers[need.buyer_id]) for need, _ in rows]
    found = await context(
        session, fair=fair, buyer_ids=buyers, seller_ids=[b.seller for b in facts]
    )
    weights = weights or await current_weights(session)
    matches = best_matches(
        needs,
        booths.index,
        within=booths.index.mask(facts),
        weights=weights,
        context=found,
        min_score=min_score,
        limit=MAX_FAIR_MATCHES,
    )
    return await _with_good_times(
        session,
        fair,
        matches,
        buyers=buyers,
        weights=weights,
        min_score=min_score,
    )
