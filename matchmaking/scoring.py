"""The match engine's score of a (need, booth) pair: pure (no database, no clock), facts in,
a score in [0, 1] with its parts and its reasons out.

Each part is a value in [0, 1] for one thing the buyer asked for; the score is the weighted
mean of the parts the need asks for (a need without HS codes is not marked down for them),
so one need's booths are ranked on the same scale. The weights are a data object
(``Weights``): the documented priors below until learned ones replace them.

A pair is a match only when the booth makes something asked for (an HS prefix, a category
or words of the need's text): sharing a market or a language alone is not a match.

Facts from outside the pair come in the ``Context``: the exchange rates a price is compared
with, today and the fair's dates for a need's time frame, and the good-for-both times of the
pairs the caller worked them out for (``matchmaking.service`` does, for the best pairs only:
a part the context says nothing of is left out of the score, not counted as a misfit).
"""

from __future__ import annotations

import heapq
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from booths.text import fold
from fair.money import convert

# What an HS match is worth by the digits the two codes share: a 6-digit subheading is the
# product asked for, a 4-digit heading a near one, a 2-digit chapter the same trade.
HS_LEVEL_VALUE: dict[int, float] = {6: 1.0, 4: 0.6, 2: 0.3}
# Half of the need's words found in the booth's texts is already a full text match: a need
# says more than any one booth's texts repeat.
TEXT_SATURATION = 0.5
# Parts a booth says nothing about (no markets listed, no minimum order in the unit asked
# for) are neither a fit nor a misfit.
UNKNOWN = 0.5
# A meeting through an interpreter is possible but not as good as a common language.
WITH_INTERPRETER = 0.5
# The programme's working language: a booth that lists no meeting language meets in it.
DEFAULT_BOOTH_LANGUAGES = ("ja",)
# Three good times for both in the fair are choice enough; fewer count in proportion.
GOOD_TIMES_ENOUGH = 3
# A time frame starting this long after the fair's last day is far off: half a fit.
FAR_OFF = timedelta(days=365)
FAR_OFF_VALUE = 0.5
MAX_TEXT_UNITS = 32
MAX_PRODUCT_IDS = 5
MAX_REASON_WORDS = 3
# Words too common in what buyers write to say anything of a product.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "buy", "by", "for", "from", "in", "is",
        "it", "looking", "need", "of", "on", "or", "our", "seek", "seeking", "the", "to",
        "want", "we", "with", "cho", "can", "va", "cua", "mua", "tim",
    }
)  # fmt: skip
SUBSTANCE = ("hs", "category", "text")


@dataclass(frozen=True)
class Weights:
    """How much each part counts (any non-negative numbers; the score divides by their
    sum over the parts a need asks for). ``PRIOR_WEIGHTS`` are the documented priors."""

    hs: float = 0.35
    category: float = 0.15
    text: float = 0.20
    certifications: float = 0.10
    minimum_order: float = 0.05
    market: float = 0.10
    language: float = 0.05
    price: float = 0.10
    time_frame: float = 0.05
    hours: float = 0.05

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(v < 0 for v in values) or not any(v > 0 for v in values):
            raise ValueError("weights are non-negative and not all zero")

    def of(self, part: str) -> float:
        return float(getattr(self, part))


PRIOR_WEIGHTS = Weights()


@dataclass(frozen=True)
class Quantity:
    amount: int
    unit: str


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class NeedFacts:
    id: str
    buyer_id: str
    text: str = ""
    categories: tuple[str, ...] = ()
    hs_codes: tuple[str, ...] = ()  # 2, 4 or 6 digits
    quantity: Quantity | None = None
    price: Price | None = None  # the target price of one unit
    time_from: date | None = None  # when the buyer buys: from, until (either may be open)
    time_until: date | None = None
    certifications: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()  # where the buyer sells (their country when none given)
    languages: tuple[str, ...] = ()  # meeting languages (the buyer's when none given)
    buyer_company: str = ""  # folded (fair.accounts.companies.name_key), as a booth's company
    visible_to_exhibitors: bool = True


@dataclass(frozen=True)
class ProductFacts:
    id: str
    hs_code: str = ""
    moq: int | None = None
    moq_unit: str = "piece"
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str = "JPY"
    text: str = ""  # folded, every language


@dataclass(frozen=True)
class BoothFacts:
    id: str
    owner_id: str
    company: str = ""  # folded company key
    categories: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()  # where it sells
    wanted_markets: tuple[str, ...] = ()  # where it wants buyers who sell ("buyers we want")
    minimum_order: Quantity | None = None  # the booth's, for products that give none
    languages: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    text: str = ""  # folded, every language, the products' texts included
    products: tuple[ProductFacts, ...] = ()
    approved: bool = True
    fair_published: bool = True
    company_id: str | None = None  # the exhibitor company (fair.accounts.companies)

    @property
    def seller(self) -> str:
        """Who sells at the booth: its company, or its owner where it has none. A no deal
        closes the pair for every booth of that company, whoever of it hosted the meeting."""
        return self.company_id or self.owner_id

    # Worked out once per booth, not once per need it is scored against.
    @cached_property
    def products_by_prefix(self) -> dict[str, list[ProductFacts]]:
        """The products whose code starts with each 2-, 4- and 6-digit prefix, in order."""
        found: dict[str, list[ProductFacts]] = {}
        for product in self.products:
            for level in (2, 4, 6):
                if len(product.hs_code) >= level:
                    found.setdefault(product.hs_code[:level], []).append(product)
        return found

    @cached_property
    def certification_keys(self) -> dict[str, str]:
        return {_certification_key(name): name for name in self.certifications}


