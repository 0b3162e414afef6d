"""proposals: meetings proposed to a buyer and a booth by an organizer or the booth's
company; and how each meeting came about (``meetings.source``, "self" for those before)

Revision ID: 0021proposals
Revises: 0020webhooks
Create Date: 2026-12-07 01:19:57
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0021proposals'
down_revision: str | None = '0020webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proposals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fair_id', sa.String(length=32), nullable=False),
    sa.Column('buyer_id', sa.String(length=32), nullable=False),
    sa.Column('booth_id', sa.String(length=32), nullable=False),
    sa.Column('need_id', sa.String(length=32), nullable=True),
    sa.Column('proposed_by', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('buyer_answer', sa.String(length=12), nullable=False),
    sa.Column('buyer_answered_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('booth_answer', sa.String(length=12), nullable=True),
    sa.Column('booth_answered_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=1000), nullable=False),
    sa.Column('starts_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('buyer_timezone', sa.String(length=64), nullable=True),
    sa.Column('interpreter_language', sa.String(length=8), nullable=True),
    sa.Column('meeting_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("booth_answer IS NULL OR booth_answer IN ('pending', 'accepted', 'declined')", name=op.f('ck_proposals_booth_answer_known')),
    sa.CheckConstraint("buyer_answer IN ('pending', 'accepted', 'declined')", name=op.f('ck_proposals_buyer_answer_known')),
    sa.CheckConstraint("kind IN ('organizer', 'exhibitor')", name=op.f('ck_proposals_kind_known')),
    sa.CheckConstraint("status IN ('open', 'declined', 'expired', 'booked')", name=op.f('ck_proposals_status_known')),
    sa.ForeignKeyConstraint(['booth_id'], ['booths.id'], name=op.f('fk_proposals_booth_id_booths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_proposals_buyer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fair_id'], ['fairs.id'], name=op.f('fk_proposals_fair_id_fairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_proposals_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_proposals_need_id_needs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], name=op.f('fk_proposals_proposed_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_booth_id_created_at', ['booth_id', 'created_at'], unique=False)
        batch_op.create_index('ix_proposals_buyer_id_created_at', ['buyer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_fair_id'), ['fair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_proposed_by'), ['proposed_by'], unique=False)
        batch_op.create_index('ix_proposals_status_expires_at', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ux_proposals_open_pair', ['buyer_id', 'booth_id'], unique=True, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    # Not in batch mode: on SQLite that rebuilds ``meetings`` by dropping it, and dropping a
    # table that others reference cascades to their rows (as 0014 explains for ``fairs``).
    check = "source IN ('self', 'recommended', 'invited', 'proposed')"
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE meetings ADD COLUMN source VARCHAR(12) DEFAULT 'self' NOT NULL "
            f"CONSTRAINT ck_meetings_source_known CHECK ({check})"
        )
    else:
        op.add_column(
            'meetings',
            sa.Column('source', sa.String(length=12), server_default='self', nullable=False),
        )
        op.create_check_constraint(op.f('ck_meetings_source_known'), 'meetings', check)



def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE meetings DROP COLUMN source")
    else:
        op.drop_constraint(op.f('ck_meetings_source_known'), 'meetings', type_='check')
        op.drop_column('meetings', 'source')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ux_proposals_open_pair', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_proposals_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_proposals_proposed_by'))
        batch_op.drop_index(batch_op.f('ix_proposals_fair_id'))
        batch_op.drop_index('ix_proposals_buyer_id_created_at')
        batch_op.drop_index('ix_proposals_booth_id_created_at')

    op.drop_table('proposals')
