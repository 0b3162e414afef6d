"""The match engine's score, worked by hand on small fixed sets, its exclusions, and the
properties that hold for any pair."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booths.text import fold
from fair.i18n import use_language
from matchmaking.reasons import render
from matchmaking.scoring import (
    INDEX_FROM_NEEDS,
    PRIOR_WEIGHTS,
    BoothFacts,
    Context,
    NeedFacts,
    Price,
    ProductFacts,
    Quantity,
    Weights,
    ceiling,
    exclusion,
    hs_level,
    rank,
    score,
    text_units,
    with_good_times,
)

TUMBLER_JA = ProductFacts(
    id="p-tumbler",
    hs_code="961700",
    moq=300,
    moq_unit="piece",
    text=fold("ステンレス真空タンブラー 鏡面研磨仕上げ"),
)
JAPANESE_BOOTH = BoothFacts(
    id="b-tsubame",
    owner_id="u-exhibitor",
    company=fold("燕ミガキ工業"),
    languages=("ja", "en"),
    text=fold("燕ミガキ工業 深絞りと鏡面研磨 ステンレス真空タンブラー 鏡面研磨仕上げ"),
    products=(TUMBLER_JA,),
)


def texts_of(match, audience="buyer", language="en"):
    with use_language(language):
        return [render(reason, audience)["text"] for reason in match.reasons]


def test_a_thai_need_meets_a_product_described_only_in_japanese_through_its_hs_code():
    need = NeedFacts(
        id="n-thai",
        buyer_id="u-buyer",
        text="ต้องการกระติกน้ำสแตนเลสเก็บความเย็น",
        hs_codes=("961700",),
        languages=("en",),
    )
    match = score(need, JAPANESE_BOOTH)
    assert match is not None
    # hs 1.0 × 0.35, text 0 × 0.20 (no Thai word in Japanese), language 1.0 × 0.05.
    assert match.score == pytest.approx(0.4 / 0.6, abs=1e-4)
    assert {p.name: p.value for p in match.parts} == {"hs": 1.0, "text": 0.0, "language": 1.0}
    assert match.product_ids == ("p-tumbler",)
    assert texts_of(match) == ["makes HS 9617.00 that you asked for", "meets in English"]


def test_a_chinese_need_meets_a_product_text_in_chinese():
    product = ProductFacts(id="p-cup", text=fold("不锈钢真空保温杯，镜面抛光"))
    booth = BoothFacts(
        id="b-cup",
        owner_id="u-ex",
        text=fold("燕市 不锈钢真空保温杯，镜面抛光"),
        products=(product,),
    )
    need = NeedFacts(id="n-zh", buyer_id="u-buyer", text="寻找不锈钢保温杯供应商")
    match = score(need, booth)
    assert match is not None
    # Ten pairs of characters in the need; 不锈 锈钢 保温 温杯 are in the booth: 4/10, and
    # half the need's words already count as a full text match: 0.4 / 0.5 = 0.8.
    assert match.score == pytest.approx(0.8)
    assert match.product_ids == ("p-cup",)
    assert texts_of(match) == ["mentions “不锈钢”, “保温杯”"]
    with use_language("zh_Hans"):
        assert render(match.reasons[0], "buyer")["text"].count("不锈钢") == 1


def full_need(**changes):
    need = NeedFacts(
        id="n-full",
        buyer_id="u-buyer",
        text="vacuum tumbler",
        categories=("metal_parts", "ceramics"),
        hs_codes=("9617",),
        quantity=Quantity(1000, "piece"),
        certifications=("ISO 13485", "HACCP"),
        markets=("VN",),
        languages=("vi",),
    )
    return replace(need, **changes)


FULL_BOOTH = BoothFacts(
    id="b-full",
    owner_id="u-ex",
    company="tsubame",
    categories=("metal_parts", "cutlery_tools"),
    markets=("VN", "CN"),
    languages=("ja", "en"),
    certifications=("ISO13485",),
    text=fold("Tsubame Vacuum Tumbler 350 ml Kettle"),
    products=(
        ProductFacts("p1", hs_code="961700", moq=300, moq_unit="piece", text="vacuum tumbler"),
        ProductFacts("p2", hs_code="732393", moq=50, moq_unit="piece", text="kettle"),
    ),
)
VI_JA = Context(interpreter_pairs=frozenset({frozenset(("vi", "ja"))}))


def test_every_part_worked_by_hand():
    match = score(full_need(), FULL_BOOTH, context=VI_JA)
    assert match is not None
    parts = {p.name: p.value for p in match.parts}
    assert parts == {
        "hs": 0.6,  # a 4-digit heading shared
        "category": 0.5,  # one of the two categories asked for
        "text": 1.0,  # both words found
        "certifications": 0.5,  # ISO 13485 (written ISO13485 by the booth), not HACCP
        "minimum_order": 1.0,  # 300 ≤ 1,000 pieces, on the product of the HS code asked
        "market": 1.0,
        "language": 0.5,  # no common language; an interpreter for vi–ja
    }
    # 0.35×0.6 + 0.15×0.5 + 0.20×1 + 0.10×0.5 + 0.05×1 + 0.10×1 + 0.05×0.5, weights sum to 1.
    assert match.score == pytest.approx(0.71)
    assert match.product_ids == ("p1",)
    assert texts_of(match) == [
        "makes HS 9617.00 that you asked for",
        "works in Metal Parts & Metalworking",
        "mentions “vacuum”, “tumbler”",
        "has ISO13485",
        "minimum order 300 ≤ your 1,000 pieces",
        "sells to Vietnam",
        "an interpreter between Tiếng Việt and 日本語 is available",
    ]
    assert texts_of(match, "others")[4] == "minimum order 300 ≤ the buyer's 1,000 pieces"


def test_a_common_language_and_a_too_large_minimum_order():
    need = full_need(languages=("vi", "ja"), quantity=Quantity(100, "piece"))
    match = score(need, FULL_BOOTH)
    assert match is not None
    parts = {p.name: p.value for p in match.parts}
    assert (parts["minimum_order"], parts["language"]) == (0.0, 1.0)
    codes = [r.code for r in match.reasons]
    assert "minimum_order" not in codes and "language" in codes
    assert texts_of(match, language="zh_Hans")[-1] == "以 日本語 会面"


def test_reasons_follow_the_viewers_language():
    match = score(full_need(hs_codes=("961700",)), FULL_BOOTH, context=VI_JA)
    assert match is not None
    for language, expected in {
        "ja": "ご希望の HS 9617.00 を製造",
        "vi": "sản xuất HS 9617.00 mà bạn cần",
        "th": "ผลิต HS 9617.00 ที่คุณต้องการ",
    }.items():
        assert texts_of(match, language=language)[0] == expected


def test_a_related_hs_code_is_worth_less_and_says_so():
    need = full_need(hs_codes=("961790",))
    match = score(need, FULL_BOOTH)
    assert match is not None
    assert {p.name: p.value for p in match.parts}["hs"] == 0.6
    assert texts_of(match)[0] == "makes HS 9617.00, close to the HS 9617.90 you asked for"


def test_markets_or_languages_alone_are_no_match():
    need = NeedFacts(id="n", buyer_id="u", text="ceramic bowls", markets=("VN",), languages=("ja",))
    assert score(need, FULL_BOOTH) is None


@pytest.mark.parametrize(
    ("need", "booth", "context", "why"),
    [
        (full_need(buyer_id="u-ex"), FULL_BOOTH, Context(), "own_company"),
        (full_need(buyer_company="tsubame"), FULL_BOOTH, Context(), "own_company"),
        (full_need(), replace(FULL_BOOTH, approved=False), Context(), "unapproved"),
        (full_need(), replace(FULL_BOOTH, fair_published=False), Context(), "unpublished"),
        (
            full_need(visible_to_exhibitors=False),
            FULL_BOOTH,
            Context(for_exhibitors=True),
            "hidden",
        ),
        (
            full_need(),
            FULL_BOOTH,
            Context(closed_pairs=frozenset({("u-buyer", "u-ex")})),
            "no_deal",
        ),
    ],
)
def test_every_exclusion(need, booth, context, why):
    assert score(need, booth) is not None or why != "hidden"
    assert exclusion(need, booth, context) == why
    assert score(need, booth, context=context) is None
    assert rank([need], [booth], context=context) == []


def test_a_hidden_need_still_counts_for_its_own_buyer():
    assert score(full_need(visible_to_exhibitors=False), FULL_BOOTH) is not None


def test_rank_is_best_first():
    weak = replace(FULL_BOOTH, id="b-weak", categories=(), certifications=(), markets=("US",))
    found = rank([full_need()], [weak, FULL_BOOTH], context=VI_JA)
    assert [m.booth_id for m in found] == ["b-full", "b-weak"]
    assert found[0].score > found[1].score


def test_weights_are_data_and_change_the_ranking():
    by_text = replace(FULL_BOOTH, id="b-text", products=(), categories=())
    by_hs = replace(FULL_BOOTH, id="b-hs", text="", products=(ProductFacts("p", "961700"),))
    need = NeedFacts(id="n", buyer_id="u", text="vacuum tumbler", hs_codes=("961700",))
    assert rank([need], [by_text, by_hs])[0].booth_id == "b-hs"
    text_first = Weights(hs=0.1, text=0.9)
    assert rank([need], [by_text, by_hs], weights=text_first)[0].booth_id == "b-text"
    with pytest.raises(ValueError):
        Weights(hs=-1)


def test_text_units():
    assert [u.text for u in text_units("We need Vacuum TUMBLERS for the shop")] == [
        "vacuum",
        "tumblers",
        "shop",
    ]
    assert [u.text for u in text_units("保温杯")] == ["保温", "温杯"]
    # Thai vowel signs are marks inside the word: the word is not cut at them.
    assert all(len(u.text) == 2 for u in text_units("กระติกน้ำ"))


# Properties ---------------------------------------------------------------------------------

digits = st.text(alphabet="0123456789", min_size=6, max_size=6)
codes = st.lists(st.sampled_from(["metal_parts", "ceramics", "food_beverage"]), max_size=3)
markets = st.lists(st.sampled_from(["VN", "TH", "CN", "US"]), max_size=3)
languages = st.lists(st.sampled_from(["ja", "en", "vi", "th"]), max_size=3)
prefixes = st.tuples(digits, st.sampled_from([2, 4, 6])).map(lambda pair: pair[0][: pair[1]])
words = st.lists(st.sampled_from(["tumbler", "kettle", "保温杯", "กระติก", "ナイフ"]), max_size=3)


# Few values each, drawn cheaply: prices far apart and close, a year of days.
amounts = st.sampled_from([Decimal(v) for v in ("1", "9.5", "10", "150", "1200", "1500")])
currencies = st.sampled_from(["JPY", "USD", "THB", "EUR"])  # no rate for EUR
days = st.sampled_from([date(2026, 1, 1) + timedelta(days=n) for n in range(0, 730, 30)])


@st.composite
def needs(draw):
    return NeedFacts(
        id="n",
        buyer_id=draw(st.sampled_from(["u-buyer", "u-ex"])),
        text=" ".join(draw(words)),
        categories=tuple(dict.fromkeys(draw(codes))),
        hs_codes=tuple(draw(st.lists(prefixes, max_size=2))),
        quantity=draw(st.none() | st.builds(Quantity, st.integers(1, 5000), st.just("piece"))),
        price=draw(st.none() | st.builds(Price, amounts, currencies)),
        time_from=draw(st.none() | days),
        time_until=draw(st.none() | days),
        certifications=tuple(draw(st.lists(st.sampled_from(["ISO 9001", "HACCP"]), max_size=2))),
        markets=tuple(draw(markets)),
        languages=tuple(draw(languages)),
        visible_to_exhibitors=draw(st.booleans()),
    )


@st.composite
def booths(draw):
    products = tuple(
        ProductFacts(
            id=f"p{i}",
            hs_code=draw(digits),
            moq=draw(st.none() | st.integers(1, 5000)),
            price_min=draw(st.none() | amounts),
            price_max=draw(st.none() | amounts),
            currency=draw(currencies),
            text=" ".join(draw(words)),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    return BoothFacts(
        id="b",
        owner_id=draw(st.sampled_from(["u-ex", "u-other"])),
        categories=tuple(draw(codes)),
        markets=tuple(draw(markets)),
        wanted_markets=tuple(draw(markets)),
        minimum_order=draw(st.none() | st.builds(Quantity, st.integers(1, 5000), st.just("piece"))),
        languages=tuple(draw(languages)),
        certifications=tuple(draw(st.lists(st.sampled_from(["ISO9001", "Halal"]), max_size=2))),
        text=fold(" ".join([*draw(words), *(p.text for p in products)])),
        products=products,
        approved=draw(st.booleans()),
        fair_published=draw(st.booleans()),
    )


contexts = st.builds(
    Context,
    closed_pairs=st.sampled_from([frozenset(), frozenset({("u-buyer", "u-other")})]),
    for_exhibitors=st.booleans(),
    rates=st.sampled_from([{}, {"USD": Decimal(150), "THB": Decimal("4.2")}]),
    today=st.none() | days,
    fair_days=st.none()
    | st.tuples(days, st.integers(0, 3)).map(
        lambda pair: (pair[0], pair[0] + timedelta(days=pair[1]))
    ),
    good_times=st.dictionaries(
        st.tuples(st.sampled_from(["u-buyer", "u-ex"]), st.sampled_from(["b", "b0", "b1"])),
        st.integers(0, 5),
    ),
)


@given(needs(), booths(), contexts)
def test_scores_are_in_the_unit_range_and_exclusions_never_come_back(need, booth, context):
    match = score(need, booth, context=context)
    if exclusion(need, booth, context) is not None:
        assert match is None
        assert rank([need], [booth], context=context) == []
    elif match is not None:
        assert 0.0 <= match.score <= 1.0
        assert set(match.product_ids) <= {p.id for p in booth.products}
        assert any(p.value > 0 for p in match.parts if p.name in {"hs", "category", "text"})


@given(digits, st.integers(0, 6), booths(), needs())
def test_the_score_grows_with_the_hs_digits_shared(asked, shared, booth, base):
    """The same booth with one product whose code shares more digits of the asked code never
    scores lower."""
    booth = replace(booth, approved=True, fair_published=True, owner_id="u-other")
    need = replace(base, buyer_id="u-buyer", hs_codes=(asked,), quantity=None)

    def with_code(code: str) -> float:
        product = ProductFacts("p", hs_code=code)
        match = score(need, replace(booth, products=(product,)), context=Context())
        return match.score if match else 0.0

    def sharing(n: int) -> str:
        tail = "".join(str((int(c) + 1) % 10) for c in asked[n:])
        return asked[:n] + tail

    levels = [hs_level(asked, sharing(n)) for n in range(7)]
    assert levels == sorted(levels)
    values = [with_code(sharing(n)) for n in range(7)]
    assert values == sorted(values)
    assert values[6] > values[1] or PRIOR_WEIGHTS.hs == 0


def test_a_syllable_in_common_is_no_text_match():
    """Thai letters two or three in a row occur in every Thai text: only a longer run of the
    need's characters counts (here the category label เครื่องกระเบื้อง shares กระ)."""
    booth = BoothFacts(id="b", owner_id="u-ex", text=fold("เซรามิกและเครื่องกระเบื้อง"))
    need = NeedFacts(id="n", buyer_id="u", text="ต้องการกระติกน้ำสแตนเลส")
    assert score(need, booth) is None
    flask = replace(booth, text=fold("กระติกน้ำสแตนเลส 500 มล."))
    match = score(need, flask)
    assert match is not None
    assert match.reasons[0].params["words"] == [fold("กระติกน้ำสแตนเลส")]


