"""profile: a person's position in the company and working day

Revision ID: 0018profile
Revises: 0017sourcingneeds
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018profile'
down_revision: str | None = '0017sourcingneeds'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs in place (SQLite has them): a batch would rebuild users, which other
    # tables reference (dropping it cascades) and the report's triggers name. The server
    # defaults fill the accounts there are: 9:00 to 18:00, good-for-both's day so far.
    op.add_column('users', sa.Column('position', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('users', sa.Column('day_start', sa.Time(), nullable=False, server_default='09:00:00'))
    op.add_column('users', sa.Column('day_end', sa.Time(), nullable=False, server_default='18:00:00'))


def downgrade() -> None:
    op.drop_column('users', 'day_end')
    op.drop_column('users', 'day_start')
    op.drop_column('users', 'position')
