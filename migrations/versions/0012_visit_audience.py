"""visit audience: the funnel's booth visits count signed-in buyers; anonymous views apart

Revision ID: 0012visitaudience
Revises: 0011uploadattempts
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012visitaudience'
down_revision: str | None = '0011uploadattempts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Counted again from the visits kept: buyers by their account's role, anonymous visitors by
# their key (a hash of address and browser). Past bot views cannot be told apart (the
# User-Agent was never stored), so they stay among the anonymous views.
_SAME_DAY = (
    "v.kind = 'booth' AND v.booth_id = booth_visit_days.booth_id "
    "AND v.day = booth_visit_days.day"
)
_RECOUNT = (
    "UPDATE booth_visit_days SET "
    "visits = (SELECT count(*) FROM visits v JOIN users u ON u.id = v.user_id "
    f"WHERE {_SAME_DAY} AND u.role = 'buyer'), "
    "anonymous_views = (SELECT count(*) FROM visits v "
    f"WHERE {_SAME_DAY} AND v.visitor_key LIKE 'h:%')"
)


def upgrade() -> None:
    with op.batch_alter_table('booth_visit_days', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('anonymous_views', sa.Integer(), server_default='0', nullable=False)
        )
    op.execute(_RECOUNT)


def downgrade() -> None:
    # Back to every counted visitor in ``visits``, as before.
    op.execute(
        "UPDATE booth_visit_days SET visits = (SELECT count(*) FROM visits v "
        f"WHERE {_SAME_DAY})"
    )
    with op.batch_alter_table('booth_visit_days', schema=None) as batch_op:
        batch_op.drop_column('anonymous_views')
