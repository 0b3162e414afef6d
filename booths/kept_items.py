"""A booth's public products and files, kept per booth and fair version in each app process:
the booth's page and API read them again only when something of the fair's booths changed.

What a visitor sees of a booth's products and files (no unreviewed ones) is the same for
every visitor until the booth, its products, pictures or tags change; every such write moves
its fair's ``directory_version`` (triggers of migration 0030, so no write path can forget).
A page or API answer reads the booth with its fair anyway (``service.load_shown``); with the
version in hand, a booth seen before needs no statement for its products and files (issue
19: two of a repeated view's three).

Why it is right under concurrent writes: the version is read before the rows, so a kept pair
is never older than the version it is kept under (at worst newer, under a version nobody
reads again). Only for reading requests, which write no product or file: rows read by a
transaction that had changed them could be kept and then rolled back.

The rows are SQLAlchemy's immutable rows, shared by the requests that read them; callers
read them and never change what they hold."""

from __future__ import annotations

from typing import Any, NamedTuple

from cachetools import LRUCache
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from booths import service
from booths.models import Booth
from fair.fairs.models import Fair

# Booths kept: a programme's fair has some 300, each some 10 products (about 10 kB of rows
# in six languages), so a few fairs at once in about 10 MiB.
BOOTHS = 1024


class Items(NamedTuple):
    products: tuple[Row[Any], ...]
    media: tuple[Row[Any], ...]


_kept: LRUCache[tuple[str, str, int], Items] = LRUCache(maxsize=BOOTHS)


async def public_items(session: AsyncSession, booth: Booth, fair: Fair) -> Items:
    """The booth's reviewed products and files, as ``service.product_rows`` and
    ``service.media_rows`` read them, at the version of ``fair`` (the booth's, as read by
    this request)."""
    if fair.id != booth.fair_id:
        raise ValueError("the booth's own fair is the one whose version counts")
    key = (booth.id, fair.id, fair.directory_version)
    found = _kept.get(key)
    if found is None:
        found = Items(
            tuple(await service.product_rows(session, booth.id)),
            tuple(await service.media_rows(session, booth.id)),
        )
        _kept[key] = found
    return found