@dataclass(frozen=True)
class Context:
    """What the score needs beyond the pair: pairs closed as no deal, as (buyer id, booth
    seller: ``BoothFacts.seller``); the language pairs an interpreter of the programme
    covers; whether the viewer is the exhibitor side (then needs hidden from exhibitors are
    left out); the exchange rates (yen per unit, by currency: ``fair.money``); today and the
    fair's first and last days (a need whose time frame has passed is no match); and the
    good-for-both times in the fair by (buyer id, booth id), for the pairs they were counted for."""

    closed_pairs: frozenset[tuple[str, str]] = frozenset()
    interpreter_pairs: frozenset[frozenset[str]] = frozenset()
    for_exhibitors: bool = False
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    today: date | None = None
    fair_days: tuple[date, date] | None = None
    good_times: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    name: str
    value: float
    weight: float


@dataclass(frozen=True)
class Match:
    need_id: str
    buyer_id: str
    booth_id: str
    score: float
    parts: tuple[Part, ...]
    reasons: tuple[Reason, ...]
    product_ids: tuple[str, ...]


# Exclusions ---------------------------------------------------------------------------------


def exclusion(need: NeedFacts, booth: BoothFacts, context: Context) -> str | None:
    """Why the pair is never a match, or None."""
    if booth.owner_id == need.buyer_id or (
        need.buyer_company and need.buyer_company == booth.company
    ):
        return "own_company"
    if not booth.approved:
        return "unapproved"
    if not booth.fair_published:
        return "unpublished"
    if context.for_exhibitors and not need.visible_to_exhibitors:
        return "hidden"
    if (need.buyer_id, booth.seller) in context.closed_pairs:
        return "no_deal"
    today = context.today
    if need.time_until is not None and today is not None and need.time_until < today:
        return "time_frame_passed"
    return None


# Text ---------------------------------------------------------------------------------------

# Scripts written without spaces, and how many characters in a row of a need must be found
# for them to mean something: two Chinese characters are often a word, two kana or two Thai
# letters are a piece of one (a Thai need would otherwise meet every Thai text).
_UNSPACED: tuple[tuple[int, int, int], ...] = (
    (0x0E00, 0x0EFF, 5),  # Thai, Lao
    (0x1000, 0x109F, 5),  # Myanmar
    (0x1780, 0x17FF, 5),  # Khmer
    (0x2E80, 0x33FF, 3),  # CJK radicals and symbols, kana
    (0x3400, 0x9FFF, 2),  # CJK ideographs
    (0xF900, 0xFAFF, 2),
    (0x20000, 0x3FFFF, 2),
)


def _min_chars(char: str) -> int:
    """0 for a character of a spaced script, else the characters in a row that count."""
    point = ord(char)
    return next((chars for low, high, chars in _UNSPACED if low <= point <= high), 0)


def _separator(char: str) -> bool:
    return unicodedata.category(char)[0] in "PSZC"


@dataclass(frozen=True)
class Unit:
    """A piece of a need's text looked for in a booth's: a word where words are spaced, a
    pair of characters in scripts written without spaces (Japanese, Chinese, Thai)."""

    text: str
    run: int
    position: int
    unspaced: bool = False
    run_length: int = 0


def _runs(text: str) -> list[tuple[str, bool]]:
    runs: list[tuple[str, bool]] = []
    current, kind = "", False
    for char in text:
        if _separator(char):
            if current:
                runs.append((current, kind))
            current = ""
            continue
        char_kind = _min_chars(char) > 0
        if current and char_kind != kind and not unicodedata.combining(char):
            runs.append((current, kind))
            current = ""
        if not current:
            kind = char_kind
        current += char
    if current:
        runs.append((current, kind))
    return runs


def text_units(text: str) -> tuple[Unit, ...]:
    """The need's text as units to look for: folded as the directory folds, so a need in
    any language meets the booths' texts in the same form."""
    units: list[Unit] = []
    seen: set[str] = set()
    for index, (run, unspaced) in enumerate(_runs(fold(text))):
        if unspaced:
            pieces = [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else []
        else:
            pieces = [run] if len(run) >= 2 and run not in STOP_WORDS else []
        for position, piece in enumerate(pieces):
            if piece not in seen:
                seen.add(piece)
                units.append(Unit(piece, index, position, unspaced, len(run)))
    return tuple(units[:MAX_TEXT_UNITS])


def _sequences(units: Sequence[Unit]) -> list[list[Unit]]:
    """Found units in a row: pairs of characters that follow each other in the need."""
    groups: list[list[Unit]] = []
    for unit in units:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and unit.unspaced
            and last.unspaced
            and unit.run == last.run
            and unit.position == last.position + 1
        ):
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return groups


