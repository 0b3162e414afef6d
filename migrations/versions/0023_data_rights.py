"""data rights: "download my data" exports, and deleted accounts kept as tombstones

Revision ID: 0023datarights
Revises: 0022reportsources
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0023datarights'
down_revision: str | None = '0022reportsources'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_exports',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('ready_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    op.create_index('ix_data_exports_user_created', 'data_exports', ['user_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_data_exports_expires_at'), 'data_exports', ['expires_at'], unique=False)
    # In place, not in batch mode: on SQLite a batch rebuilds ``users`` by dropping it, which
    # cascades to every table that references it.
    op.add_column('users', sa.Column('deleted_at', fair.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'deleted_at')
    op.drop_index(op.f('ix_data_exports_expires_at'), table_name='data_exports')
    op.drop_index('ix_data_exports_user_created', table_name='data_exports')
    op.drop_table('data_exports')
