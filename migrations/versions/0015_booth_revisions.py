"""booth revisions: an approved booth's edits wait for review; new products and files hidden

Revision ID: 0015boothrevisions
Revises: 0014vettedbuyers
Create Date: 2026-12-06 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0015boothrevisions'
down_revision: str | None = '0014vettedbuyers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('booth_revisions',
    sa.Column('booth_id', sa.String(length=32), nullable=False),
    sa.Column('booth_fields', fair.db.JSONType, nullable=False),
    sa.Column('product_fields', fair.db.JSONType, nullable=False),
    sa.Column('media_fields', fair.db.JSONType, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('submitted_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=32), nullable=True),
    sa.Column('reviewed_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'rejected')", name=op.f('ck_booth_revisions_status_known')),
    sa.ForeignKeyConstraint(['booth_id'], ['booths.id'], name=op.f('fk_booth_revisions_booth_id_booths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_booth_revisions_reviewed_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('booth_id', name=op.f('pk_booth_revisions'))
    )
    op.create_index('ix_booth_revisions_status_submitted_at', 'booth_revisions', ['status', 'submitted_at'], unique=False)
    # Everything already there was shown under the old rules: nothing waits for review.
    # Not in batch mode: on SQLite that copies the table and drops the old one, and the drop
    # would run the foreign keys' ON DELETE actions (a file's product, outcomes' products).
    for table in ('products', 'media'):
        op.add_column(
            table, sa.Column('awaiting_review', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    # In place, not in batch mode: on SQLite that rebuilds the table by dropping it, and the
    # drop cascades to the rows that reference it (tests/test_migrations.py).
    for table in ('media', 'products'):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f"ALTER TABLE {table} DROP COLUMN awaiting_review")
        else:
            op.drop_column(table, 'awaiting_review')
    op.drop_index('ix_booth_revisions_status_submitted_at', table_name='booth_revisions')
    op.drop_table('booth_revisions')