# Many needs and booths a case: slow to draw on a busy machine, not a fault.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(needs(), min_size=INDEX_FROM_NEEDS, max_size=INDEX_FROM_NEEDS + 4),
    st.lists(booths(), min_size=1, max_size=6),
    contexts,
)
def test_the_index_finds_every_match_that_scoring_every_pair_finds(many, stands, context):
    """A fair's matches score only the pairs the booth index offers: exactly the matches of
    scoring every pair, in the same order."""
    # Codes of two digits' worth of variety, so that chapters, headings and subheadings meet.
    narrow = str.maketrans("0123456789", "0101010101")
    many = [
        replace(need, id=f"n{i}", hs_codes=tuple(c.translate(narrow) for c in need.hs_codes))
        for i, need in enumerate(many)
    ]
    stands = [
        replace(
            booth,
            id=f"b{i}",
            products=tuple(replace(p, hs_code=p.hs_code.translate(narrow)) for p in booth.products),
        )
        for i, booth in enumerate(stands)
    ]
    every_pair = sorted(
        (
            match
            for need in many
            for booth in stands
            if (match := score(need, booth, context=context)) is not None
        ),
        key=lambda m: (-m.score, m.booth_id, m.need_id),
    )
    assert rank(many, stands, context=context) == every_pair


