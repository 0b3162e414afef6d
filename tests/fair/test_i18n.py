from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import numbers as babel_numbers
from hypothesis import given
from hypothesis import strategies as st

from fair import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-TW,zh;q=0.9,en;q=0.8", ["zh_Hant", "zh_Hans", "en"]),
        ("zh-CN", ["zh_Hans"]),
        ("zh-HK", ["zh_Hant"]),
        ("zh-Hant-TW", ["zh_Hant"]),
        ("vi-VN,vi;q=0.9", ["vi"]),
        ("th;q=0.5,ja;q=0.8", ["ja", "th"]),
        ("fr-FR,de;q=0.9", []),
        ("en;q=0,ja", ["ja"]),
        ("en;q=abc,ja", ["ja"]),
        ("", []),
    ],
)
def test_accept_language_maps_tags_to_our_languages(header, expected):
    assert i18n.parse_accept_language(header) == expected


def test_choose_language_prefers_user_then_query_then_cookie_then_header():
    kwargs = {"user_locale": "th", "query": "vi", "cookie": "ja", "accept_language": "zh-TW"}
    assert i18n.choose_language(**kwargs) == "th"
    assert i18n.choose_language(**(kwargs | {"user_locale": None})) == "vi"
    assert i18n.choose_language(**(kwargs | {"user_locale": None, "query": "xx"})) == "ja"
    assert (
        i18n.choose_language(user_locale=None, query=None, cookie=None, accept_language="zh-TW")
        == "zh_Hant"
    )
    assert (
        i18n.choose_language(user_locale=None, query=None, cookie=None, accept_language="fr")
        == "en"
    )


@given(st.text(max_size=200))
def test_accept_language_never_fails_and_only_returns_supported(header):
    assert set(i18n.parse_accept_language(header)) <= set(i18n.LANGUAGES)


def test_pick_text_falls_back_viewer_then_english_then_japanese():
    texts = {"ja": "金属加工", "en": "Metalworking"}
    assert i18n.pick_text(texts, "vi") == ("Metalworking", "en")
    assert i18n.pick_text({"ja": "金属加工"}, "vi") == ("金属加工", "ja")
    assert i18n.pick_text(texts, "ja") == ("金属加工", "ja")


def test_babel_formats_in_the_viewers_locale_and_zone():
    instant = datetime(2027, 6, 8, 1, 0, tzinfo=UTC)
    with i18n.use_language("ja"):
        assert i18n.format_currency(1234567, "JPY") == "￥1,234,567"
        assert i18n.format_time(instant, "Asia/Tokyo") == "10:00"
        assert i18n.format_date(date(2027, 6, 8), "long") == "2027年6月8日"
    with i18n.use_language("vi"):
        assert i18n.format_time(instant, "Asia/Ho_Chi_Minh") == "08:00"
        assert i18n.format_number(1234.5) == "1.234,5"
    with i18n.use_language("en"):
        assert i18n.format_time(instant, "America/New_York") == "9:00\u202fPM"
        assert i18n.format_currency(1500, "USD") == "$1,500.00"


def test_html_lang_uses_bcp47_script_subtags():
    assert [i18n.html_lang(code) for code in i18n.LANGUAGES] == [
        "ja",
        "en",
        "zh-Hans",
        "zh-Hant",
        "vi",
        "th",
    ]


PRICES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-(10**9), max_value=10**9, allow_nan=False),
)


@given(
    PRICES,
    st.sampled_from(["JPY", "USD", "VND", "CNY", "THB", "EUR"]),
    st.sampled_from(i18n.LANGUAGES),
)
def test_kept_numbers_and_prices_are_babels_own(value, currency, language):
    """Prices and numbers are kept per process by value, currency and language: each is
    what babel writes for exactly that value (the sign of a zero, a Decimal's digits)."""
    locale = Locale.parse(language)
    with i18n.use_language(language):
        for _ in range(2):
            assert i18n.format_currency(value, currency) == babel_numbers.format_currency(
                value, currency, locale=locale
            )
            assert i18n.format_number(value) == babel_numbers.format_decimal(value, locale=locale)


def test_a_zero_keeps_its_sign_and_a_language_name_follows_the_viewer():
    with i18n.use_language("en"):
        assert i18n.format_currency(Decimal("0"), "USD") == "$0.00"
        assert i18n.format_currency(Decimal("-0"), "USD") == "-$0.00"
        assert i18n.format_currency(Decimal("0"), "USD") == "$0.00"
        assert i18n.language_in_viewer("vi") == "Vietnamese"
        assert i18n.babel_locale() == Locale.parse("en")
    with i18n.use_language("vi"):
        assert i18n.language_in_viewer("en") == "Tiếng Anh"
        assert i18n.language_in_viewer("vi") == "Tiếng Việt"
        assert i18n.format_currency(1800, "JPY") == "1.800\xa0¥"
    with i18n.use_language("ja"):
        assert i18n.language_in_viewer("vi") == "ベトナム語"
        assert i18n.language_in_viewer("1x") == "1x"  # no locale identifier: itself
        assert i18n.format_currency(1800, "JPY") == "￥1,800"
        assert i18n.babel_locale("th") == Locale.parse("th")


def test_a_time_shown_again_is_the_same_in_each_language_and_the_repeated_hour_twice():
    # format_when keeps what it wrote; what it keeps must not leak across languages, zones,
    # nor between the two 1:30s of the night New York's clocks go back.
    first = datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 1:30 EDT
    second = datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 1:30 EST, an hour later
    zone = "America/New_York"
    with i18n.use_language("en"):
        english = i18n.format_when(first, zone)
        assert english == i18n.format_when(first, zone) == "Sunday, November 7, 2027, 1:30\u202fAM"
        assert i18n.format_when(second, zone) == english  # the same wall clock...
        assert i18n.timezone_label(zone) == "United States (New York) Time"
    # ...and the same local objects, which compare equal, are still two instants.
    early = first.astimezone(ZoneInfo(zone))
    late = early.replace(fold=1)
    assert early == late.replace(fold=0) and late.astimezone(UTC) == second
    with i18n.use_language("ja"):
        assert i18n.format_when(early, "Asia/Tokyo") == "2027年11月7日日曜日 14:30"
        assert i18n.format_when(late, "Asia/Tokyo") == "2027年11月7日日曜日 15:30"
        assert i18n.timezone_label(zone) != "United States (New York) Time"
    with i18n.use_language("en"):
        assert i18n.format_when(late, "Asia/Tokyo") == "Sunday, November 7, 2027, 3:30\u202fPM"


def test_a_languages_name_is_given_in_each_readers_language():
    names = {}
    for reader in ("vi", "th", "vi", "en"):
        with i18n.use_language(reader):
            names.setdefault(reader, i18n.language_in_viewer("en"))
            assert i18n.language_in_viewer("en") == names[reader]
    assert names["vi"] == "Tiếng Anh" and names["en"] == "English"
    assert names["th"] not in (names["vi"], names["en"])
