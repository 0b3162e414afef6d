"""companies with members: every exhibitor and buyer in a company of their own, booths
belonging to companies, colleagues invited by e-mail

Revision ID: 0024companies
Revises: 0023datarights
Create Date: 2026-12-07 04:40:00

Each existing exhibitor and buyer becomes the owner of a one-member company named from
their profile's company (or their e-mail address when it is empty), and each booth belongs
to its owner's company. The one-booth-per-company rule moves from the folded company name
(``booths.company_key``, whose unique constraint SQLite cannot drop in place: the key becomes
each booth's own id, so it never blocks) to a partial unique index on (fair, company) that a
rejected booth leaves.
"""

import re
import unicodedata
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fair.db

revision: str = '0024companies'
down_revision: str | None = '0023datarights'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status <> 'rejected'"
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def _name_key(name: str) -> str:
    # fair.accounts.companies.name_key as of this revision (a migration keeps its own copy).
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_PUNCTUATION.sub(" ", folded).split())[:200]


def upgrade() -> None:
    op.create_table('companies',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('confirmed_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('exhibitor', 'buyer')", name=op.f('ck_companies_kind_known')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_companies_confirmed_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies'))
    )
    op.create_index('ix_companies_name_key', 'companies', ['name_key'], unique=False)
    op.create_table('company_members',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('joined_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'member')", name=op.f('ck_company_members_role_known')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_members_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_company_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_company_members'))
    )
    op.create_index('ix_company_members_company_id', 'company_members', ['company_id', 'joined_at'], unique=False)
    op.create_table('company_invitations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by', sa.String(length=32), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', fair.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', fair.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_invitations_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_company_invitations_invited_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['used_by'], ['users.id'], name=op.f('fk_company_invitations_used_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_company_invitations_token_hash'))
    )
    op.create_index('ix_company_invitations_company_at', 'company_invitations', ['company_id', 'created_at'], unique=False)
    op.create_index('ix_company_invitations_inviter_at', 'company_invitations', ['invited_by', 'created_at'], unique=False)
    # In place, not in batch mode: on SQLite a batch rebuilds ``booths`` by dropping it,
    # which cascades to its products, media, meetings and report rows.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE booths ADD COLUMN company_id VARCHAR(32) "
            "CONSTRAINT fk_booths_company_id_companies REFERENCES companies (id)"
        )
    else:
        op.add_column('booths', sa.Column('company_id', sa.String(length=32), nullable=True))
        op.create_foreign_key(op.f('fk_booths_company_id_companies'), 'booths', 'companies', ['company_id'], ['id'])
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE meetings ADD COLUMN host_id VARCHAR(32) "
            "CONSTRAINT fk_meetings_host_id_users REFERENCES users (id)"
        )
    else:
        op.add_column('meetings', sa.Column('host_id', sa.String(length=32), nullable=True))
        op.create_foreign_key(op.f('fk_meetings_host_id_users'), 'meetings', 'users', ['host_id'], ['id'])
    _backfill()
    op.create_index(op.f('ix_booths_company_id'), 'booths', ['company_id'], unique=False)
    op.create_index('uq_booths_fair_id_company_id_live', 'booths', ['fair_id', 'company_id'], unique=True, postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))


def _backfill() -> None:
    """A one-member company for every exhibitor and buyer, its owner; each booth its
    owner's company, and its own id as the old key."""
    bind = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('email'), sa.column('role'), sa.column('company'), sa.column('country'), sa.column('created_at'))
    companies = sa.table('companies', sa.column('id'), sa.column('name'), sa.column('name_key'), sa.column('kind'), sa.column('country'), sa.column('created_at'))
    members = sa.table('company_members', sa.column('user_id'), sa.column('company_id'), sa.column('role'), sa.column('joined_at'))
    booths = sa.table('booths', sa.column('id'), sa.column('owner_id'), sa.column('company_id'), sa.column('company_key'))
    rows = bind.execute(
        sa.select(users.c.id, users.c.email, users.c.role, users.c.company, users.c.country, users.c.created_at)
        .where(users.c.role.in_(('exhibitor', 'buyer')))
    ).all()
    made = []
    joined = []
    for row in rows:
        company_id = uuid.uuid4().hex
        name = ' '.join((row.company or '').split())[:200] or row.email
        made.append({'id': company_id, 'name': name, 'name_key': _name_key(name), 'kind': row.role, 'country': row.country or '', 'created_at': row.created_at})
        joined.append({'user_id': row.id, 'company_id': company_id, 'role': 'owner', 'joined_at': row.created_at})
    if made:
        bind.execute(companies.insert(), made)
        bind.execute(members.insert(), joined)
    owners_company = (
        sa.select(members.c.company_id).where(members.c.user_id == booths.c.owner_id).scalar_subquery()
    )
    bind.execute(booths.update().values(company_id=owners_company, company_key=booths.c.id))
    # Every meeting is hosted by its booth's owner, who was its one exhibitor until now.
    meetings = sa.table('meetings', sa.column('booth_id'), sa.column('host_id'))
    owner = sa.select(booths.c.owner_id).where(booths.c.id == meetings.c.booth_id).scalar_subquery()
    bind.execute(meetings.update().values(host_id=owner))


def downgrade() -> None:
    op.drop_index('uq_booths_fair_id_company_id_live', table_name='booths', postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.drop_index(op.f('ix_booths_company_id'), table_name='booths')
    # The old key again: the company's folded name, or the booth's id where two booths of
    # one fair would share it (a company's rejected booth and its new one).
    bind = op.get_bind()
    booths = sa.table('booths', sa.column('id'), sa.column('fair_id'), sa.column('company_id'), sa.column('company_key'))
    companies = sa.table('companies', sa.column('id'), sa.column('name_key'))
    rows = bind.execute(
        sa.select(booths.c.id, booths.c.fair_id, companies.c.name_key)
        .join(companies, companies.c.id == booths.c.company_id)
    ).all()
    seen = set()
    for row in rows:
        key = (row.name_key or '')[:200]
        if not key or (row.fair_id, key) in seen:
            continue
        seen.add((row.fair_id, key))
        bind.execute(booths.update().where(booths.c.id == row.id).values(company_key=key))
    if bind.dialect.name == 'sqlite':
        op.execute("ALTER TABLE meetings DROP COLUMN host_id")
        op.execute("ALTER TABLE booths DROP COLUMN company_id")
    else:
        op.drop_constraint(op.f('fk_meetings_host_id_users'), 'meetings', type_='foreignkey')
        op.drop_column('meetings', 'host_id')
        op.drop_constraint(op.f('fk_booths_company_id_companies'), 'booths', type_='foreignkey')
        op.drop_column('booths', 'company_id')
    op.drop_index('ix_company_invitations_inviter_at', table_name='company_invitations')
    op.drop_index('ix_company_invitations_company_at', table_name='company_invitations')
    op.drop_table('company_invitations')
    op.drop_index('ix_company_members_company_id', table_name='company_members')
    op.drop_table('company_members')
    op.drop_index('ix_companies_name_key', table_name='companies')
    op.drop_table('companies')
