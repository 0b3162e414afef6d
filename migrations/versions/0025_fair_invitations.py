"""fair invitations: organizers invite exhibitors and buyers by e-mail

Revision ID: 0025fairinvitations
Revises: 0024companies
Create Date: 2026-12-07 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0025fairinvitations'
down_revision: str | None = '0024companies'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fair_invitations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('fair_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('invited_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.String(length=32), nullable=True),
    sa.Column('revoked_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('exhibitor', 'buyer')", name=op.f('ck_fair_invitations_role_known')),
    sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], name=op.f('fk_fair_invitations_accepted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], name=op.f('fk_fair_invitations_fair_id_fairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_fair_invitations_invited_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fair_invitations')),
    sa.UniqueConstraint('fair_id', 'email', name=op.f('uq_fair_invitations_fair_id_email')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_fair_invitations_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('fair_invitations')
