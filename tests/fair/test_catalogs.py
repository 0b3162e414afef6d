"""The gettext catalogs: the template matches the code, and every language translates every
UI string, keeps its placeholders, and is not just English copied over."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "fair" / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
LANGUAGES = ["ja", "zh_Hans", "zh_Hant", "vi", "th"]
# The packages `make extract` reads, as the Makefile lists them.
SOURCE_DIRS = re.search(
    r"^I18N_SOURCES := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M
)[1].split()
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
MAX_UNTRANSLATED_SHARE = 0.10


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def catalog_for(language: str) -> Catalog:
    return load(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", locale=language)


def messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def template_ids() -> set[str | tuple[str, ...]]:
    return {message.id for message in messages(load(TEMPLATE))}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translations_complete_for_every_template_msgid(language: str) -> None:
    catalog = catalog_for(language)
    missing = []
    for msgid in sorted(template_ids(), key=str):
        message = catalog.get(msgid)
        translations = forms(message.string) if message is not None else []
        if not translations or not all(translations):
            missing.append(msgid)
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_entries_not_fuzzy(language: str) -> None:
    catalog = catalog_for(language)
    assert not catalog.fuzzy, "the header is still marked fuzzy"
    fuzzy = [message.id for message in messages(catalog) if message.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_placeholders_match_msgid(language: str) -> None:
    mismatched = []
    for message in messages(catalog_for(language)):
        expected = set().union(*(placeholders(form) for form in forms(message.id)))
        for translation in forms(message.string):
            if translation and placeholders(translation) != expected:
                mismatched.append((message.id, translation))
    assert mismatched == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translations_mostly_differ_from_english(language: str) -> None:
    translated = [
        message for message in messages(catalog_for(language)) if any(forms(message.string))
    ]
    copied = [
        message.id
        for message in translated
        if any(translation in forms(message.id) for translation in forms(message.string))
    ]
    assert translated
    assert len(copied) < MAX_UNTRANSLATED_SHARE * len(translated), copied


def test_catalog_template_up_to_date_with_sources(tmp_path: Path) -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    output = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy",
            "--no-location",
            "--sort-output",
            "-o",
            str(output),
            *SOURCE_DIRS,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted = {message.id for message in messages(load(output))}
    committed = template_ids()
    assert sorted(extracted - committed, key=str) == [], "run `make extract` and translate"
    assert sorted(committed - extracted, key=str) == [], "run `make extract`"
