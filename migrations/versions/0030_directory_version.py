"""directory version: a fair's count of changes to what its directory shows

Revision ID: 0030directoryversion
Revises: 0029conversationfiles
Create Date: 2026-12-07 11:00:00

The directory API keeps each search's answer per fair and version (booths/directory_cache.py).
The database counts the changes itself, so no write path (the API, the review, the media
job, the demo, a copy of last year's booth, an operator's SQL) can forget to: every insert,
update or delete of a booth, product, picture or tag adds one to its fair's
``directory_version``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030directoryversion"
down_revision: str | None = "0029conversationfiles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows belong to a booth, beside the booths themselves.
BOOTH_PARTS = ("products", "media", "booth_tags")
BUMP = "UPDATE fairs SET directory_version = directory_version + 1"

_POSTGRES = [
    f"""CREATE FUNCTION directory_changed_by_booth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {BUMP} WHERE id = OLD.fair_id;
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.fair_id IS DISTINCT FROM OLD.fair_id) THEN
    {BUMP} WHERE id = NEW.fair_id;
  END IF;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION directory_changed_by_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {BUMP} WHERE id = (SELECT fair_id FROM booths WHERE id = OLD.booth_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.booth_id IS DISTINCT FROM OLD.booth_id) THEN
    {BUMP} WHERE id = (SELECT fair_id FROM booths WHERE id = NEW.booth_id);
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER directory_version AFTER INSERT OR UPDATE OR DELETE ON booths "
    "FOR EACH ROW EXECUTE FUNCTION directory_changed_by_booth()",
    *(
        f"CREATE TRIGGER directory_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION directory_changed_by_part()"
        for table in BOOTH_PARTS
    ),
]


def _sqlite() -> list[str]:
    booth = "(SELECT fair_id FROM booths WHERE id = {row}.booth_id)"
    statements = [
        f"CREATE TRIGGER directory_version_booths_insert AFTER INSERT ON booths BEGIN "
        f"{BUMP} WHERE id = new.fair_id; END",
        f"CREATE TRIGGER directory_version_booths_update AFTER UPDATE ON booths BEGIN "
        f"{BUMP} WHERE id IN (old.fair_id, new.fair_id); END",
        f"CREATE TRIGGER directory_version_booths_delete AFTER DELETE ON booths BEGIN "
        f"{BUMP} WHERE id = old.fair_id; END",
    ]
    for table in BOOTH_PARTS:
        old, new = booth.format(row="old"), booth.format(row="new")
        statements += [
            f"CREATE TRIGGER directory_version_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"{BUMP} WHERE id = {new}; END",
            f"CREATE TRIGGER directory_version_{table}_update AFTER UPDATE ON {table} BEGIN "
            f"{BUMP} WHERE id IN ({old}, {new}); END",
            f"CREATE TRIGGER directory_version_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"{BUMP} WHERE id = {old}; END",
        ]
    return statements


def upgrade() -> None:
    # A column added in place (no table rebuild on SQLite: rows reference fairs).
    op.add_column(
        "fairs",
        sa.Column("directory_version", sa.Integer(), nullable=False, server_default="0"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _sqlite():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("booths", *BOOTH_PARTS):
            op.execute(f"DROP TRIGGER IF EXISTS directory_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS directory_changed_by_part()")
        op.execute("DROP FUNCTION IF EXISTS directory_changed_by_booth()")
    else:
        for table in ("booths", *BOOTH_PARTS):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS directory_version_{table}_{event}")
    # SQLite 3.35+ drops a column in place.
    op.drop_column("fairs", "directory_version")
