"""Accounts: users with one role each, server-side sessions, login attempts."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from fair import clock
from fair.db import Base, new_id


class Role(enum.StrEnum):
    EXHIBITOR = "exhibitor"
    BUYER = "buyer"
    INTERPRETER = "interpreter"
    ORGANIZER = "organizer"
    STAFF = "staff"


SELF_SERVICE_ROLES = frozenset({Role.EXHIBITOR, Role.BUYER})

# A working day until the person says otherwise.
DAY_START = time(9)
DAY_END = time(18)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    company: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Languages a person can meet or interpret in, e.g. ["ja", "vi"].
    languages: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[str] = mapped_column(String(120), default="")  # in the company
    # The person's working day in their own time zone: "good for both" times fall inside
    # it (meetings/goodhours.py).
    day_start: Mapped[time] = mapped_column(default=DAY_START)
    day_end: Mapped[time] = mapped_column(default=DAY_END)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When the owner proved the address theirs (the mailed link); until then the account
    # may look around and set up, but books nothing, writes to no one and is mailed
    # nothing but that link (fair/accounts/verification.py).
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the person deleted the account: the row stays as an anonymous tombstone, so that
    # the meetings and booths that name it still count (fair/accounts/data.py).
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The company the person works for, loaded with the account: who may manage a booth is
    # decided from it on every request (booths.service.can_manage), without another await.
    membership: Mapped[CompanyMember | None] = relationship(
        lazy="selectin", uselist=False, passive_deletes=True
    )

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def company_id(self) -> str | None:
        return self.membership.company_id if self.membership is not None else None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class Session(Base):
    """A signed-in browser; the cookie holds a random token, the table only its hash.
    ``public_id`` names it in the device list and its URLs: the hash is never shown, so
    nothing derived from the cookie leaves the server."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class TokenPurpose(enum.StrEnum):
    VERIFY = "verify"
    RESET = "reset"
    EMAIL_CHANGE = "email_change"  # the row's ``email`` is the new address, to be confirmed


class AccountToken(Base):
    """A mailed one-time link (e-mail verification, password reset, e-mail change). Only the token's
    SHA-256 is kept; ``used_at`` makes it single-use in the database itself (one UPDATE
    that only a fresh, unexpired row passes). A reset asked for an unknown address is a
    row without ``user_id``: both answers cost the same writes, and nothing is mailed."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        Index("ix_account_tokens_purpose_email_at", "purpose", "email", "created_at"),
        Index("ix_account_tokens_purpose_address_at", "purpose", "address", "created_at"),
        Index("ix_account_tokens_purpose_user_at", "purpose", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    succeeded: Mapped[bool] = mapped_column(default=False)


class ApiToken(Base):
    """A personal access token for the JSON API (``Authorization: Bearer``). The secret is
    shown once, when made; the table keeps its SHA-256 and, to tell tokens apart in the
    list, its first characters. Revoking keeps the row (``revoked_at``): a revoked token
    is refused like an unknown one."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def expires_on(self) -> date:
        """The last day it works: it stops at the end of that day, UTC."""
        return (self.expires_at.astimezone(UTC) - timedelta(days=1)).date()


class DataExport(Base):
    """One "download my data" asked for: the job builds the zip under ``storage_key`` (a
    name derived from the secret key, so nobody guesses it) and mails a link that holds
    until ``expires_at``; the retention task then deletes the file. The rows themselves
    count the account's exports for the daily limit."""

    __tablename__ = "data_exports"
    __table_args__ = (Index("ix_data_exports_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    storage_key: Mapped[str | None] = mapped_column(String(200), default=None)
    size: Mapped[int] = mapped_column(default=0)
    ready_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class CompanyKind(enum.StrEnum):
    EXHIBITOR = "exhibitor"
    BUYER = "buyer"


class CompanyRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class Company(Base):
    """An exhibiting or buying organization. Its members share its booths and meetings; an
    organizer confirming its identity is what makes its name trusted (``confirmed_at``).
    ``name_key`` is the name folded, so the organizer sees two companies claiming one name."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("kind IN ('exhibitor', 'buyer')", name="kind_known"),
        Index("ix_companies_name_key", "name_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class CompanyMember(Base):
    """A person's place in a company: one company per person (``user_id`` is the key)."""

    __tablename__ = "company_members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'member')", name="role_known"),
        Index("ix_company_members_company_id", "company_id", "joined_at"),
    )

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=CompanyRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Loaded with the account (``User.membership``): its name and mark go on every page.
    company: Mapped[Company] = relationship(lazy="selectin")


# The options of a signed-in account's look-up (a session or an API token, on every
# request): its membership and company joined in, one statement where the relationships'
# own "selectin" loading would take three.
WITH_COMPANY = (joinedload(User.membership).joinedload(CompanyMember.company),)


class CompanyInvitation(Base):
    """A colleague invited into a company by e-mail. As with ``AccountToken``, the link's
    token is the HMAC of the row's id and only its SHA-256 is kept; ``used_at`` makes it
    single-use in one UPDATE."""

    __tablename__ = "company_invitations"
    __table_args__ = (
        Index("ix_company_invitations_company_at", "company_id", "created_at"),
        Index("ix_company_invitations_inviter_at", "invited_by", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default=CompanyRole.MEMBER)
    invited_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