# Many needs and booths a case: slow to draw on a busy machine, not a fault.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(needs(), min_size=1, max_size=INDEX_FROM_NEEDS + 4),
    st.lists(booths(), min_size=1, max_size=6),
    contexts,
    st.integers(1, 12),
    st.sampled_from([0.0, 0.1, 0.5]),
)
def test_the_best_few_are_the_first_few_of_every_match(many, stands, context, limit, floor):
    """With a limit, pairs whose ceiling cannot make the cut are never scored: the result is
    still the first ``limit`` of every match, ties and order included."""
    many = [replace(need, id=f"n{i}") for i, need in enumerate(many)]
    stands = [replace(booth, id=f"b{i}") for i, booth in enumerate(stands)]
    for need in many:
        units = text_units(need.text)
        for booth in stands:
            match = score(need, booth, context=context, units=units)
            if match is not None:
                assert match.score <= ceiling(need, booth, units, PRIOR_WEIGHTS, context) + 1e-4
    every = rank(many, stands, context=context, min_score=floor)
    assert rank(many, stands, context=context, min_score=floor, limit=limit) == every[:limit]


# The parts of "buyers we want", the price, the time frame and the good times ---------------

TODAY = date(2027, 2, 1)
FAIR_DAYS = (date(2027, 3, 10), date(2027, 3, 12))
RATES = {"USD": Decimal(150), "THB": Decimal("4.2")}
PRICED = ProductFacts(
    id="p-kettle",
    hs_code="732393",
    price_min=Decimal(1200),
    price_max=Decimal(1500),
    currency="JPY",
    text=fold("kettle"),
)
PRICED_BOOTH = BoothFacts(
    id="b-kettle", owner_id="u-ex", text=fold("kettle"), products=(PRICED,), languages=("ja",)
)


