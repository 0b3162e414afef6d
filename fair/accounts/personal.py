"""A person's data across the packages: each package declares its part (``PersonalData`` on
its ``Feature``) — what "download my data" puts in the archive and what "delete my account"
erases — and the composition root hands them all here (``use_parts``), so the core names no
feature and every package answers for its own tables."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from fair.accounts.models import User


@dataclass(frozen=True)
class ExportFile:
    """A stored file the person uploaded, and where it goes in the archive."""

    name: str  # the path inside the zip, e.g. "files/booths/<id>/<media id>-photo.jpg"
    storage_key: str


@dataclass
class DataPart:
    """One package's share of an export: sections of ``account.json`` and files."""

    sections: dict[str, Any] = field(default_factory=dict)
    files: list[ExportFile] = field(default_factory=list)


Export = Callable[[AsyncSession, User], Awaitable[DataPart]]
# Erases or anonymizes the person's data of a package, before the account becomes a
# tombstone: the account is still itself then (a cancellation names it as the canceller).
Erase = Callable[[AsyncSession, User], Awaitable[None]]


@dataclass(frozen=True)
class PersonalData:
    export: Export
    erase: Erase


_parts: list[PersonalData] = []


def use_parts(*parts: PersonalData) -> None:
    """The packages' parts, in the order the composition root lists its features (called
    once by ``kakehashi.features``; again, it replaces them)."""
    _parts[:] = parts


def parts() -> Sequence[PersonalData]:
    return tuple(_parts)


def columns(row: Any, *, leave: Sequence[str] = ()) -> dict[str, Any]:
    """A row's columns by name, but those in ``leave`` (search folds, other people's ids)."""
    return {
        attribute.key: getattr(row, attribute.key)
        for attribute in inspect(row).mapper.column_attrs
        if attribute.key not in leave
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not exportable: {type(value).__name__}")


def to_json(sections: dict[str, Any]) -> bytes:
    """``account.json``: readable by a person (indented, their own script kept as is)."""
    return json.dumps(sections, default=_plain, ensure_ascii=False, indent=2).encode()


async def gather(session: AsyncSession, user: User) -> DataPart:
    """Every package's part of ``user``'s data, merged."""
    whole = DataPart()
    for part in _parts:
        found = await part.export(session, user)
        whole.sections.update(found.sections)
        whole.files.extend(found.files)
    return whole


async def erase(session: AsyncSession, user: User) -> None:
    """Every package erases what is the person's; the last-listed (highest) package first,
    as it builds on the ones below it."""
    for part in reversed(_parts):
        await part.erase(session, user)
