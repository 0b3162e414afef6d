"""Matchmaking's part of a person's data (``fair.accounts.personal``): a buyer's sourcing
needs and the meetings proposed to them or their booths. On deletion the needs go, and the
proposals still open are declined the usual way (the proposer is told)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock
from fair.accounts.models import User
from fair.accounts.personal import DataPart, PersonalData, columns
from matchmaking import proposals
from matchmaking.models import Need, Proposal, ProposalStatus


def _of(user: User) -> object:
    """The proposals naming the person as the buyer or as the booth's owner."""
    return or_(
        Proposal.buyer_id == user.id,
        Proposal.booth_id.in_(select(Booth.id).where(Booth.owner_id == user.id)),
    )


async def export(session: AsyncSession, user: User) -> DataPart:
    needs = await session.scalars(
        select(Need).where(Need.buyer_id == user.id).order_by(Need.created_at)
    )
    offered = await session.scalars(select(Proposal).where(_of(user)).order_by(Proposal.created_at))
    return DataPart(
        sections={
            "needs": [columns(need) for need in needs],
            "proposals": [columns(row, leave=("proposed_by",)) for row in offered],
        }
    )


async def erase(session: AsyncSession, user: User) -> None:
    """Open proposals the person is asked to answer are declined the usual way (the
    proposer is mailed); those their booth sent a buyer are closed with them, as nobody
    would meet the buyer; their needs go."""
    now = clock.now()
    still_open = (
        await session.execute(
            select(Proposal, Booth)
            .join(Booth, Booth.id == Proposal.booth_id)
            .where(_of(user), Proposal.status == ProposalStatus.OPEN, Proposal.expires_at > now)
            .order_by(Proposal.created_at)
        )
    ).all()
    for proposal, booth in still_open:
        if proposals.side_of(user, proposal, booth) is not None:
            await proposals.decline(
                session, actor=user, proposal_id=proposal.id, reason="", now=now
            )
        else:
            proposal.status, proposal.updated_at = ProposalStatus.DECLINED, now
    await session.execute(delete(Need).where(Need.buyer_id == user.id))
    await session.flush()


PART = PersonalData(export=export, erase=erase)