def kettle_need(**changes):
    return replace(NeedFacts(id="n", buyer_id="u-buyer", hs_codes=("732393",)), **changes)


def parts_of(match):
    return {part.name: part.value for part in match.parts}


def test_a_price_range_fits_a_target_in_another_currency():
    """10 USD is 1,500 JPY at 150 yen a dollar: a kettle from 1,200 JPY fits."""
    need = kettle_need(price=Price(Decimal(10), "USD"))
    match = score(need, PRICED_BOOTH, context=Context(rates=RATES))
    assert parts_of(match) == {"hs": 1.0, "price": 1.0}
    # (0.35 × 1 + 0.10 × 1) / 0.45
    assert match.score == pytest.approx(1.0)
    assert texts_of(match)[-1] == "price 1,200–1,500 JPY fits your 10 USD"
    assert texts_of(match, "others", "ja")[-1].startswith("価格 1,200–1,500 JPY")


def test_a_target_below_the_price_range_is_a_misfit():
    """7 USD is 1,050 JPY: below the lowest price (0.35 / 0.45 of the score)."""
    need = kettle_need(price=Price(Decimal(7), "USD"))
    match = score(need, PRICED_BOOTH, context=Context(rates=RATES))
    assert parts_of(match)["price"] == 0.0
    assert match.score == pytest.approx(0.35 / 0.45, abs=1e-4)
    assert [r.code for r in match.reasons] == ["hs"]


