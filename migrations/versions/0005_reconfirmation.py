"""reconfirmation of meetings by the buyer, release by the exhibitor

Revision ID: 0005reconfirm
Revises: 0004feeds
Create Date: 2026-11-25 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db


revision: str = '0005reconfirm'
down_revision: str | None = '0004feeds'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('meetings') as batch:
        batch.add_column(
            sa.Column('by_request', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column('attendance_asked_at', fair.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('attendance_confirmed_at', fair.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('released_at', fair.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meetings') as batch:
        batch.drop_column('released_at')
        batch.drop_column('attendance_confirmed_at')
        batch.drop_column('attendance_asked_at')
        batch.drop_column('by_request')
