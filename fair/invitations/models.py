"""Organizers' invitations of exhibitors and buyers to a fair, by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fair import clock
from fair.db import Base, new_id

INVITABLE_ROLES = ("exhibitor", "buyer")


class FairInvitation(Base):
    """One address invited to one fair with a role. Inviting the address again re-sends
    this row (a new link: ``sends`` is part of what the token is made from, so the older
    mail's link stops working). Only the token's SHA-256 is kept, as for account links
    (fair/accounts/tokens.py): the database alone gives no working link."""

    __tablename__ = "fair_invitations"
    __table_args__ = (
        UniqueConstraint("fair_id", "email"),
        CheckConstraint("role IN ('exhibitor', 'buyer')", name="role_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # folded (fair.accounts.normalize_email)
    role: Mapped[str] = mapped_column(String(16))
    fair_id: Mapped[str] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    invited_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    sends: Mapped[int] = mapped_column(default=1)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    def status(self, now: datetime) -> str:
        """pending, accepted, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.accepted_at is not None:
            return "accepted"
        if self.expires_at <= now:
            return "expired"
        return "pending"