def _word(group: Sequence[Unit]) -> str:
    return group[0].text + "".join(unit.text[-1] for unit in group[1:])


def _meaningful(groups: Sequence[Sequence[Unit]]) -> list[Sequence[Unit]]:
    """The groups long enough to mean something in their script (or a whole run)."""
    kept = []
    for group in groups:
        word = _word(group)
        needed = max(_min_chars(char) for char in word) if group[0].unspaced else 0
        if len(word) >= needed or len(word) >= group[0].run_length:
            kept.append(group)
    return kept


# The parts ----------------------------------------------------------------------------------


def hs_level(asked: str, made: str) -> int:
    """The digits (6, 4, 2 or 0) the product's code shares with the asked prefix."""
    for level in (6, 4, 2):
        if len(asked) >= level and len(made) >= level and asked[:level] == made[:level]:
            return level
    return 0


def hs_label(code: str) -> str:
    """9617.00 for a subheading, 9617 for a heading, 96 for a chapter."""
    return f"{code[:4]}.{code[4:]}" if len(code) == 6 else code


@lru_cache(maxsize=1024)
def _certification_key(name: str) -> str:
    return "".join(char for char in fold(name) if not _separator(char))


@dataclass
class _Scored:
    parts: list[Part] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    products: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, weights: Weights) -> None:
        self.parts.append(Part(name, value, weights.of(name)))

    def offer(self, product_ids: Iterable[str]) -> None:
        for product_id in product_ids:
            if product_id not in self.products:
                self.products.append(product_id)


def _hs_fit(need: NeedFacts, booth: BoothFacts) -> tuple[int, str, str, list[ProductFacts]]:
    """The best level any asked code reaches (``hs_level``), the first asked code and
    product code that reach it, and every product that does."""
    best, asked_best, made_best = 0, "", ""
    matched: list[ProductFacts] = []
    by_prefix = booth.products_by_prefix
    for asked in need.hs_codes:
        for level in (6, 4, 2):
            products = by_prefix.get(asked[:level]) if len(asked) >= level else None
            if products:
                break
        else:
            continue
        if level > best:
            best, asked_best, made_best = level, asked, products[0].hs_code
            matched = list(products)
        elif level == best:
            matched.extend(product for product in products if product not in matched)
    return best, asked_best, made_best, matched


def _hs(need: NeedFacts, booth: BoothFacts, out: _Scored, weights: Weights) -> list[ProductFacts]:
    best, asked_best, made_best, matched = _hs_fit(need, booth)
    out.add("hs", HS_LEVEL_VALUE.get(best, 0.0), weights)
    if best:
        code = "hs" if best >= len(asked_best) else "hs_related"
        out.reasons.append(
            Reason(code, {"code": hs_label(made_best), "asked": hs_label(asked_best)})
        )
        out.offer(p.id for p in matched)
    return matched


def _category(need: NeedFacts, booth: BoothFacts, out: _Scored, weights: Weights) -> None:
    shared = [code for code in need.categories if code in booth.categories]
    out.add("category", len(shared) / len(need.categories), weights)
    if shared:
        out.reasons.append(Reason("category", {"categories": shared}))


def _text(units: Sequence[Unit], booth: BoothFacts, out: _Scored, weights: Weights) -> None:
    groups = _meaningful(_sequences([unit for unit in units if unit.text in booth.text]))
    found = sum(len(group) for group in groups)
    words = [_word(group) for group in groups]
    found_in_products = [
        product.id
        for product in booth.products
        if product.text and any(word in product.text for word in words)
    ]
    out.add("text", min(1.0, found / len(units) / TEXT_SATURATION), weights)
    if words:
        out.reasons.append(Reason("text", {"words": words[:MAX_REASON_WORDS]}))
        out.offer(found_in_products)


def _certifications(need: NeedFacts, booth: BoothFacts, out: _Scored, weights: Weights) -> None:
    held = booth.certification_keys
    met = [held[key] for key in map(_certification_key, need.certifications) if key in held]
    out.add("certifications", len(met) / len(need.certifications), weights)
    if met:
        out.reasons.append(Reason("certification", {"certifications": met}))


def _lowest_order(booth: BoothFacts, hs_matched: Sequence[ProductFacts], unit: str) -> int | None:
    """The lowest minimum order in ``unit`` of the products asked for by HS code, when there
    are some, else of any of the booth's; when no product gives one, the booth's own minimum
    ("buyers we want"); None when nothing says."""
    products = hs_matched or booth.products
    minimums = [p.moq for p in products if p.moq is not None and p.moq_unit == unit]
    if minimums:
        return min(minimums)
    booth_minimum = booth.minimum_order
    if booth_minimum is not None and booth_minimum.unit == unit:
        return booth_minimum.amount
    return None


def _minimum_order(
    need: NeedFacts,
    booth: BoothFacts,
    hs_matched: Sequence[ProductFacts],
    out: _Scored,
    weights: Weights,
) -> None:
    assert need.quantity is not None
    wanted = need.quantity
    lowest = _lowest_order(booth, hs_matched, wanted.unit)
    if lowest is None:
        out.add("minimum_order", UNKNOWN, weights)
        return
    fits = lowest <= wanted.amount
    out.add("minimum_order", 1.0 if fits else 0.0, weights)
    if fits:
        params = {"moq": lowest, "amount": wanted.amount, "unit": wanted.unit}
        out.reasons.append(Reason("minimum_order", params))


