"""The report's cells: meetings' figures summed per key (the exchange rates they convert
contract values with live in ``fair.money``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fair.db import Base

# A cell that counts no meeting (its other counts and value follow from these four).
EMPTY_CELL = "booked = 0 AND cancelled = 0 AND held = 0 AND no_show = 0"


class _CellColumns:
    """A meeting's contribution to the report, keyed by what the report filters and groups
    on: its booth, its day (the start's date in Japan time), the buyer's country and locale,
    the interpreter's language ('' for none), for a contract with a value its currency
    ('' otherwise), and how the meeting came about (``meetings.source``, migration 0022).
    Each count is what the definitions in docs/features.md count: 1 or 0 per meeting."""

    booth_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    country: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(8))
    interpreter: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(12))
    booked: Mapped[int]
    cancelled: Mapped[int]
    held: Mapped[int]
    no_show: Mapped[int]
    follow_up: Mapped[int]
    open: Mapped[int]
    contracts: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class ReportCell(_CellColumns, Base):
    """The report's figures summed per key, so that a report over a million meetings reads a
    few hundred thousand rows at most. Never written by the application: database triggers
    (migrations 0009 and 0022) append each change of a meeting or a buyer to ``report_deltas``, and
    ``reports.cells.fold`` moves those sums here. No foreign keys: a deleted booth's
    or buyer's meetings take their counts out through the same deltas."""

    __tablename__ = "report_cells"
    __table_args__ = (
        PrimaryKeyConstraint(
            "booth_id",
            "day",
            "country",
            "locale",
            "interpreter",
            "currency",
            "source",
            name="pk_report_cells",
        ),
        # The year's actuals read one year of every booth (a million meetings: 31 -> 20 ms).
        Index("ix_report_cells_day", "day"),
        # Holds only the cells a fold has just emptied, for it to delete them: nearly always
        # empty itself.
        Index(
            "ix_report_cells_empty",
            "booth_id",
            postgresql_where=text(EMPTY_CELL),
            sqlite_where=text(EMPTY_CELL),
        ),
    )


class ReportDelta(_CellColumns, Base):
    """One change of one meeting's contribution (+1/-1 counts), appended by the triggers:
    inserts only, so concurrent bookings never wait on a shared row. The report reads these
    beside ``report_cells`` until they are folded in."""

    __tablename__ = "report_deltas"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
