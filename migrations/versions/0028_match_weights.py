"""match weight fits: the match engine's weights refitted to the programme's outcomes

Revision ID: 0028matchweights
Revises: 0027buyerswewant
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fair.db

revision: str = '0028matchweights'
down_revision: str | None = '0027buyerswewant'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('match_weight_fits',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fitted_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('weights', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('learned_parts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('n_samples', sa.Integer(), nullable=False),
    sa.Column('n_positive', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('trigger', sa.String(length=12), nullable=False),
    sa.CheckConstraint("status IN ('used', 'too_few', 'one_class')", name=op.f('ck_match_weight_fits_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_weight_fits'))
    )
    op.create_index('ix_match_weight_fits_status_fitted_at', 'match_weight_fits', ['status', 'fitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_match_weight_fits_status_fitted_at', table_name='match_weight_fits')
    op.drop_table('match_weight_fits')