def _market_fit(need: NeedFacts, booth: BoothFacts) -> tuple[float, Reason | None]:
    """The markets the buyer sells to against those the exhibitor wants buyers for, or,
    when it names none, those it sells to; unknown when it says neither."""
    wanted = booth.wanted_markets
    theirs = wanted or booth.markets
    if not theirs:
        return UNKNOWN, None
    shared = [code for code in need.markets if code in theirs]
    if not shared:
        return 0.0, None
    return 1.0, Reason("wanted_market" if wanted else "market", {"markets": shared})


def _market(need: NeedFacts, booth: BoothFacts, out: _Scored, weights: Weights) -> None:
    value, reason = _market_fit(need, booth)
    out.add("market", value, weights)
    if reason is not None:
        out.reasons.append(reason)


def _price_fit(
    need: NeedFacts, booth: BoothFacts, hs_matched: Sequence[ProductFacts], context: Context
) -> tuple[float, Reason | None]:
    """The buyer's target price against the price ranges of the products asked for by HS
    code (else all the booth's), each converted into the need's currency with the staff's
    rates: a fit when a product's lowest price is at most the target. Unknown when no
    product gives a price, or none can be converted (a rate is missing)."""
    assert need.price is not None
    target = need.price
    known = False
    for product in hs_matched or booth.products:
        low = product.price_min if product.price_min is not None else product.price_max
        if low is None:
            continue
        converted = convert(low, product.currency, target.currency, context.rates)
        if converted is None:
            continue
        known = True
        if converted <= target.amount:
            high = product.price_max if product.price_max is not None else low
            params = {
                "low": low,
                "high": high,
                "currency": product.currency,
                "target": target.amount,
                "target_currency": target.currency,
            }
            return 1.0, Reason("price", params)
    return (0.0 if known else UNKNOWN), None


def _price(
    need: NeedFacts,
    booth: BoothFacts,
    hs_matched: Sequence[ProductFacts],
    context: Context,
    out: _Scored,
    weights: Weights,
) -> None:
    value, reason = _price_fit(need, booth, hs_matched, context)
    out.add("price", value, weights)
    if reason is not None:
        out.reasons.append(reason)


def _time_frame_fit(need: NeedFacts, context: Context) -> tuple[float, Reason | None] | None:
    """When the buyer buys against the fair's days: the fair comes in time unless the time
    frame ends before the fair begins; a time frame starting long after the fair is far
    off. None (no part) when the need gives no time frame or the fair's days are unknown."""
    if (need.time_from is None and need.time_until is None) or context.fair_days is None:
        return None
    first, last = context.fair_days
    if need.time_until is not None and need.time_until < first:
        return 0.0, None
    if need.time_from is not None and need.time_from > last + FAR_OFF:
        return FAR_OFF_VALUE, None
    return 1.0, Reason("time_frame", {"from": need.time_from, "until": need.time_until})


def _good_times(need: NeedFacts, booth: BoothFacts, context: Context) -> int | None:
    return context.good_times.get((need.buyer_id, booth.id))


def _hours_part(count: int, weights: Weights) -> tuple[Part, Reason | None]:
    part = Part("hours", min(1.0, count / GOOD_TIMES_ENOUGH), weights.of("hours"))
    return part, Reason("good_times", {"count": count}) if count else None


def _hours(need: NeedFacts, booth: BoothFacts, context: Context, out: _Scored, w: Weights) -> None:
    count = _good_times(need, booth, context)
    if count is None:
        return
    part, reason = _hours_part(count, w)
    out.parts.append(part)
    if reason is not None:
        out.reasons.append(reason)


def _spoken(need: NeedFacts, booth: BoothFacts, context: Context) -> tuple[float, Reason | None]:
    theirs = booth.languages or DEFAULT_BOOTH_LANGUAGES
    common = [code for code in need.languages if code in theirs]
    if common:
        return 1.0, Reason("language", {"language": common[0]})
    for mine in need.languages:
        for other in theirs:
            if frozenset((mine, other)) in context.interpreter_pairs:
                return WITH_INTERPRETER, Reason("interpreter", {"language": mine, "other": other})
    return 0.0, None


def _language(
    need: NeedFacts, booth: BoothFacts, context: Context, out: _Scored, w: Weights
) -> None:
    value, reason = _spoken(need, booth, context)
    out.add("language", value, w)
    if reason is not None:
        out.reasons.append(reason)


# The score ----------------------------------------------------------------------------------


