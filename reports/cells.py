"""Folding the report's deltas into its cells.

Database triggers (migration 0009) append every change of a meeting's contribution to
``report_deltas``; the report reads those beside ``report_cells``, so its figures are
right whether or not a fold has run. Folding keeps the deltas few: each app process that
runs the outbox relay folds once a minute (``FOLD_EVERY_SECONDS``), and on PostgreSQL an
advisory lock lets one fold at a time, the others skip.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from reports.models import EMPTY_CELL, ReportCell

log = logging.getLogger(__name__)

FOLD_EVERY_SECONDS = 60.0
FOLD_LOCK = 0x4B4B_5245  # "KKRE": the advisory lock of the fold on PostgreSQL

# The cells' key and the sums kept under it, in the table's column order.
KEY = tuple(column.name for column in ReportCell.__table__.primary_key.columns)
SUMS = tuple(column.name for column in ReportCell.__table__.columns if not column.primary_key)

_key = ", ".join(KEY)
_columns = ", ".join((*KEY, *SUMS))
_sums = ", ".join(f"sum({name})" for name in SUMS)
_add = ", ".join(f"{name} = report_cells.{name} + excluded.{name}" for name in SUMS)

# Constant texts from the column names above (hence the noqa: no input reaches them).
# PostgreSQL: the deltas a statement deletes are exactly those it adds; a delta committed
# meanwhile stays for the next fold.
_FOLD_POSTGRES = text(
    f"WITH moved AS (DELETE FROM report_deltas RETURNING {_columns}), "  # noqa: S608
    f"merged AS (INSERT INTO report_cells ({_columns}) "
    f"SELECT {_key}, {_sums} FROM moved GROUP BY {_key} "
    f"ON CONFLICT ({_key}) DO UPDATE SET {_add}) "
    f"SELECT count(*) FROM moved"
)
# SQLite: one writer at a time; the first statement takes the write lock, so nothing is
# appended until the deltas are deleted. ("WHERE true": SQLite's parser needs it before ON
# CONFLICT.)
_FOLD_SQLITE = text(
    f"INSERT INTO report_cells ({_columns}) SELECT {_key}, {_sums} FROM report_deltas "  # noqa: S608
    f"WHERE true GROUP BY {_key} ON CONFLICT ({_key}) DO UPDATE SET {_add}"
)
# Cells that count no meeting any more (their value is then 0 too, but on SQLite, which
# keeps NUMERIC as floating point, perhaps not exactly), found through a partial index
# that holds just them: no key list to send, however many there are.
_DROP_EMPTY = text(f"DELETE FROM report_cells WHERE {EMPTY_CELL}")  # noqa: S608


async def fold(session: AsyncSession) -> int:
    """Move the deltas into the cells and commit; the number of deltas moved (0 when
    another process is folding)."""
    if session.get_bind().dialect.name == "postgresql":
        if not await session.scalar(select(func.pg_try_advisory_xact_lock(FOLD_LOCK))):
            await session.rollback()
            return 0
        moved = int(await session.scalar(_FOLD_POSTGRES) or 0)
    else:
        await session.execute(_FOLD_SQLITE)
        deleted = await session.execute(text("DELETE FROM report_deltas"))
        moved = int(deleted.rowcount or 0)
    if moved:
        await session.execute(_DROP_EMPTY)
    await session.commit()
    if moved:
        log.debug("folded %s report deltas", moved)
    return moved
