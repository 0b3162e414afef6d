"""conversation files: attachments of a conversation's messages

Revision ID: 0029conversationfiles
Revises: 0028matchweights
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = "0029conversationfiles"
down_revision: str | None = "0028matchweights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: the referenced tables are left as they are (on SQLite, rebuilding
    # one would delete the rows referencing it through ON DELETE CASCADE).
    op.create_table(
        "conversation_attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", fair.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_attachments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["conversation_messages.id"],
            name=op.f("fk_conversation_attachments_message_id_conversation_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_attachments")),
    )
    op.create_index(
        op.f("ix_conversation_attachments_conversation_id"),
        "conversation_attachments",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_attachments_message_id"),
        "conversation_attachments",
        ["message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_conversation_attachments_message_id"), table_name="conversation_attachments"
    )
    op.drop_index(
        op.f("ix_conversation_attachments_conversation_id"), table_name="conversation_attachments"
    )
    op.drop_table("conversation_attachments")