def score(
    need: NeedFacts,
    booth: BoothFacts,
    *,
    weights: Weights = PRIOR_WEIGHTS,
    context: Context | None = None,
    units: Sequence[Unit] | None = None,
) -> Match | None:
    """The pair's match, or None when it is excluded or the booth makes nothing asked for.
    ``units``: the need's ``text_units``, when the caller scores many booths for one need."""
    context = context or Context()
    if exclusion(need, booth, context) is not None:
        return None
    units = text_units(need.text) if units is None else units
    out = _Scored()
    hs_matched: list[ProductFacts] = []
    if need.hs_codes:
        hs_matched = _hs(need, booth, out, weights)
    if need.categories:
        _category(need, booth, out, weights)
    if units:
        _text(units, booth, out, weights)
    if not any(part.value > 0 for part in out.parts if part.name in SUBSTANCE):
        return None
    if need.certifications:
        _certifications(need, booth, out, weights)
    if need.quantity is not None:
        _minimum_order(need, booth, hs_matched, out, weights)
    if need.markets:
        _market(need, booth, out, weights)
    if need.languages:
        _language(need, booth, context, out, weights)
    if need.price is not None:
        _price(need, booth, hs_matched, context, out, weights)
    time_frame = _time_frame_fit(need, context)
    if time_frame is not None:
        out.add("time_frame", time_frame[0], weights)
        if time_frame[1] is not None:
            out.reasons.append(time_frame[1])
    _hours(need, booth, context, out, weights)
    return Match(
        need_id=need.id,
        buyer_id=need.buyer_id,
        booth_id=booth.id,
        score=_weighted(out.parts),
        parts=tuple(out.parts),
        reasons=tuple(out.reasons),
        product_ids=tuple(out.products[:MAX_PRODUCT_IDS]),
    )


def _weighted(parts: Sequence[Part]) -> float:
    total = sum(part.weight for part in parts)
    value = sum(part.weight * part.value for part in parts) / total if total else 0.0
    return round(min(1.0, max(0.0, value)), 4)


def with_good_times(match: Match, count: int, weights: Weights = PRIOR_WEIGHTS) -> Match:
    """The match as ``score`` makes it when the context gives the pair ``count`` good times
    (``match`` scored without them): the part added to the parts already worked out, so the
    best matches of a request get it without their costly parts (the text) again."""
    if any(part.name == "hours" for part in match.parts):
        return match
    part, reason = _hours_part(count, weights)
    parts = (*match.parts, part)
    reasons = match.reasons if reason is None else (*match.reasons, reason)
    return replace(match, score=_weighted(parts), parts=parts, reasons=reasons)


def ceiling(
    need: NeedFacts,
    booth: BoothFacts,
    units: Sequence[Unit],
    weights: Weights,
    context: Context,
    *,
    units_found: int | None = None,
) -> float | None:
    """A bound the pair's score never exceeds, without its costly part: every part as
    ``score`` works it out but the text, counted as if it fitted fully, or as if every unit
    the booth's text holds (``units_found``, when known) made a word. None when the pair
    is excluded."""
    if exclusion(need, booth, context) is not None:
        return None
    # Running sums, not Part objects: this runs for every candidate pair of a fair.
    total = reached = 0.0
    hs_matched: list[ProductFacts] = []
    if need.hs_codes:
        level, _, _, hs_matched = _hs_fit(need, booth)
        total += weights.hs
        reached += weights.hs * HS_LEVEL_VALUE.get(level, 0.0)
    if need.categories:
        shared = sum(1 for code in need.categories if code in booth.categories)
        total += weights.category
        reached += weights.category * shared / len(need.categories)
    if units:
        total += weights.text
        found = len(units) if units_found is None else units_found
        reached += weights.text * min(1.0, found / len(units) / TEXT_SATURATION)
    if need.certifications:
        held = booth.certification_keys
        met = sum(1 for name in need.certifications if _certification_key(name) in held)
        total += weights.certifications
        reached += weights.certifications * met / len(need.certifications)
    if need.quantity is not None:
        lowest = _lowest_order(booth, hs_matched, need.quantity.unit)
        total += weights.minimum_order
        if lowest is None:
            reached += weights.minimum_order * UNKNOWN
        elif lowest <= need.quantity.amount:
            reached += weights.minimum_order
    if need.markets:
        total += weights.market
        reached += weights.market * _market_fit(need, booth)[0]
    if need.languages:
        total += weights.language
        reached += weights.language * _spoken(need, booth, context)[0]
    if need.price is not None:
        total += weights.price
        reached += weights.price * _price_fit(need, booth, hs_matched, context)[0]
    time_frame = _time_frame_fit(need, context)
    if time_frame is not None:
        total += weights.time_frame
        reached += weights.time_frame * time_frame[0]
    count = _good_times(need, booth, context)
    if count is not None:
        total += weights.hours
        reached += weights.hours * min(1.0, count / GOOD_TIMES_ENOUGH)
    return reached / total if total else 0.0


# A score is rounded to four places: a bound this far below a score may still reach it.
ROUNDING = 1e-4


