"""booking reminders: a buyer asks to be mailed when a fair's booking opens

Revision ID: 0010bookingreminders
Revises: 0009reportcells
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0010bookingreminders'
down_revision: str | None = '0009reportcells'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('booking_reminders',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('fair_id', sa.String(length=32), nullable=False),
    sa.Column('booth_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booth_id'], ['booths.id'], name=op.f('fk_booking_reminders_booth_id_booths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], name=op.f('fk_booking_reminders_fair_id_fairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_reminders')),
    sa.UniqueConstraint('user_id', 'fair_id', name=op.f('uq_booking_reminders_user_id_fair_id'))
    )
    op.create_index(op.f('ix_booking_reminders_fair_id'), 'booking_reminders', ['fair_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_booking_reminders_fair_id'), table_name='booking_reminders')
    op.drop_table('booking_reminders')
