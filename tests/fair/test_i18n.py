from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
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