class OutlineBound:
    """The cheapest bound of one need's pairs, from their substance alone: the HS level and
    the share of categories as ``score`` works them out, the text by how many of the need's
    units the booth's text holds (``None``: as if all), every other part as a full fit. It
    needs no products' minimums or prices and no exclusion, so it can be worked out from a
    few figures per booth (``matchmaking.service`` reads them from the database before any
    booth's facts) or before ``ceiling`` (a fair's pairs: most never need more).

    Never below ``ceiling``: the parts and their weights are the same, and each part left
    out is counted at its most (1)."""

    def __init__(
        self, need: NeedFacts, units: Sequence[Unit], weights: Weights, context: Context
    ) -> None:
        self.need, self.units, self.weights, self.context = need, units, weights, context
        # The parts that do not depend on the booth, worked out once for the need's pairs.
        full = [
            weights.certifications if need.certifications else 0.0,
            weights.minimum_order if need.quantity is not None else 0.0,
            weights.market if need.markets else 0.0,
            weights.language if need.languages else 0.0,
            weights.price if need.price is not None else 0.0,
        ]
        self.total = self.reached = sum(full)
        time_frame = _time_frame_fit(need, context)
        if time_frame is not None:
            self.total += weights.time_frame
            self.reached += weights.time_frame * time_frame[0]
        if need.hs_codes:
            self.total += weights.hs
        if need.categories:
            self.total += weights.category
        if units:
            self.total += weights.text
        # Asked twice, a category counts twice in ``score``: then no share is assumed.
        self.categories_distinct = len(set(need.categories)) == len(need.categories)

    def of(
        self,
        booth_id: str,
        *,
        hs_level: int,
        categories_shared: int,
        units_found: int | None = None,
    ) -> float | None:
        """The bound of the pair with booth ``booth_id``: ``hs_level`` as ``hs_level`` gives
        it for the need's best code, ``categories_shared`` the need's categories the booth
        is in. None when the pair has no substance (no match)."""
        timed = bool(self.context.good_times) and (
            _good_times_of(self.need, booth_id, self.context) is not None
        )
        return self._bound(hs_level, categories_shared, units_found, timed=timed)

    def of_group(self, *, hs_level: int, categories_shared: int, units_found: int) -> float | None:
        """The bound of every pair whose booth shares this much with the need, whichever
        booth it is: the good times count as a full fit when the context has any (a part at
        its most never lowers a bound: (r + h) / (t + h) >= r / t)."""
        timed = bool(self.context.good_times)
        return self._bound(hs_level, categories_shared, units_found, timed=timed)

    def _bound(
        self, hs_level: int, categories_shared: int, units_found: int | None, *, timed: bool
    ) -> float | None:
        need, weights = self.need, self.weights
        text = bool(self.units) and (units_found is None or units_found > 0)
        if not (hs_level or categories_shared or text):
            return None
        total, reached = self.total, self.reached
        if need.hs_codes:
            reached += weights.hs * HS_LEVEL_VALUE.get(hs_level, 0.0)
        if need.categories:
            share = categories_shared / len(need.categories) if self.categories_distinct else 1.0
            reached += weights.category * min(1.0, share)
        if self.units:
            found = len(self.units) if units_found is None else units_found
            reached += weights.text * min(1.0, found / len(self.units) / TEXT_SATURATION)
        if timed:
            total += weights.hours
            reached += weights.hours
        return reached / total if total else 0.0


def _good_times_of(need: NeedFacts, booth_id: str, context: Context) -> int | None:
    return context.good_times.get((need.buyer_id, booth_id))


class Shortlist:
    """The best ``limit`` matches of pairs offered in the order of a bound of their score:
    once ``closed`` for a bound, no pair left can make the cut (its score stays below the
    ``limit``-th found), and the pairs are never scored."""

    def __init__(self, limit: int, min_score: float) -> None:
        self.limit, self.min_score = limit, min_score
        self.kept: list[float] = []  # a min-heap of the best ``limit`` scores so far
        self.found: list[Match] = []

    def closed(self, bound: float) -> bool:
        return len(self.kept) >= self.limit and bound + ROUNDING < self.kept[0]

    def offer(self, match: Match | None) -> None:
        if match is None or match.score < self.min_score:
            return
        self.found.append(match)
        if len(self.kept) < self.limit:
            heapq.heappush(self.kept, match.score)
        elif match.score > self.kept[0]:
            heapq.heapreplace(self.kept, match.score)

    def best(self) -> list[Match]:
        """The matches best first (ties: booth then need id), the first ``limit``."""
        return sorted(self.found, key=lambda m: (-m.score, m.booth_id, m.need_id))[: self.limit]


def _mask(positions: Iterable[int]) -> int:
    """The positions as the bits of an int (a set of booths that ``&`` and ``|`` combine in
    one step however many booths a fair has)."""
    bits = bytearray()
    for position in positions:
        byte = position >> 3
        if byte >= len(bits):
            bits.extend(bytes(byte + 1 - len(bits)))
        bits[byte] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


