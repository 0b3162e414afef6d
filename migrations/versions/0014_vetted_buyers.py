"""vetted buyers and rate marks: fairs open to admitted buyers only, buyers' requests to
take part, and the marks registrations and bookings are rate-limited by

Revision ID: 0014vettedbuyers
Revises: 0013chatratelimit
Create Date: 2026-12-06 22:33:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0014vettedbuyers'
down_revision: str | None = '0013chatratelimit'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_marks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_marks'))
    )
    with op.batch_alter_table('rate_marks', schema=None) as batch_op:
        batch_op.create_index('ix_rate_marks_kind_subject_at', ['kind', 'subject', 'at'], unique=False)

    op.create_table('fair_buyers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fair_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('requested_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_fair_buyers_status_known')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_fair_buyers_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], name=op.f('fk_fair_buyers_fair_id_fairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fair_buyers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fair_buyers')),
    sa.UniqueConstraint('fair_id', 'user_id', name=op.f('uq_fair_buyers_fair_id_user_id'))
    )
    with op.batch_alter_table('fair_buyers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fair_buyers_user_id'), ['user_id'], unique=False)

    # Not in batch mode: on SQLite that copies ``fairs`` into a new table and drops the old
    # one, and dropping a table deletes its rows first, which with foreign keys on cascades
    # to every booth, meeting and report row of the fair. SQLite adds (and drops) a column
    # with its own CHECK in place.
    check = "buyer_admission IN ('open', 'vetted')"
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE fairs ADD COLUMN buyer_admission VARCHAR(16) DEFAULT 'open' NOT NULL "
            f"CONSTRAINT ck_fairs_buyer_admission_known CHECK ({check})"
        )
    else:
        op.add_column(
            'fairs',
            sa.Column('buyer_admission', sa.String(length=16), server_default='open', nullable=False),
        )
        op.create_check_constraint(op.f('ck_fairs_buyer_admission_known'), 'fairs', check)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE fairs DROP COLUMN buyer_admission")
    else:
        op.drop_constraint(op.f('ck_fairs_buyer_admission_known'), 'fairs', type_='check')
        op.drop_column('fairs', 'buyer_admission')

    with op.batch_alter_table('fair_buyers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fair_buyers_user_id'))

    op.drop_table('fair_buyers')
    with op.batch_alter_table('rate_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_marks_kind_subject_at')

    op.drop_table('rate_marks')
