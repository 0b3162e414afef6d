"""booth facts version: a number every write to a booth, its products, its tags or its
company's name changes, so the match engine keeps a fair's booths in memory and reads again
only the booths whose number moved (matchmaking.boothcache)

Revision ID: 0031boothfactsversion
Revises: 0030directoryversion
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031boothfactsversion"
down_revision: str | None = "0030directoryversion"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Triggers, not the app, move the number: every write path (the API, the review, a copy
# into another fair, the demo's load, a migration's SQL) moves it alike. The number is only
# ever compared for equality: PostgreSQL takes it from a sequence (never handed out twice,
# even by a transaction that rolls back), SQLite from random().
_CHILDREN = ("products", "booth_tags")

_POSTGRES = [
    "CREATE SEQUENCE booth_facts_version",
    """
CREATE FUNCTION booth_facts_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.facts_version := nextval('booth_facts_version');
    RETURN NEW;
END
$$""",
    "CREATE TRIGGER booth_facts_written BEFORE INSERT OR UPDATE ON booths "
    "FOR EACH ROW EXECUTE FUNCTION booth_facts_written()",
    # A product or a tag written: its booth's row is updated, and the trigger above moves
    # the number.
    """
CREATE FUNCTION booth_part_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE booths SET facts_version = facts_version WHERE id = OLD.booth_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE booths SET facts_version = facts_version WHERE id = NEW.booth_id;
    END IF;
    RETURN NULL;
END
$$""",
    *(
        f"CREATE TRIGGER {table}_facts_written AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION booth_part_written()"
        for table in _CHILDREN
    ),
    """
CREATE FUNCTION company_name_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE booths SET facts_version = facts_version WHERE company_id = NEW.id;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER company_facts_written AFTER UPDATE OF name_key ON companies "
    "FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key) "
    "EXECUTE FUNCTION company_name_written()",
]

_BUMP = "UPDATE booths SET facts_version = random() WHERE id = {}"
_SQLITE = [
    f"CREATE TRIGGER booth_facts_inserted AFTER INSERT ON booths BEGIN {_BUMP.format('NEW.id')}; END",
    # The trigger's own update sets a new number: it does not fire it again.
    "CREATE TRIGGER booth_facts_updated AFTER UPDATE ON booths "
    f"WHEN NEW.facts_version IS OLD.facts_version BEGIN {_BUMP.format('NEW.id')}; END",
    *(
        statement
        for table in _CHILDREN
        for statement in (
            f"CREATE TRIGGER {table}_facts_inserted AFTER INSERT ON {table} "
            f"BEGIN {_BUMP.format('NEW.booth_id')}; END",
            f"CREATE TRIGGER {table}_facts_updated AFTER UPDATE ON {table} "
            f"BEGIN {_BUMP.format('OLD.booth_id')}; {_BUMP.format('NEW.booth_id')}; END",
            f"CREATE TRIGGER {table}_facts_deleted AFTER DELETE ON {table} "
            f"BEGIN {_BUMP.format('OLD.booth_id')}; END",
        )
    ),
    "CREATE TRIGGER company_facts_updated AFTER UPDATE OF name_key ON companies "
    "WHEN OLD.name_key IS NOT NEW.name_key "
    "BEGIN UPDATE booths SET facts_version = random() WHERE company_id = NEW.id; END",
]
_SQLITE_TRIGGERS = [
    "booth_facts_inserted",
    "booth_facts_updated",
    *(
        f"{table}_facts_{event}"
        for table in _CHILDREN
        for event in ("inserted", "updated", "deleted")
    ),
    "company_facts_updated",
]


def upgrade() -> None:
    # A column added in place (no batch on SQLite: other tables reference booths).
    op.add_column(
        "booths",
        sa.Column("facts_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES:
            op.execute(statement)
        op.execute("UPDATE booths SET facts_version = facts_version")
    else:
        for statement in _SQLITE:
            op.execute(statement)
        op.execute("UPDATE booths SET facts_version = random()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER company_facts_written ON companies")
        for table in _CHILDREN:
            op.execute(f"DROP TRIGGER {table}_facts_written ON {table}")
        op.execute("DROP TRIGGER booth_facts_written ON booths")
        op.execute("DROP FUNCTION company_name_written()")
        op.execute("DROP FUNCTION booth_part_written()")
        op.execute("DROP FUNCTION booth_facts_written()")
        op.execute("DROP SEQUENCE booth_facts_version")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_column("booths", "facts_version")