def test_two_foreign_currencies_meet_through_the_yen():
    """A price in baht against a target in dollars: 300 THB is 1,260 JPY, 9 USD 1,350 JPY."""
    thai = replace(PRICED, price_min=Decimal(300), price_max=None, currency="THB")
    booth = replace(PRICED_BOOTH, products=(thai,))
    fits = score(kettle_need(price=Price(Decimal(9), "USD")), booth, context=Context(rates=RATES))
    assert parts_of(fits)["price"] == 1.0
    assert fits.reasons[-1].params == {
        "low": Decimal(300),
        "high": Decimal(300),
        "currency": "THB",
        "target": Decimal(9),
        "target_currency": "USD",
    }
    short = score(kettle_need(price=Price(Decimal(8), "USD")), booth, context=Context(rates=RATES))
    assert parts_of(short)["price"] == 0.0


def test_a_missing_rate_leaves_the_price_unknown_not_an_error():
    need = kettle_need(price=Price(Decimal(10), "EUR"))
    match = score(need, PRICED_BOOTH, context=Context(rates=RATES))
    assert parts_of(match)["price"] == 0.5
    # (0.35 + 0.10 × 0.5) / 0.45
    assert match.score == pytest.approx(0.4 / 0.45, abs=1e-4)
    unpriced = replace(PRICED_BOOTH, products=(replace(PRICED, price_min=None, price_max=None),))
    assert parts_of(score(need, unpriced, context=Context(rates=RATES)))["price"] == 0.5


