"""Jinja2: one autoescaping environment for pages and mails, translated through gettext."""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from fair import i18n
from fair.static import static_url

# The packages whose templates/ folders are searched, in order: the core's own, then those
# the composition root names (``use_packages``) before the first page or mail is rendered.
_packages: list[str] = ["fair"]


def use_packages(*packages: str) -> None:
    """Search these packages' templates too (the composition root calls this once)."""
    for package in packages:
        if package not in _packages:
            _packages.append(package)
    environment.cache_clear()


def _template_dirs() -> list[str]:
    dirs = []
    for package in _packages:
        spec = importlib.util.find_spec(package)
        if spec and spec.origin:
            folder = Path(spec.origin).parent / "templates"
            if folder.is_dir():
                dirs.append(str(folder))
    return dirs


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in _template_dirs()]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    # The same functions, cheaper (below); ``_`` straight to ours, not through the
    # extension's alias, which looks ``gettext`` up and calls it on every use.
    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext, tr=tr, plain=plain)
    env.globals.update(
        LANGUAGES=i18n.LANGUAGES,
        language_name=i18n.language_name,
        language_in_viewer=i18n.language_in_viewer,
        html_lang=i18n.html_lang,
        current_language=i18n.current_language,
        pick_text=i18n.pick_text,
        territory_name=i18n.territory_name,
        timezone_label=i18n.timezone_label,
        static_url=static_url,
    )
    env.filters.update(
        datetime=i18n.format_datetime,
        when=i18n.format_when,
        date=i18n.format_date,
        time=i18n.format_time,
        number=i18n.format_number,
        currency=i18n.format_currency,
        percent=i18n.format_percent,
        filesize=i18n.format_size,
    )
    return env


# Jinja's newstyle gettext (``jinja2.ext._make_new_gettext``), with the same answers: the
# message translated, made Markup where the template autoescapes, and always formatted
# with its variables (so "%%" is "%" even with none). A page says many messages without
# variables ("Lead time" on each product, most of a menu); their answer depends only on
# the language, so it is kept: Jinja's way took an alias, two context calls, a Markup and
# a format for each, some 8 µs, dozens of times a page (issue 19).
@pass_eval_context
def gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    if not variables:
        return _said(i18n.current_language(), eval_ctx.autoescape, message, None, 0)
    return _formatted(i18n.gettext(message), eval_ctx.autoescape, variables)


@pass_eval_context
def ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    if not variables and type(num) is int:
        return _said(i18n.current_language(), eval_ctx.autoescape, singular, plural, num)
    variables.setdefault("num", num)
    return _formatted(i18n.ngettext(singular, plural, num), eval_ctx.autoescape, variables)


@lru_cache(maxsize=8192)
def _said(language: str, autoescape: bool, singular: str, plural: str | None, num: int) -> str:
    catalog = i18n.translations(language)
    if plural is None:
        return _formatted(catalog.ugettext(singular), autoescape, {})
    return _formatted(catalog.ungettext(singular, plural, num), autoescape, {"num": num})


def _formatted(text: str, autoescape: bool, variables: dict[str, Any]) -> str:
    # The catalog's text is ours, as in Jinja's own; Markup's "%" escapes the variables.
    return (Markup(text) if autoescape else text) % variables  # noqa: S704


# A booth's, product's or picture's own text (a mapping of language → text) in the viewer's
# language. These were macros; a page calls them for every product's name and description
# and every card of the directory, and a Jinja macro call cost some 15 µs each (issue 19).
@pass_eval_context
def tr(eval_ctx: EvalContext, texts: Any, tag: str = "span", class_: str = "") -> str:
    """The text in ``tag`` (with ``class_``), marked with its language and "Shown in …"
    when it falls back to another language than the viewer's; "" when there is none."""
    text, text_lang = i18n.pick_text(texts)
    if not text:
        return _as_output("", eval_ctx.autoescape)
    said = escape if eval_ctx.autoescape else str
    language = i18n.current_language()
    opening = f"<{said(tag)}"
    if class_:
        opening += f' class="{said(class_)}"'
    if text_lang != language:
        opening += f' lang="{said(i18n.html_lang(text_lang))}"'
    shown = f"{opening}>{said(text)}</{said(tag)}>"
    if text_lang != language:
        fallback = _formatted(
            i18n.gettext("Shown in %(language)s"),
            eval_ctx.autoescape,
            {"language": i18n.language_in_viewer(text_lang)},
        )
        shown += f' <small class="fallback">{fallback}</small>'
    return _as_output(shown, eval_ctx.autoescape)


@pass_eval_context
def plain(eval_ctx: EvalContext, texts: Any) -> str:
    """The same text alone, for attributes and short labels."""
    text = i18n.pick_text(texts)[0]
    return escape(text) if eval_ctx.autoescape else str(text)


def _as_output(text: str, autoescape: bool) -> str:
    # What the macros answered: Markup where the template autoescapes, so it is not escaped
    # again, and empty (false) when there was no text, so ``plain(x) or y`` still works.
    return Markup(text) if autoescape else text  # noqa: S704 (its parts were escaped above)


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
