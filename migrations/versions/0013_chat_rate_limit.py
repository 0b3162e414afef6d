"""chat rate limit: an index on an account's latest chat lines

Revision ID: 0013chatratelimit
Revises: 0012visitaudience
Create Date: 2026-12-06 19:34:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013chatratelimit'
down_revision: str | None = '0012visitaudience'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_meeting_chat_user_id_sent_at', 'meeting_chat', ['user_id', 'sent_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_meeting_chat_user_id_sent_at', table_name='meeting_chat')
