"""buyers we want: a booth's minimum order (its wanted markets are booth tags), and a
need's time frame

Revision ID: 0027buyerswewant
Revises: 0026conversations
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027buyerswewant'
down_revision: str | None = '0026conversations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not in batch mode: on SQLite a batch rebuilds the table by dropping it, and
    # ``booths`` and ``needs`` are referenced by other tables.
    op.add_column('booths', sa.Column('minimum_order_amount', sa.Integer(), nullable=True))
    op.add_column('booths', sa.Column('minimum_order_unit', sa.String(length=16), nullable=True))
    op.add_column('needs', sa.Column('time_from', sa.Date(), nullable=True))
    op.add_column('needs', sa.Column('time_until', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('needs', 'time_until')
    op.drop_column('needs', 'time_from')
    op.drop_column('booths', 'minimum_order_unit')
    op.drop_column('booths', 'minimum_order_amount')