def _positions(mask: int) -> list[int]:
    """The set bits of ``mask``, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def _split(groups: dict[int, int], mask: int) -> dict[int, int]:
    """Groups of booths by a count, each split by ``mask``: those in it count one more."""
    split: dict[int, int] = {}
    for count, members in groups.items():
        if inside := members & mask:
            split[count + 1] = split.get(count + 1, 0) | inside
        if outside := members & ~mask:
            split[count] = split.get(count, 0) | outside
    return split


# The units whose booths an index remembers (a fair's needs repeat their words).
MAX_REMEMBERED_UNITS = 4096


class BoothIndex:
    """Which booths share what with a need, as sets of booths (bits of an int by the booth's
    position): the HS prefixes (2, 4 and 6 digits) their products make, their categories,
    and which units of a need's text their texts hold. A unit holds no space (``_runs`` splits
    on every separator), so a text holds it exactly when one of the text's space-separated
    words does: the index keeps the booths of each word, and a unit's booths are those of the
    words that contain it (worked out once, then remembered). No pair needs its booth's text
    read to know which units it holds, or its products to know its HS level.

    ``changed`` makes the index of the booths after some changed, from this one: the
    booths' positions stay, and only the changed booths' words are looked at (a fair's
    booths are kept in memory by ``matchmaking.boothcache``, and an edit costs little)."""

    def __init__(self, booths: Sequence[BoothFacts] = ()) -> None:
        self.booths: list[BoothFacts | None] = list(booths)
        self.positions = {booth.id: position for position, booth in enumerate(self.booths)}
        prefixes: dict[str, list[int]] = {}
        categories: dict[str, list[int]] = {}
        words: dict[str, list[int]] = {}
        for position, booth in enumerate(booths):
            made, kinds, written = self._keys(booth)
            for key in made:
                prefixes.setdefault(key, []).append(position)
            for key in kinds:
                categories.setdefault(key, []).append(position)
            for key in written:
                words.setdefault(key, []).append(position)
        self._prefix = {key: _mask(found) for key, found in prefixes.items()}
        self._category = {key: _mask(found) for key, found in categories.items()}
        self._word = {key: _mask(found) for key, found in words.items()}
        self._units: dict[str, int] = {}
        self.all = _mask(range(len(self.booths)))

    @staticmethod
    def _keys(booth: BoothFacts) -> tuple[set[str], set[str], set[str]]:
        made = {
            product.hs_code[:level]
            for product in booth.products
            for level in (2, 4, 6)
            if len(product.hs_code) >= level
        }
        return made, set(booth.categories), set(booth.text.split())

    def changed(self, booths: Iterable[BoothFacts], removed: Iterable[str] = ()) -> BoothIndex:
        """A new index with ``booths`` in (added, or in place of those of their ids) and the
        booths of ``removed`` out; this one stays as it was (a request may be reading it)."""
        new = BoothIndex()
        new.booths, new.positions = list(self.booths), dict(self.positions)
        new._prefix, new._category = dict(self._prefix), dict(self._category)
        new._word, new._units, new.all = dict(self._word), dict(self._units), self.all
        touched: list[int] = []
        for booth_id in removed:
            if (position := new.positions.pop(booth_id, None)) is not None:
                new._move(position, None)
                touched.append(position)
        for booth in booths:
            position = new.positions.setdefault(booth.id, len(new.booths))
            if position == len(new.booths):
                new.booths.append(None)
            new._move(position, booth)
            touched.append(position)
        for unit, mask in new._units.items():
            for position in touched:
                booth = new.booths[position]
                if booth is not None and unit in booth.text:
                    mask |= 1 << position
                else:
                    mask &= ~(1 << position)
            new._units[unit] = mask
        return new

    def _move(self, position: int, booth: BoothFacts | None) -> None:
        """The booth at ``position`` replaced by ``booth`` (None: gone) in every set."""
        bit = 1 << position
        old = self.booths[position]
        if old is not None:
            for keys, sets in zip(self._keys(old), self._sets(), strict=True):
                for key in keys:
                    if left := sets[key] & ~bit:
                        sets[key] = left
                    else:
                        del sets[key]
        if booth is not None:
            for keys, sets in zip(self._keys(booth), self._sets(), strict=True):
                for key in keys:
                    sets[key] = sets.get(key, 0) | bit
        self.booths[position] = booth
        self.all = self.all | bit if booth is not None else self.all & ~bit

    def _sets(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        return self._prefix, self._category, self._word

    def holding(self, unit: str) -> int:
        """The booths whose text holds ``unit`` (a need's text unit: no space in it)."""
        found = self._units.get(unit)
        if found is None:
            found = 0
            for word, booths in self._word.items():
                if unit in word:
                    found |= booths
            if len(self._units) >= MAX_REMEMBERED_UNITS:
                self._units.clear()
            self._units[unit] = found
        return found

    def making(self, codes: Iterable[str], level: int) -> int:
        """The booths with a product that shares ``level`` digits with one of ``codes``."""
        found = 0
        for code in codes:
            if len(code) >= level:
                found |= self._prefix.get(code[:level], 0)
        return found

    def in_category(self, code: str) -> int:
        return self._category.get(code, 0)

    def substance(self, need: NeedFacts, units: Sequence[Unit]) -> int:
        """The booths that share something with the need: a chapter, a category, a unit."""
        found = self.making(need.hs_codes, 2)
        for code in need.categories:
            found |= self.in_category(code)
        for unit in units:
            found |= self.holding(unit.text)
        return found & self.all

    def mask(self, booths: Iterable[BoothFacts]) -> int:
        """The set of ``booths`` (booths of the index)."""
        return _mask(self.positions[booth.id] for booth in booths)

    def of(self, mask: int) -> list[BoothFacts]:
        """The booths of ``mask``, by position."""
        return [booth for p in _positions(mask) if (booth := self.booths[p]) is not None]

    def candidates(self, need: NeedFacts, units: Sequence[Unit]) -> list[BoothFacts]:
        """The booths that share something with the need, in the order they were given."""
        return self.of(self.substance(need, units))

    def outlines(
        self, need: NeedFacts, units: Sequence[Unit], within: int
    ) -> list[tuple[int, int, int, int]]:
        """The booths of ``within`` that share something with the need, in groups that share
        it alike: (HS level, categories shared, units held, the group's booths)."""
        within &= self.substance(need, units)
        if not within:
            return []
        levels: dict[int, int] = {}
        rest = within
        for level in (6, 4, 2):
            if need.hs_codes and (members := rest & self.making(need.hs_codes, level)):
                levels[level] = members
                rest &= ~members
        if rest:
            levels[0] = rest
        shared = {0: within}
        for code in need.categories:  # a code asked twice counts twice, as in ``score``
            shared = _split(shared, self.in_category(code))
        held = {0: within}
        for unit in units:
            held = _split(held, self.holding(unit.text))
        groups = []
        for level, by_level in levels.items():
            for count, by_category in shared.items():
                if not (both := by_level & by_category):
                    continue
                for found, by_text in held.items():
                    if members := both & by_text:
                        groups.append((level, count, found, members))
        return groups


def best_matches(
    needs: Sequence[NeedFacts],
    index: BoothIndex,
    *,
    within: int | None = None,
    weights: Weights = PRIOR_WEIGHTS,
    context: Context | None = None,
    min_score: float = 0.0,
    limit: int,
) -> list[Match]:
    """The best ``limit`` matches of the needs and the index's booths (those of ``within``
    only, when given), best first (ties: booth then need id): the first ``limit`` of
    ``rank``'s, found by bounds refined as they come up. The index gives every need's booths
    in groups that share alike (the same HS level, categories and units of the text held),
    and each group its ``OutlineBound``; a group that comes up gives its pairs, a pair that
    comes up gets its ``ceiling`` (products' minimums and prices), a pair whose ceiling comes
    up is scored (the text); it stops once no bound left can reach the ``limit``-th score
    found. Most groups never come up, and most pairs are never scored."""
    context = context or Context()
    within = index.all if within is None else within & index.all
    # (-bound, stage, order, need number, units held, the group or a booth's position);
    # stage 0: a group of booths by their outline, 1: a pair by its ceiling.
    pending: list[tuple[float, int, int, int, int, int]] = []
    units = [text_units(need.text) for need in needs]
    for number, need in enumerate(needs):
        outline = OutlineBound(need, units[number], weights, context)
        for level, shared, found, members in index.outlines(need, units[number], within):
            bound = outline.of_group(hs_level=level, categories_shared=shared, units_found=found)
            if bound is not None and bound + ROUNDING >= min_score:
                pending.append((-bound, 0, len(pending), number, found, members))
    heapq.heapify(pending)
    order = len(pending)
    shortlist = Shortlist(limit, min_score)
    while pending:
        bound, stage, _, number, found, item = heapq.heappop(pending)
        if shortlist.closed(-bound):
            break
        need = needs[number]
        if stage == 0:
            # Every pair of the group at once: each would come up next, at the same bound.
            for position in _positions(item):
                booth = index.booths[position]
                assert booth is not None
                fine = ceiling(need, booth, units[number], weights, context, units_found=found)
                if fine is not None and fine + ROUNDING >= min_score:
                    heapq.heappush(pending, (-fine, 1, order, number, found, position))
                    order += 1
            continue
        booth = index.booths[item]
        assert booth is not None
        shortlist.offer(score(need, booth, weights=weights, context=context, units=units[number]))
    return shortlist.best()


# Below this many needs, looking each need's words up in every booth's text costs less than
# indexing the booths' texts first (one buyer's recommendations).
INDEX_FROM_NEEDS = 8


def rank(
    needs: Iterable[NeedFacts],
    booths: Sequence[BoothFacts],
    *,
    weights: Weights = PRIOR_WEIGHTS,
    context: Context | None = None,
    min_score: float = 0.0,
    limit: int | None = None,
) -> list[Match]:
    """Every pair's match, best first (ties: booth then need id, so the order is stable),
    or the first ``limit`` of them. With many needs, only the pairs a ``BoothIndex`` finds
    are scored in full, and with a limit only those whose bounds can still make the cut
    (``best_matches``): the same matches either way."""
    needs = list(needs)
    if limit is not None:
        return best_matches(
            needs,
            BoothIndex(booths),
            weights=weights,
            context=context,
            min_score=min_score,
            limit=limit,
        )
    index = BoothIndex(booths) if len(needs) >= INDEX_FROM_NEEDS else None
    found = []
    for need in needs:
        units = text_units(need.text)
        for booth in booths if index is None else index.candidates(need, units):
            match = score(need, booth, weights=weights, context=context, units=units)
            if match is not None and match.score >= min_score:
                found.append(match)
    ranked = sorted(found, key=lambda m: (-m.score, m.booth_id, m.need_id))
    return ranked if limit is None else ranked[:limit]


def best_per_booth(matches: Iterable[Match]) -> list[Match]:
    """Each booth once, by its best need's match (``matches`` best first)."""
    seen: set[str] = set()
    best = []
    for match in matches:
        if match.booth_id not in seen:
            seen.add(match.booth_id)
            best.append(match)
    return best
