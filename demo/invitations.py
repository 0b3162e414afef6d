"""The demo's fair for admitted buyers only: the programme's fair two months ahead, to which
the organizer invited buyers. Two demo buyers accepted (they are admitted and may book once
its hours are out), three more are waiting: addresses with no account yet, in their own
languages. Nothing is mailed: "Send again" on the fair's invitations page mails a link."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from demo import data as demo_data
from fair.accounts.models import User
from fair.accounts.tokens import digest
from fair.config import Settings
from fair.db import new_id
from fair.fairs.models import Fair, FairBuyer
from fair.invitations.links import link_token
from fair.invitations.models import FairInvitation

# (e-mail, name, company, country, language): invited, not yet answered.
WAITING = (
    ("somchai@siam-kitchenware.example", "Somchai Wongsakul", "Siam Kitchenware", "TH", "th"),
    ("chen.jie@hangzhou-living.example", "陈洁", "杭州生活家居", "CN", "zh_Hans"),
    ("minh.tran@danang-retail.example", "Trần Văn Minh", "Đà Nẵng Retail", "VN", "vi"),
)
ACCEPTED = 2  # the first demo buyers


async def load_invitations(
    session: AsyncSession, *, fair: Fair, organizer: User, now: datetime, settings: Settings
) -> int:
    """Make ``fair`` one for admitted buyers with its invitations; nothing when it has some
    already (the demo loaded before). Returns how many it made."""
    if await session.scalar(select(FairInvitation.id).where(FairInvitation.fair_id == fair.id)):
        return 0
    fair.buyer_admission = "vetted"
    made = 0
    term = timedelta(days=settings.invitation_days)
    for buyer in demo_data.BUYERS[:ACCEPTED]:
        user = await session.scalar(select(User).where(User.email == buyer.email))
        if user is None:
            continue
        sent = now - timedelta(days=3)
        invitation = _invitation(
            buyer.email, user.name, user.company, user.country, user.locale, fair, organizer, sent
        )
        invitation.expires_at = sent + term
        invitation.accepted_at, invitation.accepted_by = now - timedelta(days=2), user.id
        invitation.token_hash = digest(link_token(invitation, settings.secret_key))
        session.add(invitation)
        session.add(
            FairBuyer(
                fair_id=fair.id,
                user_id=user.id,
                status="approved",
                requested_at=invitation.accepted_at,
                decided_at=invitation.accepted_at,
                decided_by=organizer.id,
            )
        )
        made += 1
    for email, name, company, country, language in WAITING:
        sent = now - timedelta(days=1)
        invitation = _invitation(email, name, company, country, language, fair, organizer, sent)
        invitation.expires_at = sent + term
        invitation.token_hash = digest(link_token(invitation, settings.secret_key))
        session.add(invitation)
        made += 1
    await session.flush()
    return made


def _invitation(
    email: str,
    name: str,
    company: str,
    country: str,
    locale: str,
    fair: Fair,
    organizer: User,
    sent: datetime,
) -> FairInvitation:
    return FairInvitation(
        id=new_id(),
        email=email,
        role="buyer",
        fair_id=fair.id,
        name=name,
        company=company,
        country=country,
        locale=locale,
        invited_by=organizer.id,
        created_at=sent,
        sent_at=sent,
        sends=1,
    )
