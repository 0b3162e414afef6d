"""The README and the pages of docs/ name only what exists: every setting they name is
declared, every `fair` command and `make` target is real, every path of the repository they
name is there, and every link (with its #anchor) leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fair.config import Settings, env_name
from kakehashi.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PACKAGES = (
    "|".join(
        (
            "fair",
            "booths",
            "meetings",
            "matchmaking",
            "conversations",
            "reports",
            "demo",
            "kakehashi",
            "signaling",
        ),
    )
    + "|tests|bench|scripts|static|migrations|docs"
)
# Python names the pages quote that look like settings but are not.
NOT_SETTINGS = {"FAIR_THEMES"}


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    heading = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.*)$", text(page), re.M)}


def commands() -> dict[str, set[str]]:
    """``fair``'s commands and, for those that have them, their subcommands."""
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    found: dict[str, set[str]] = {}
    for name, sub in choices.items():
        nested = [
            a for a in sub._actions if getattr(a, "choices", None) and a.dest.endswith("_command")
        ]
        found[name] = set(nested[0].choices) if nested else set()
    return found


def test_there_are_pages_to_check() -> None:
    assert len(PAGES) >= 8


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_settings_named_are_declared(page: Path) -> None:
    declared = {env_name(name) for name in Settings.model_fields}
    named = set(re.findall(r"\bFAIR_[A-Z][A-Z0-9_]*[A-Z0-9]\b", text(page))) - NOT_SETTINGS
    assert named - declared == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_fair_commands_and_make_targets_named_exist(page: Path) -> None:
    known = commands()
    for command, sub in re.findall(r"`fair ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?", text(page)):
        assert command in known, command
        if known[command]:
            assert sub in known[command], (command, sub)
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for target in re.findall(r"`make ([a-z][a-z-]*)`", text(page)):
        assert target in targets, target


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_repository_paths_named_exist(page: Path) -> None:
    named = re.findall(rf"`((?:{PACKAGES})/[A-Za-z0-9_./-]*)`", text(page))
    missing = [path for path in named if not (REPO / path.rstrip(".")).exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_lead_somewhere(page: Path) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text(page)) + re.findall(
        r'src="([^"]+)"', text(page)
    ):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        destination = (page.parent / file) if file else page
        unknown = anchor and destination.suffix == ".md" and anchor not in anchors(destination)
        if not destination.exists() or unknown:
            broken.append(target)
    assert broken == []
