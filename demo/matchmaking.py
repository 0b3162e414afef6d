"""Matchmaking in ``fair demo``: the buyers' standing sourcing needs (in their languages:
Thai, Chinese, Vietnamese, Japanese, English), so that the fairs recommend booths to them and
the organizers' console has matches; and the open day's meeting proposals in each state
(open, accepted and booked, declined, expired), by the organizers and by exhibitors. All
through the services production uses; the data is ``demo/data/matchmaking.toml``.

The past year's matched meetings (booked from a recommendation, an invitation or a proposal)
are part of the history (``demo.meetings``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, BoothStatus
from demo.data import MATCHMAKING, DemoProposal
from fair.accounts.models import User
from fair.config import Settings
from fair.errors import DomainError
from fair.fairs.models import Fair
from fair.schemas import parse
from matchmaking import proposals, service
from matchmaking.models import Need, Proposal
from matchmaking.schemas import NeedCreate, ProposalAccept, ProposalCreate


async def _person(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def pair_at_fair(
    session: AsyncSession, fair: Fair, buyer_email: str, exhibitor_email: str
) -> tuple[User, User, Booth] | None:
    """A demo buyer, a demo exhibitor and the exhibitor's approved booth at ``fair``; None
    when one of them is not in the database (a demo loaded before they were added)."""
    buyer = await _person(session, buyer_email)
    owner = await _person(session, exhibitor_email)
    if buyer is None or owner is None:
        return None
    booth = await session.scalar(
        select(Booth).where(
            Booth.fair_id == fair.id,
            Booth.owner_id == owner.id,
            Booth.status == BoothStatus.APPROVED,
        )
    )
    return None if booth is None else (buyer, owner, booth)


async def load_needs(session: AsyncSession) -> int:
    """The demo buyers' needs, for a buyer who has none yet; returns how many were added."""
    added = 0
    has_needs = set(await session.scalars(select(Need.buyer_id).distinct()))
    for item in MATCHMAKING.needs:
        buyer = await _person(session, item.buyer)
        if buyer is None or buyer.id in has_needs:
            continue
        body = item.model_dump(exclude={"buyer", "quantity"})
        if item.quantity:
            body["quantity"] = {"amount": item.quantity, "unit": "piece"}
        await service.create_need(session, actor=buyer, data=parse(NeedCreate, body))
        added += 1
    return added


async def _propose(
    session: AsyncSession,
    item: DemoProposal,
    fair: Fair,
    organizer: User,
    settings: Settings,
    now: datetime,
) -> Proposal | None:
    found = await pair_at_fair(session, fair, item.buyer, item.exhibitor)
    if found is None:
        return None
    buyer, owner, booth = found
    proposer = organizer if item.by == "organizer" else owner
    data = ProposalCreate(fair=fair.slug, buyer_id=buyer.id, booth_id=booth.id, note=item.note)
    made = now - timedelta(days=item.days_ago)
    proposal = await proposals.propose(
        session, actor=proposer, data=data, settings=settings, now=made
    )
    if item.state == "declined":
        await proposals.decline(
            session, actor=buyer, proposal_id=proposal.id, reason=item.reason, now=now
        )
    elif item.state == "accepted":
        if item.by == "organizer":
            await proposals.accept(
                session,
                actor=owner,
                proposal_id=proposal.id,
                data=ProposalAccept(),
                settings=settings,
                now=now,
            )
        offered = await proposals.offered_slots(
            session, proposal, buyer, zone=buyer.timezone, now=now
        )
        if offered:
            # The buyer's pick: the best time for both, else the first free one.
            slot = next((slot for slot, good in offered if good), offered[0][0])
            await proposals.accept(
                session,
                actor=buyer,
                proposal_id=proposal.id,
                data=ProposalAccept(start=slot.start, timezone=buyer.timezone),
                settings=settings,
                now=now,
            )
    return proposal


async def load_proposals(
    session: AsyncSession, *, fair: Fair, organizer: User, settings: Settings, now: datetime
) -> int:
    """The open day's proposals, when it has none yet; returns how many were made."""
    if await session.scalar(select(Proposal.id).where(Proposal.fair_id == fair.id).limit(1)):
        return 0
    made = 0
    for item in MATCHMAKING.proposals:
        try:
            async with session.begin_nested():
                if await _propose(session, item, fair, organizer, settings, now):
                    made += 1
        except DomainError:
            continue  # e.g. no time left at the booth: that proposal is left out

    await session.flush()
    return made
