"""``tr`` and ``plain``, a booth's, product's or picture's own text in the viewer's language,
are Python functions of ``fair.templating`` (issue 19: as Jinja macros they cost some 15 µs
a call, and a page makes dozens). A page must read exactly as it did with the macros, in
every language, for every kind of fallback and for hostile text; in a plain-text template
nothing is escaped."""

from __future__ import annotations

import itertools

import pytest
from markupsafe import Markup

from fair import i18n
from fair.templating import environment, plain, tr

# The macros as booths/macros.html defined them until issue 19, verbatim: the reference.
MACROS = "\n".join(
    [
        '{% macro tr(texts, tag="span", class_="") %}',
        "{% set text, text_lang = pick_text(texts) %}",
        "{% if text %}",
        '<{{ tag }}{% if class_ %} class="{{ class_ }}"{% endif %}'
        "{% if text_lang != current_language() %}"
        ' lang="{{ html_lang(text_lang) }}"{% endif %}>{{ text }}</{{ tag }}>',
        "{%- if text_lang != current_language() %}"
        ' <small class="fallback">'
        '{{ _("Shown in %(language)s", language=language_in_viewer(text_lang)) }}'
        "</small>{% endif %}",
        "{% endif %}",
        "{% endmacro %}",
        "{% macro plain(texts) %}{{ pick_text(texts)[0] }}{% endmacro %}",
        "",
    ]
)
CALLS = (
    "[{{ tr(texts) }}]"
    '[{{ tr(texts, tag="p", class_="story") }}]'
    '[{{ tr(texts, tag="h3") }}]'
    "[{{ plain(texts) }}]"
    '[{{ plain(texts) or "none" }}]'
    '[<img alt="{{ plain(texts) }}">]'
)
HOSTILE = "<script>alert(\"x\")</script> & 'quoted' %(language)s 100% {{ 1 }}"
TEXTS: list[object] = [
    None,
    {},
    {"en": ""},
    {"ja": "ステンレス真空タンブラー"},
    {"en": "Vacuum Tumbler", "ja": "真空タンブラー"},
    {"th": "แก้วเก็บความเย็น"},
    {"vi": "Cốc giữ nhiệt", "zh-Hant": "保溫杯"},
    {"zh-Hans": "保温杯", "en": ""},
    {"en": HOSTILE},
    {"ja": HOSTILE, "vi": ""},
    {code: f"{code}: {HOSTILE}" for code in i18n.LANGUAGES},
    {"en": Markup("<b>already safe</b>")},
]


def reference():
    return environment().from_string(MACROS + CALLS)


def ours():
    return environment().from_string(CALLS)


def test_the_globals_are_the_functions():
    assert environment().globals["tr"] is tr
    assert environment().globals["plain"] is plain


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_pages_read_as_with_the_macros(language):
    i18n.set_language(language)
    theirs, mine = reference(), ours()
    for texts in TEXTS:
        assert mine.render(texts=texts) == theirs.render(texts=texts), texts


def test_a_fallback_says_which_language_it_is_in():
    i18n.set_language("en")
    shown = ours().render(texts={"ja": "真空タンブラー"})
    fallback = '<small class="fallback">Shown in Japanese</small>'
    assert f'<span lang="ja">真空タンブラー</span> {fallback}' in shown
    i18n.set_language("ja")
    assert "fallback" not in ours().render(texts={"ja": "真空タンブラー"})


def test_hostile_text_is_escaped_in_pages():
    i18n.set_language("vi")
    shown = ours().render(texts={"vi": HOSTILE})
    assert "<script>" not in shown
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;" in shown


def test_plain_text_templates_are_not_escaped():
    i18n.set_language("en")
    mail = environment().overlay(autoescape=False).from_string("{{ plain(t) }}|{{ tr(t) }}")
    assert mail.render(t={"en": "Tom & Jerry <Ltd>"}) == (
        "Tom & Jerry <Ltd>|<span>Tom & Jerry <Ltd></span>"
    )
    assert mail.render(t={"ja": "A & B"}) == (
        'A & B|<span lang="ja">A & B</span> <small class="fallback">Shown in Japanese</small>'
    )


ORDERS = list(itertools.permutations(("th", "zh-Hant", "en"), 2))


@pytest.mark.parametrize(("first", "then"), ORDERS)
def test_the_language_is_the_current_one_each_time(first, then):
    template = ours()
    texts = {"en": "English", "th": "ไทย", "zh-Hant": "繁體"}
    i18n.set_language(first)
    template.render(texts=texts)
    i18n.set_language(then)
    assert template.render(texts=texts) == reference().render(texts=texts)
