"""the conversion report's counts kept per booth, day and buyer by triggers

Revision ID: 0009reportcells
Revises: 0008reportcopies
Create Date: 2026-11-26 06:20:00

Triggers on ``meetings`` and ``users`` append every change of a meeting's contribution to
``report_deltas`` (its old contribution with -1, its new one with +1); the application folds
them into ``report_cells`` (``reports.cells.fold``). The SQL is written out here, not
imported, so that this revision stays what it was when later ones change the definitions.

Beware on SQLite: ``batch_alter_table`` on ``meetings`` or ``users`` rebuilds the table and
drops these triggers; a later revision that does so must create them again
(tests/reports/test_report_cells.py checks that they exist at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009reportcells'
down_revision: str | None = '0008reportcopies'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ('booth_id', 'day', 'country', 'locale', 'interpreter', 'currency')
COUNTS = ('booked', 'cancelled', 'held', 'no_show', 'follow_up', 'open', 'contracts')
COLUMNS = (*KEY, *COUNTS, 'value')
# The README's definitions, for one meeting row {r}.
CONDITIONS = {
    'booked': "{r}.confirmed_at IS NOT NULL AND {r}.status <> 'cancelled'",
    'cancelled': "{r}.confirmed_at IS NOT NULL AND {r}.status = 'cancelled'",
    'held': "{r}.attendance = 'held'",
    'no_show': "{r}.attendance IN ('no_show_buyer', 'no_show_exhibitor', 'no_show_both')",
    'follow_up': (
        "{r}.attendance = 'held' AND {r}.stage IN ('follow_up', 'sample_sent', 'quote', 'contract')"
    ),
    'open': (
        "{r}.attendance = 'held' AND ({r}.stage IS NULL OR {r}.stage NOT IN ('no_deal', 'contract'))"
    ),
    'contracts': "{r}.attendance = 'held' AND {r}.stage = 'contract'",
}
VALUED = "{r}.attendance = 'held' AND {r}.stage = 'contract' AND {r}.stage_currency IS NOT NULL"
# A meeting counts somewhere once it was confirmed or its attendance decided.
COUNTED = (
    "({r}.confirmed_at IS NOT NULL OR {r}.attendance IN "
    "('held', 'no_show_buyer', 'no_show_exhibitor', 'no_show_both'))"
)
# What a meeting's contribution depends on; an update of anything else appends nothing.
WATCHED = (
    'booth_id', 'buyer_id', 'starts_at', 'status', 'confirmed_at', 'attendance', 'stage',
    'stage_value', 'stage_currency', 'interpreter_language',
)
DAY = {
    'postgresql': "({r}.starts_at AT TIME ZONE 'Asia/Tokyo')::date",
    # Stored as UTC text; Japan has no daylight saving time.
    'sqlite': "date({r}.starts_at, '+9 hours')",
}


def contribution(dialect: str, r: str, country: str, locale: str, sign: int) -> str:
    """The select list of meeting ``r``'s contribution, every count times ``sign``."""
    valued = VALUED.format(r=r)
    columns = [
        f'{r}.booth_id',
        DAY[dialect].format(r=r),
        f"coalesce({country}, '')",
        f"coalesce({locale}, '')",
        f"coalesce({r}.interpreter_language, '')",
        f"CASE WHEN {valued} THEN {r}.stage_currency ELSE '' END",
        *(f'CASE WHEN {CONDITIONS[name].format(r=r)} THEN {sign} ELSE 0 END' for name in COUNTS),
        f'CASE WHEN {valued} THEN {sign} * coalesce({r}.stage_value, 0) ELSE 0 END',
    ]
    return ', '.join(f'{column} AS {name}' for column, name in zip(columns, COLUMNS))


def append(dialect: str, r: str, country: str, locale: str, sign: int, source: str) -> str:
    """INSERT the contribution of ``r`` (a row of ``source`` or the trigger's OLD/NEW)."""
    return (
        f"INSERT INTO report_deltas ({', '.join(COLUMNS)}) "
        f'SELECT {contribution(dialect, r, country, locale, sign)} FROM {source} '
        f'AND {COUNTED.format(r=r)}'
    )


def meeting_changed(dialect: str, r: str, sign: int) -> str:
    statement = append(
        dialect, r, 'u.country', 'u.locale', sign, f'users u WHERE u.id = {r}.buyer_id'
    )
    if dialect == 'postgresql':
        # A buyer who changes country while one of their meetings changes: without the
        # lock, the meeting could be counted under the country its transaction read while
        # the buyer's transaction moved only the meetings it could see. With it, the later
        # of the two waits for the other and reads what it wrote. (SQLite has one writer.)
        statement += ' FOR SHARE OF u'
    return statement


def buyer_changed(dialect: str, buyer: str, sign: int) -> str:
    return append(
        dialect, 'm', f'{buyer}.country', f'{buyer}.locale', sign,
        f'meetings m WHERE m.buyer_id = {buyer}.id',
    )


def fill(dialect: str) -> str:
    """The meetings there are, summed straight into the cells (bench/report.py runs this
    too, after loading meetings with the triggers off)."""
    columns = ', '.join(COLUMNS)
    sums = ', '.join(f'sum({name})' for name in (*COUNTS, 'value'))
    key = ', '.join(KEY)
    return (
        f'INSERT INTO report_cells ({columns}) SELECT {key}, {sums} FROM '
        f"(SELECT {contribution(dialect, 'm', 'u.country', 'u.locale', 1)} "
        f'FROM meetings m JOIN users u ON u.id = m.buyer_id WHERE {COUNTED.format(r="m")}) '
        f'AS c GROUP BY {key}'
    )


