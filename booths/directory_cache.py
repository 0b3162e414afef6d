"""The directory's answers, kept per fair and version in each app process: the API sends
them as they are, the directory page shows the same booths from them.

A search's answer is the same for every reader (all six languages, no viewer's fields) until
a booth of the fair, or one of its products, pictures or tags, changes; the database counts
those changes in ``fairs.directory_version`` (triggers of migration 0030, so no write path
can forget). A request reads the fair anyway; with the version in hand, a search asked
before is answered from memory: no search statement, no serializing. What differs by viewer
(the page's language, times in the viewer's zone, recommendations, one's own booth) is never
in the answer.

Why it is right under concurrent writes: the version is read before the booths. An answer is
therefore never older than the version it is kept under (at worst newer, when a change
commits in between, and then it is kept under a version nobody reads again)."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession

from booths import directory, responses
from booths.directory import Filters
from fair.api import dump_json
from fair.fairs.models import Fair

MIB = 1024 * 1024
# No one answer may take more than this share of the memory, so one big page of 60 booths
# cannot push out the many small ones.
LARGEST_SHARE = 64

# Per size (FAIR_DIRECTORY_CACHE_MB, 16 by default: a page of 24 booths is about 27 kB,
# so some 600 pages, every filter of a busy fair's directory); one size in practice.
_kept: dict[int, LRUCache[tuple[Any, ...], bytes]] = {}


def _key(fair: Fair, filters: Filters) -> tuple[Any, ...]:
    # The slug is in the answer and may change without a booth changing.
    return (fair.id, fair.slug, fair.directory_version, *astuple(filters))


async def answer(session: AsyncSession, fair: Fair, filters: Filters, *, megabytes: int) -> bytes:
    """The search's answer (``responses.Directory`` as JSON) at the fair's version: the one
    kept, or searched now and kept in ``megabytes`` of memory at most (0: always searched)."""
    if megabytes <= 0:
        return await _search(session, fair, filters)
    kept = _kept.get(megabytes)
    if kept is None:
        kept = _kept[megabytes] = LRUCache(maxsize=megabytes * MIB, getsizeof=len)
    key = _key(fair, filters)
    body = kept.get(key)
    if body is None:
        body = await _search(session, fair, filters)
        if len(body) <= megabytes * MIB // LARGEST_SHARE:
            kept[key] = body
    return body


async def _search(session: AsyncSession, fair: Fair, filters: Filters) -> bytes:
    return dump_json(responses.Directory.of(fair, await directory.search(session, fair, filters)))
