"""Templates translate through ``fair.templating``'s own gettext and ngettext (issue 19: Jinja's
way cost some 8 µs a message); every message of every catalog must read exactly as with
Jinja's newstyle callables, in pages (autoescaped) and in plain-text mails, with and without
variables, in the singular and the plural, in every language, asked in any order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment, Template
from markupsafe import Markup

from fair import i18n
from fair.templating import environment

HOSTILE = '<b>"A & B"</b>'
NUMBERS = (0, 1, 2, 5, 11, 21, 101)
FIELD = re.compile(r"%\((\w+)\)")


def jinjas_own(autoescape: bool) -> Environment:
    # Not autoescaped: as the app's plain-text mails.
    env = Environment(autoescape=autoescape, extensions=["jinja2.ext.i18n"])  # noqa: S701
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def ours(autoescape: bool) -> Environment:
    env = environment().overlay(autoescape=autoescape)
    assert env.globals["_"] is env.globals["gettext"]  # no alias in between
    return env


def both(autoescape: bool, *sources: str) -> dict[str, tuple[Template, Template]]:
    """Each source compiled by Jinja's own callables and by ours."""
    theirs, mine = jinjas_own(autoescape), ours(autoescape)
    return {source: (theirs.from_string(source), mine.from_string(source)) for source in sources}


def said(template: Template, **context: Any) -> str:
    try:
        return template.render(**context)
    except (KeyError, ValueError, TypeError) as exc:  # a message's fields not given
        return f"raised {type(exc).__name__}"


def messages() -> tuple[list[str], list[tuple[str, str]]]:
    """Every message of the catalogs: those without a plural, and the (singular, plural)
    pairs (every language's catalog has the same messages)."""
    po = i18n.LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as file:
        catalog = read_po(file)
    single = sorted(m.id for m in catalog if m.id and isinstance(m.id, str))
    plurals = sorted((m.id[0], m.id[1]) for m in catalog if isinstance(m.id, tuple))
    return single, plurals


@pytest.mark.parametrize("autoescape", [True, False], ids=["page", "mail"])
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_reads_as_with_jinjas_gettext(language, autoescape):
    single, plurals = messages()
    assert len(single) > 500 and plurals
    singles = both(autoescape, "{{ _(m) }}", "{{ gettext(m) }}", "{{ _(m, **f) }}")
    plural_forms = both(autoescape, "{{ ngettext(s, p, n) }}", "{{ ngettext(s, p, n, **f) }}")
    with i18n.use_language(language):
        for message in single:
            fields = {name: HOSTILE for name in FIELD.findall(message)} or {"extra": HOSTILE}
            for source, (theirs, mine) in singles.items():
                expected = said(theirs, m=message, f=fields)
                assert said(mine, m=message, f=fields) == expected, (source, message)
        for singular, plural in plurals:
            fields = {name: HOSTILE for name in FIELD.findall(singular) if name != "num"}
            for n in NUMBERS:
                context = {"s": singular, "p": plural, "n": n, "f": fields}
                for source, (theirs, mine) in plural_forms.items():
                    expected = said(theirs, **context)
                    assert said(mine, **context) == expected, (source, singular, n)


@pytest.mark.parametrize("autoescape", [True, False], ids=["page", "mail"])
def test_trans_blocks_and_percent_signs_read_as_with_jinjas(autoescape):
    templates = both(
        autoescape,
        "{% trans %}Lead time{% endtrans %}",
        "{% trans name=who %}Hello {{ name }}{% endtrans %}",
        "{% trans count=n %}{{ count }} day{% pluralize %}{{ count }} days{% endtrans %}",
        "{{ _('100%% sure') }} {{ _('%(x)s%%', x=who) }}",
        "{{ ngettext('%(num)d day', '%(num)d days', n) }}",
    )
    for language in ("vi", "en", "vi", "ja"):  # kept answers must follow the language
        with i18n.use_language(language):
            for source, (theirs, mine) in templates.items():
                for n in NUMBERS:
                    expected = said(theirs, who=HOSTILE, n=n)
                    assert said(mine, who=HOSTILE, n=n) == expected, (source, language)


def test_a_page_escapes_a_messages_variables_and_a_mail_does_not():
    source = "{{ _('%(name)s wrote', name=who) }}"
    with i18n.use_language("en"):
        page = said(ours(True).from_string(source), who=HOSTILE)
        mail = said(ours(False).from_string(source), who=HOSTILE)
    assert page == str(Markup("%s wrote") % HOSTILE) and "&lt;b&gt;" in page
    assert mail == f"{HOSTILE} wrote"
