"""conversations: threads of a buyer and a booth's company, their messages, read markers,
blocks between people, and messages reported to the organizers

Revision ID: 0026conversations
Revises: 0025fairinvitations
Create Date: 2026-12-07 04:21:02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = "0026conversations"
down_revision: str | None = "0025fairinvitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_blocks",
        sa.Column("blocker_id", sa.String(length=32), nullable=False),
        sa.Column("blocked_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", fair.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocked_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_user_blocks")),
    )
    with op.batch_alter_table("user_blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_blocks_blocked_id"), ["blocked_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("fair_id", sa.String(length=32), nullable=True),
        sa.Column("booth_id", sa.String(length=32), nullable=False),
        sa.Column("buyer_id", sa.String(length=32), nullable=False),
        sa.Column("need_id", sa.String(length=32), nullable=True),
        sa.Column("meeting_id", sa.String(length=32), nullable=True),
        sa.Column("started_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", fair.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", fair.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booth_id"],
            ["booths.id"],
            name=op.f("fk_conversations_booth_id_booths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["users.id"],
            name=op.f("fk_conversations_buyer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"],
            ["fairs.id"],
            name=op.f("fk_conversations_fair_id_fairs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conversations_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["needs.id"],
            name=op.f("fk_conversations_need_id_needs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["users.id"],
            name=op.f("fk_conversations_started_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "booth_id", "buyer_id", name=op.f("uq_conversations_booth_id_buyer_id")
        ),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_buyer_id_last_message_at",
            ["buyer_id", "last_message_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversations_started_by_created_at", ["started_by", "created_at"], unique=False
        )

    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", fair.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", fair.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_conversation_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_author_id_created_at",
            ["author_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversation_messages_conversation_id_created_at",
            ["conversation_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "conversation_reads",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("last_read_at", fair.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notified_until", fair.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_reads_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversation_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f("pk_conversation_reads")),
    )
    with op.batch_alter_table("conversation_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_reads_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "conversation_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("handled_by", sa.String(length=32), nullable=True),
        sa.Column("handled_at", fair.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fair.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'actioned')",
            name=op.f("ck_conversation_reports_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_reports_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by"],
            ["users.id"],
            name=op.f("fk_conversation_reports_handled_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["conversation_messages.id"],
            name=op.f("fk_conversation_reports_message_id_conversation_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_conversation_reports_reporter_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_reports")),
    )
    with op.batch_alter_table("conversation_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_reports_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversation_reports_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversation_reports_reporter_id"), ["reporter_id"], unique=False
        )
        batch_op.create_index(
            "ix_conversation_reports_status_created_at", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_reports_status_created_at")
        batch_op.drop_index(batch_op.f("ix_conversation_reports_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_reports_message_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_reports_conversation_id"))

    op.drop_table("conversation_reports")
    with op.batch_alter_table("conversation_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_reads_user_id"))

    op.drop_table("conversation_reads")
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_messages_conversation_id_created_at")
        batch_op.drop_index("ix_conversation_messages_author_id_created_at")

    op.drop_table("conversation_messages")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_started_by_created_at")
        batch_op.drop_index("ix_conversations_buyer_id_last_message_at")

    op.drop_table("conversations")
    with op.batch_alter_table("user_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_blocks_blocked_id"))

    op.drop_table("user_blocks")
