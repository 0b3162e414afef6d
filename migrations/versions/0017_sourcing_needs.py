"""sourcing needs: what buyers look for, with their codes indexed for the leads

Revision ID: 0017sourcingneeds
Revises: 0016accounttokens
Create Date: 2026-12-06 22:13:39
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fair.db

revision: str = '0017sourcingneeds'
down_revision: str | None = '0016accounttokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('needs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('buyer_id', sa.String(length=32), nullable=False),
    sa.Column('fair_id', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hs_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('quantity_amount', sa.Integer(), nullable=True),
    sa.Column('quantity_unit', sa.String(length=16), nullable=True),
    sa.Column('price_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('certifications', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('markets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('languages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('visible_to_exhibitors', sa.Boolean(), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_needs_buyer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], name=op.f('fk_needs_fair_id_fairs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_buyer_id_fair_id', ['buyer_id', 'fair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_fair_id'), ['fair_id'], unique=False)

    op.create_table('need_tags',
    sa.Column('need_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_tags_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'kind', 'code', name=op.f('pk_need_tags'))
    )
    with op.batch_alter_table('need_tags', schema=None) as batch_op:
        batch_op.create_index('ix_need_tags_kind_code', ['kind', 'code', 'need_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('need_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_need_tags_kind_code')

    op.drop_table('need_tags')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_fair_id'))
        batch_op.drop_index('ix_needs_buyer_id_fair_id')

    op.drop_table('needs')