def create_tables() -> None:
    def cell_columns() -> list[sa.Column]:
        return [
            sa.Column('booth_id', sa.String(length=32), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('country', sa.String(length=2), nullable=False),
            sa.Column('locale', sa.String(length=8), nullable=False),
            sa.Column('interpreter', sa.String(length=8), nullable=False),
            sa.Column('currency', sa.String(length=3), nullable=False),
            *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
            sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
        ]

    op.create_table(
        'report_cells',
        *cell_columns(),
        sa.PrimaryKeyConstraint(*KEY, name=op.f('pk_report_cells')),
    )
    op.create_index('ix_report_cells_day', 'report_cells', ['day'], unique=False)
    empty = sa.text('booked = 0 AND cancelled = 0 AND held = 0 AND no_show = 0')
    op.create_index('ix_report_cells_empty', 'report_cells', ['booth_id'], unique=False, postgresql_where=empty, sqlite_where=empty)
    op.create_table(
        'report_deltas',
        sa.Column(
            'id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
            nullable=False,
        ),
        *cell_columns(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_deltas')),
    )


def create_postgres_triggers() -> None:
    d = 'postgresql'
    op.execute(f"""
CREATE FUNCTION report_meeting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {meeting_changed(d, 'OLD', -1)};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {meeting_changed(d, 'NEW', 1)};
    END IF;
    RETURN NULL;
END
$$""")
    # A deleted buyer's meetings go by cascade after the buyer's row, when the meeting
    # trigger no longer finds the buyer's country: they are taken out here, before.
    op.execute(f"""
CREATE FUNCTION report_buyer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {buyer_changed(d, 'OLD', -1)};
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    {buyer_changed(d, 'NEW', 1)};
    RETURN NULL;
END
$$""")
    changed = ' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in WATCHED)
    op.execute(
        'CREATE TRIGGER report_meeting_written AFTER INSERT OR DELETE ON meetings '
        'FOR EACH ROW EXECUTE FUNCTION report_meeting_changed()'
    )
    op.execute(
        f'CREATE TRIGGER report_meeting_updated AFTER UPDATE ON meetings FOR EACH ROW '
        f'WHEN ({changed}) EXECUTE FUNCTION report_meeting_changed()'
    )
    op.execute(
        'CREATE TRIGGER report_buyer_deleted BEFORE DELETE ON users '
        'FOR EACH ROW EXECUTE FUNCTION report_buyer_changed()'
    )
    op.execute(
        'CREATE TRIGGER report_buyer_updated AFTER UPDATE OF country, locale ON users '
        'FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country '
        'OR OLD.locale IS DISTINCT FROM NEW.locale) EXECUTE FUNCTION report_buyer_changed()'
    )


def create_sqlite_triggers() -> None:
    d = 'sqlite'
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED)
    op.execute(
        f'CREATE TRIGGER report_meeting_inserted AFTER INSERT ON meetings '
        f'BEGIN {meeting_changed(d, "NEW", 1)}; END'
    )
    op.execute(
        f'CREATE TRIGGER report_meeting_deleted AFTER DELETE ON meetings '
        f'BEGIN {meeting_changed(d, "OLD", -1)}; END'
    )
    op.execute(
        f'CREATE TRIGGER report_meeting_updated AFTER UPDATE ON meetings WHEN {changed} '
        f'BEGIN {meeting_changed(d, "OLD", -1)}; {meeting_changed(d, "NEW", 1)}; END'
    )
    op.execute(
        f'CREATE TRIGGER report_buyer_deleted BEFORE DELETE ON users '
        f'BEGIN {buyer_changed(d, "OLD", -1)}; END'
    )
    op.execute(
        f'CREATE TRIGGER report_buyer_updated AFTER UPDATE OF country, locale ON users '
        f'WHEN OLD.country IS NOT NEW.country OR OLD.locale IS NOT NEW.locale '
        f'BEGIN {buyer_changed(d, "OLD", -1)}; {buyer_changed(d, "NEW", 1)}; END'
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    create_tables()
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_held_starts_at', postgresql_where=sa.text("attendance = 'held'"), sqlite_where=sa.text("attendance = 'held'"))
        batch_op.create_index('ix_meetings_contracts', ['booth_id', 'starts_at'], unique=False, postgresql_include=['stage_on', 'buyer_id', 'interpreter_language'], postgresql_where=sa.text("attendance = 'held' AND stage = 'contract'"), sqlite_where=sa.text("attendance = 'held' AND stage = 'contract'"))
    op.execute(fill(dialect))
    if dialect == 'postgresql':
        create_postgres_triggers()
    else:
        create_sqlite_triggers()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('DROP TRIGGER report_buyer_updated ON users')
        op.execute('DROP TRIGGER report_buyer_deleted ON users')
        op.execute('DROP TRIGGER report_meeting_updated ON meetings')
        op.execute('DROP TRIGGER report_meeting_written ON meetings')
        op.execute('DROP FUNCTION report_buyer_changed()')
        op.execute('DROP FUNCTION report_meeting_changed()')
    else:
        for name in (
            'report_buyer_updated', 'report_buyer_deleted', 'report_meeting_updated',
            'report_meeting_deleted', 'report_meeting_inserted',
        ):
            op.execute(f'DROP TRIGGER {name}')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_contracts', postgresql_where=sa.text("attendance = 'held' AND stage = 'contract'"), sqlite_where=sa.text("attendance = 'held' AND stage = 'contract'"))
        batch_op.create_index('ix_meetings_held_starts_at', ['starts_at'], unique=False, postgresql_include=['booth_id', 'stage'], postgresql_where=sa.text("attendance = 'held'"), sqlite_where=sa.text("attendance = 'held'"))
    op.drop_table('report_deltas')
    op.drop_table('report_cells')