def test_a_passed_time_frame_is_no_match():
    need = kettle_need(time_until=date(2027, 1, 31))
    context = Context(today=TODAY, fair_days=FAIR_DAYS)
    assert exclusion(need, PRICED_BOOTH, context) == "time_frame_passed"
    assert score(need, PRICED_BOOTH, context=context) is None
    assert ceiling(need, PRICED_BOOTH, (), PRIOR_WEIGHTS, context) is None


def test_the_time_frame_against_the_fairs_days():
    context = Context(today=TODAY, fair_days=FAIR_DAYS)
    in_time = score(kettle_need(time_until=date(2027, 6, 30)), PRICED_BOOTH, context=context)
    assert parts_of(in_time) == {"hs": 1.0, "time_frame": 1.0}
    assert texts_of(in_time)[-1] == "the fair comes in time for you: buying until Jun 30, 2027"
    both = score(
        kettle_need(time_from=date(2027, 4, 1), time_until=date(2027, 6, 30)),
        PRICED_BOOTH,
        context=context,
    )
    assert texts_of(both, "others")[-1] == (
        "the fair comes in time for the buyer: buying Apr 1, 2027 – Jun 30, 2027"
    )
    # Ends before the fair begins: the fair comes too late (0.35 / 0.40).
    late = score(kettle_need(time_until=date(2027, 3, 1)), PRICED_BOOTH, context=context)
    assert parts_of(late)["time_frame"] == 0.0
    assert late.score == pytest.approx(0.875)
    # Starts more than a year after the fair: far off, half a fit.
    far = score(kettle_need(time_from=date(2028, 6, 1)), PRICED_BOOTH, context=context)
    assert parts_of(far)["time_frame"] == 0.5
    # Without the fair's days the time frame is no part.
    assert "time_frame" not in parts_of(score(kettle_need(time_from=TODAY), PRICED_BOOTH))


