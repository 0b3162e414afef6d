"""upload attempts: the per-account upload rate limit counts them

Revision ID: 0011uploadattempts
Revises: 0010bookingreminders
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0011uploadattempts'
down_revision: str | None = '0010bookingreminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('upload_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_upload_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_attempts'))
    )
    op.create_index('ix_upload_attempts_user_id_at', 'upload_attempts', ['user_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_upload_attempts_user_id_at', table_name='upload_attempts')
    op.drop_table('upload_attempts')
