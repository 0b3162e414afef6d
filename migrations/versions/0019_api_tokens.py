"""api tokens: personal access tokens for the JSON API, stored hashed

Revision ID: 0019apitokens
Revises: 0018profile
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fair.db

revision: str = '0019apitokens'
down_revision: str | None = '0018profile'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index('ix_api_tokens_user_created', 'api_tokens', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_tokens_user_created', table_name='api_tokens')
    op.drop_table('api_tokens')
