"""the report's cells keep how each meeting came about (``meetings.source``), for the
conversion report's ``source`` grouping and the partner-matching success rate

Revision ID: 0022reportsources
Revises: 0021proposals
Create Date: 2026-12-07 02:00:00

The cells and deltas are made again with ``source`` in their key and refilled from the
meetings there are (the same sums the deltas would have built), and the triggers of 0009
are made again to carry the source and to watch it change. The SQL is written out here,
not imported, so that this revision stays what it was when later ones change the
definitions; ``statements(with_source=False)`` is 0009's, for the downgrade.

Beware on SQLite: ``batch_alter_table`` on ``meetings`` or ``users`` rebuilds the table and
drops these triggers; a later revision that does so must create them again
(tests/reports/test_report_cells.py checks that they exist at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022reportsources"
down_revision: str | None = "0021proposals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASE_KEY = ("booth_id", "day", "country", "locale", "interpreter", "currency")
COUNTS = ("booked", "cancelled", "held", "no_show", "follow_up", "open", "contracts")
# The README's definitions, for one meeting row {r}.
CONDITIONS = {
    "booked": "{r}.confirmed_at IS NOT NULL AND {r}.status <> 'cancelled'",
    "cancelled": "{r}.confirmed_at IS NOT NULL AND {r}.status = 'cancelled'",
    "held": "{r}.attendance = 'held'",
    "no_show": "{r}.attendance IN ('no_show_buyer', 'no_show_exhibitor', 'no_show_both')",
    "follow_up": (
        "{r}.attendance = 'held' AND {r}.stage IN ('follow_up', 'sample_sent', 'quote', 'contract')"
    ),
    "open": (
        "{r}.attendance = 'held' AND ({r}.stage IS NULL OR {r}.stage NOT IN ('no_deal', 'contract'))"
    ),
    "contracts": "{r}.attendance = 'held' AND {r}.stage = 'contract'",
}
VALUED = "{r}.attendance = 'held' AND {r}.stage = 'contract' AND {r}.stage_currency IS NOT NULL"
# A meeting counts somewhere once it was confirmed or its attendance decided.
COUNTED = (
    "({r}.confirmed_at IS NOT NULL OR {r}.attendance IN "
    "('held', 'no_show_buyer', 'no_show_exhibitor', 'no_show_both'))"
)
# What a meeting's contribution depends on; an update of anything else appends nothing.
BASE_WATCHED = (
    "booth_id",
    "buyer_id",
    "starts_at",
    "status",
    "confirmed_at",
    "attendance",
    "stage",
    "stage_value",
    "stage_currency",
    "interpreter_language",
)
DAY = {
    "postgresql": "({r}.starts_at AT TIME ZONE 'Asia/Tokyo')::date",
    # Stored as UTC text; Japan has no daylight saving time.
    "sqlite": "date({r}.starts_at, '+9 hours')",
}
EMPTY = "booked = 0 AND cancelled = 0 AND held = 0 AND no_show = 0"
POSTGRES_TRIGGERS = (
    ("report_buyer_updated", "users"),
    ("report_buyer_deleted", "users"),
    ("report_meeting_updated", "meetings"),
    ("report_meeting_written", "meetings"),
)
SQLITE_TRIGGERS = (
    "report_buyer_updated",
    "report_buyer_deleted",
    "report_meeting_updated",
    "report_meeting_deleted",
    "report_meeting_inserted",
)


class Statements:
    """The cells' SQL with the meeting's source in the key (this revision) or without it
    (0009's, for the downgrade)."""

    def __init__(self, dialect: str, *, with_source: bool) -> None:
        self.dialect = dialect
        self.with_source = with_source
        self.key = (*BASE_KEY, "source") if with_source else BASE_KEY
        self.columns = (*self.key, *COUNTS, "value")
        self.watched = (*BASE_WATCHED, "source") if with_source else BASE_WATCHED

    def contribution(self, r: str, country: str, locale: str, sign: int) -> str:
        """The select list of meeting ``r``'s contribution, every count times ``sign``."""
        valued = VALUED.format(r=r)
        columns = [
            f"{r}.booth_id",
            DAY[self.dialect].format(r=r),
            f"coalesce({country}, '')",
            f"coalesce({locale}, '')",
            f"coalesce({r}.interpreter_language, '')",
            f"CASE WHEN {valued} THEN {r}.stage_currency ELSE '' END",
            *([f"coalesce({r}.source, 'self')"] if self.with_source else []),
            *(
                f"CASE WHEN {CONDITIONS[name].format(r=r)} THEN {sign} ELSE 0 END"
                for name in COUNTS
            ),
            f"CASE WHEN {valued} THEN {sign} * coalesce({r}.stage_value, 0) ELSE 0 END",
        ]
        return ", ".join(f"{column} AS {name}" for column, name in zip(columns, self.columns))

    def append(self, r: str, country: str, locale: str, sign: int, source: str) -> str:
        """INSERT the contribution of ``r`` (a row of ``source`` or the trigger's OLD/NEW)."""
        return (
            f"INSERT INTO report_deltas ({', '.join(self.columns)}) "
            f"SELECT {self.contribution(r, country, locale, sign)} FROM {source} "
            f"AND {COUNTED.format(r=r)}"
        )

    def meeting_changed(self, r: str, sign: int) -> str:
        statement = self.append(
            r, "u.country", "u.locale", sign, f"users u WHERE u.id = {r}.buyer_id"
        )
        if self.dialect == "postgresql":
            # As in 0009: a buyer changing country while one of their meetings changes.
            statement += " FOR SHARE OF u"
        return statement

    def buyer_changed(self, buyer: str, sign: int) -> str:
        return self.append(
            "m",
            f"{buyer}.country",
            f"{buyer}.locale",
            sign,
            f"meetings m WHERE m.buyer_id = {buyer}.id",
        )

    def fill(self) -> str:
        """The meetings there are, summed straight into the cells (bench/report.py runs this
        too, after loading meetings with the triggers off)."""
        columns = ", ".join(self.columns)
        sums = ", ".join(f"sum({name})" for name in (*COUNTS, "value"))
        key = ", ".join(self.key)
        return (
            f"INSERT INTO report_cells ({columns}) SELECT {key}, {sums} FROM "
            f"(SELECT {self.contribution('m', 'u.country', 'u.locale', 1)} "
            f"FROM meetings m JOIN users u ON u.id = m.buyer_id WHERE {COUNTED.format(r='m')}) "
            f"AS c GROUP BY {key}"
        )

    def create_tables(self) -> None:
        def cell_columns() -> list[sa.Column]:
            return [
                sa.Column("booth_id", sa.String(length=32), nullable=False),
                sa.Column("day", sa.Date(), nullable=False),
                sa.Column("country", sa.String(length=2), nullable=False),
                sa.Column("locale", sa.String(length=8), nullable=False),
                sa.Column("interpreter", sa.String(length=8), nullable=False),
                sa.Column("currency", sa.String(length=3), nullable=False),
                *(
                    [sa.Column("source", sa.String(length=12), nullable=False)]
                    if self.with_source
                    else []
                ),
                *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
                sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
            ]

        op.create_table(
            "report_cells",
            *cell_columns(),
            sa.PrimaryKeyConstraint(*self.key, name=op.f("pk_report_cells")),
        )
        op.create_index("ix_report_cells_day", "report_cells", ["day"], unique=False)
        empty = sa.text(EMPTY)
        op.create_index(
            "ix_report_cells_empty",
            "report_cells",
            ["booth_id"],
            unique=False,
            postgresql_where=empty,
            sqlite_where=empty,
        )
        op.create_table(
            "report_deltas",
            sa.Column(
                "id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                autoincrement=True,
                nullable=False,
            ),
            *cell_columns(),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deltas")),
        )

    def create_triggers(self) -> None:
        if self.dialect == "postgresql":
            self._create_postgres_triggers()
        else:
            self._create_sqlite_triggers()

    def _create_postgres_triggers(self) -> None:
        op.execute(f"""
CREATE FUNCTION report_meeting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {self.meeting_changed("OLD", -1)};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {self.meeting_changed("NEW", 1)};
    END IF;
    RETURN NULL;
END
$$""")
        # A deleted buyer's meetings go by cascade after the buyer's row, when the meeting
        # trigger no longer finds the buyer's country: they are taken out here, before.
        op.execute(f"""
CREATE FUNCTION report_buyer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {self.buyer_changed("OLD", -1)};
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    {self.buyer_changed("NEW", 1)};
    RETURN NULL;
END
$$""")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in self.watched)
        op.execute(
            "CREATE TRIGGER report_meeting_written AFTER INSERT OR DELETE ON meetings "
            "FOR EACH ROW EXECUTE FUNCTION report_meeting_changed()"
        )
        op.execute(
            f"CREATE TRIGGER report_meeting_updated AFTER UPDATE ON meetings FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION report_meeting_changed()"
        )
        op.execute(
            "CREATE TRIGGER report_buyer_deleted BEFORE DELETE ON users "
            "FOR EACH ROW EXECUTE FUNCTION report_buyer_changed()"
        )
        op.execute(
            "CREATE TRIGGER report_buyer_updated AFTER UPDATE OF country, locale ON users "
            "FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country "
            "OR OLD.locale IS DISTINCT FROM NEW.locale) EXECUTE FUNCTION report_buyer_changed()"
        )

    def _create_sqlite_triggers(self) -> None:
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in self.watched)
        op.execute(
            f"CREATE TRIGGER report_meeting_inserted AFTER INSERT ON meetings "
            f"BEGIN {self.meeting_changed('NEW', 1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER report_meeting_deleted AFTER DELETE ON meetings "
            f"BEGIN {self.meeting_changed('OLD', -1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER report_meeting_updated AFTER UPDATE ON meetings WHEN {changed} "
            f"BEGIN {self.meeting_changed('OLD', -1)}; {self.meeting_changed('NEW', 1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER report_buyer_deleted BEFORE DELETE ON users "
            f"BEGIN {self.buyer_changed('OLD', -1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER report_buyer_updated AFTER UPDATE OF country, locale ON users "
            f"WHEN OLD.country IS NOT NEW.country OR OLD.locale IS NOT NEW.locale "
            f"BEGIN {self.buyer_changed('OLD', -1)}; {self.buyer_changed('NEW', 1)}; END"
        )


def statements(dialect: str, *, with_source: bool = True) -> Statements:
    return Statements(dialect, with_source=with_source)


def fill(dialect: str) -> str:
    """This revision's statement that sums the meetings into the cells."""
    return statements(dialect).fill()


def drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for name, table in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION report_buyer_changed()")
        op.execute("DROP FUNCTION report_meeting_changed()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")


def rebuild(dialect: str, *, with_source: bool) -> None:
    """Cells, deltas and triggers made again and refilled from the meetings: no table
    references the cells, and the refill is what folding every delta would give."""
    drop_triggers(dialect)
    op.drop_table("report_deltas")
    op.drop_table("report_cells")
    made = statements(dialect, with_source=with_source)
    made.create_tables()
    op.execute(made.fill())
    made.create_triggers()


def upgrade() -> None:
    rebuild(op.get_bind().dialect.name, with_source=True)


def downgrade() -> None:
    rebuild(op.get_bind().dialect.name, with_source=False)