def test_the_booths_wanted_markets_decide_the_market_fit():
    """Buyers we want: the exhibitor wants buyers who sell in Thailand; where it sells
    itself (Japan) no longer decides."""
    booth = replace(PRICED_BOOTH, markets=("JP",), wanted_markets=("TH", "VN"))
    thai = score(kettle_need(markets=("TH",)), booth)
    assert parts_of(thai)["market"] == 1.0
    assert texts_of(thai)[-1] == "wants buyers for Thailand, where you sell"
    assert texts_of(thai, "others")[-1] == "wants buyers for Thailand, where the buyer sells"
    japanese = score(kettle_need(markets=("JP",)), booth)
    assert parts_of(japanese)["market"] == 0.0
    # (0.35) / (0.35 + 0.10)
    assert japanese.score == pytest.approx(0.35 / 0.45, abs=1e-4)
    # Without wanted markets, where the booth sells counts as before.
    assert score(kettle_need(markets=("JP",)), replace(booth, wanted_markets=())).reasons[
        -1
    ].code == ("market")


def test_the_booths_minimum_order_stands_for_products_without_one():
    booth = replace(PRICED_BOOTH, minimum_order=Quantity(500, "piece"))
    enough = score(kettle_need(quantity=Quantity(1000, "piece")), booth)
    assert parts_of(enough)["minimum_order"] == 1.0
    assert texts_of(enough)[-1] == "minimum order 500 ≤ your 1,000 pieces"
    too_few = score(kettle_need(quantity=Quantity(100, "piece")), booth)
    assert parts_of(too_few)["minimum_order"] == 0.0
    # In another unit the booth's minimum says nothing: unknown.
    in_kg = score(kettle_need(quantity=Quantity(100, "kg")), booth)
    assert parts_of(in_kg)["minimum_order"] == 0.5
    # A product's own minimum wins over the booth's.
    own = replace(booth, products=(replace(PRICED, moq=50, moq_unit="piece"),))
    own_match = score(kettle_need(quantity=Quantity(100, "piece")), own)
    assert parts_of(own_match)["minimum_order"] == 1.0


def test_good_times_for_both_count_when_the_caller_gives_them():
    need = kettle_need()
    three = Context(good_times={("u-buyer", "b-kettle"): 3})
    match = score(need, PRICED_BOOTH, context=three)
    assert parts_of(match) == {"hs": 1.0, "hours": 1.0}
    assert texts_of(match)[-1] == "3 good times for both"
    with use_language("ja"):
        assert render(match.reasons[-1], "buyer")["text"] != "3 good times for both"
    one = score(need, PRICED_BOOTH, context=Context(good_times={("u-buyer", "b-kettle"): 1}))
    assert texts_of(one)[-1] == "1 good time for both"
    # (0.35 + 0.05 / 3) / 0.40
    assert one.score == pytest.approx((0.35 + 0.05 / 3) / 0.40, abs=1e-4)
    none = score(need, PRICED_BOOTH, context=Context(good_times={("u-buyer", "b-kettle"): 0}))
    assert parts_of(none)["hours"] == 0.0
    assert [r.code for r in none.reasons] == ["hs"]
    # A pair the caller did not count has no such part.
    assert "hours" not in parts_of(score(need, PRICED_BOOTH))


def test_every_new_part_is_a_weight_with_a_prior():
    assert (PRIOR_WEIGHTS.price, PRIOR_WEIGHTS.time_frame, PRIOR_WEIGHTS.hours) == (
        0.10,
        0.05,
        0.05,
    )
    only_price = Weights(**{f: 0.0 for f in ("hs", "category", "text")}, price=1.0)
    match = score(kettle_need(price=Price(Decimal(10), "USD")), PRICED_BOOTH, weights=only_price)
    assert match is not None


@given(needs(), booths(), contexts, st.integers(0, 6))
def test_good_times_added_to_a_match_are_the_same_as_scoring_with_them(need, booth, context, count):
    """The service adds the good times to the best matches afterwards: the same match as
    scoring the pair with the times in the context, score, parts and reasons."""
    untimed = replace(context, good_times={})
    timed = replace(context, good_times={(need.buyer_id, booth.id): count})
    match = score(need, booth, context=untimed)
    if match is None:
        assert score(need, booth, context=timed) is None
        return
    assert with_good_times(match, count) == score(need, booth, context=timed)
    units = text_units(need.text)
    assert with_good_times(match, count).score <= (
        ceiling(need, booth, units, PRIOR_WEIGHTS, timed) + 1e-4
    )
