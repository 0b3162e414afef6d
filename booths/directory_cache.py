"""The directory API's answers, kept per fair and version in each app process.

A search's answer is the same for every reader (all six languages, no viewer's fields) until
a booth of the fair, or one of its products, pictures or tags, changes; the database counts
those changes in ``fairs.directory_version`` (triggers of migration 0030, so no write path
can forget). A request reads the fair anyway; with the version in hand, a search asked
before is answered from memory: no search statement, no serializing.

Why it is right under concurrent writes: the version is read before the booths. An answer is
therefore never older than the version it is kept under (at worst newer, when a change
commits in between, and then it is kept under a version nobody reads again)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import astuple
from typing import Any

from cachetools import LRUCache

from booths.directory import Filters
from fair.fairs.models import Fair

# The memory one process gives to kept answers (a page of 24 booths is about 27 kB, 60 at
# most is about 70 kB): some 600 pages, every filter of a busy fair's directory.
MAX_BYTES = 16 * 1024 * 1024

_kept: LRUCache[tuple[Any, ...], bytes] = LRUCache(maxsize=MAX_BYTES, getsizeof=len)


def _key(fair: Fair, filters: Filters) -> tuple[Any, ...]:
    # The slug is in the answer and may change without a booth changing.
    return (fair.id, fair.slug, fair.directory_version, *astuple(filters))


async def answer(fair: Fair, filters: Filters, build: Callable[[], Awaitable[bytes]]) -> bytes:
    """The kept answer of this search at the fair's version, or ``build``'s, kept."""
    key = _key(fair, filters)
    body = _kept.get(key)
    if body is None:
        body = await build()
        if len(body) <= MAX_BYTES // 64:  # no one answer crowds out the others
            _kept[key] = body
    return body


def forget_all() -> None:
    """Drop every kept answer (tests that compare a kept answer with a fresh one)."""
    _kept.clear()
