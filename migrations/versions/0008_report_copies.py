"""the meeting's current stage copied beside current_outcome_id; daily booth visit counts

Revision ID: 0008reportcopies
Revises: 0007outcomes
Create Date: 2026-11-26 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008reportcopies'
down_revision: str | None = '0007outcomes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = (('stage', 'stage'), ('stage_value', 'value'), ('stage_currency', 'currency'), ('stage_on', 'occurred_on'))


def upgrade() -> None:
    op.create_table('booth_visit_days',
    sa.Column('booth_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booths.id'], name=op.f('fk_booth_visit_days_booth_id_booths'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('booth_id', 'day', name=op.f('pk_booth_visit_days'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('stage_value', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('stage_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('stage_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_meetings_held_starts_at', ['starts_at'], unique=False, postgresql_include=['booth_id', 'stage'], postgresql_where=sa.text("attendance = 'held'"), sqlite_where=sa.text("attendance = 'held'"))

    # Correlated subqueries: the same statement on SQLite and PostgreSQL.
    copies = ', '.join(
        f'{column} = (SELECT o.{source} FROM meeting_outcomes o WHERE o.id = meetings.current_outcome_id)'
        for column, source in COPIED
    )
    op.execute(f'UPDATE meetings SET {copies} WHERE current_outcome_id IS NOT NULL')
    op.execute(
        "INSERT INTO booth_visit_days (booth_id, day, visits) "
        "SELECT booth_id, day, count(*) FROM visits WHERE kind = 'booth' GROUP BY booth_id, day"
    )


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_held_starts_at', postgresql_where=sa.text("attendance = 'held'"), sqlite_where=sa.text("attendance = 'held'"))
        batch_op.drop_column('stage_on')
        batch_op.drop_column('stage_currency')
        batch_op.drop_column('stage_value')
        batch_op.drop_column('stage')

    op.drop_table('booth_visit_days')
