"""Jinja2: one autoescaping environment for pages and mails, translated through gettext."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

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


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
