"""account tokens: e-mail verification, password reset, signed-in devices

Revision ID: 0016accounttokens
Revises: 0015boothrevisions
Create Date: 2026-12-06 22:30:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0016accounttokens'
down_revision: str | None = '0015boothrevisions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    op.create_index('ix_account_tokens_purpose_address_at', 'account_tokens', ['purpose', 'address', 'created_at'], unique=False)
    op.create_index('ix_account_tokens_purpose_email_at', 'account_tokens', ['purpose', 'email', 'created_at'], unique=False)
    op.create_index('ix_account_tokens_purpose_user_at', 'account_tokens', ['purpose', 'user_id', 'created_at'], unique=False)

    # Accounts made before verification existed count as verified (their owners have been
    # signing in and being mailed all along).
    # Plain ALTERs (SQLite has both): a batch would rebuild users, which the report's
    # triggers name.
    op.add_column('users', sa.Column('email_verified_at', fair.db.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE users SET email_verified_at = created_at')

    # Sessions get a public name of their own and what the device list shows; the ones
    # open now are kept, each named anew.
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', fair.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=False, server_default=''))
    connection = op.get_bind()
    sessions = sa.table('sessions', sa.column('id', sa.String), sa.column('public_id', sa.String))
    for (session_id,) in connection.execute(sa.select(sessions.c.id)).all():
        connection.execute(
            sessions.update().where(sessions.c.id == session_id).values(public_id=secrets.token_hex(16))
        )
    op.execute('UPDATE sessions SET last_seen_at = created_at')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('last_seen_at', existing_type=fair.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('user_agent', server_default=None)
        batch_op.alter_column('address', server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_sessions_public_id'), ['public_id'])


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sessions_public_id'), type_='unique')
        batch_op.drop_column('address')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('public_id')
    op.drop_column('users', 'email_verified_at')
    op.drop_index('ix_account_tokens_purpose_user_at', table_name='account_tokens')
    op.drop_index('ix_account_tokens_purpose_email_at', table_name='account_tokens')
    op.drop_index('ix_account_tokens_purpose_address_at', table_name='account_tokens')
    op.drop_table('account_tokens')
