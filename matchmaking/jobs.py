"""Matchmaking's jobs: the mails of meeting proposals and their expiry, through the outbox.

A mail is keyed by proposal, event, recipient and the moment of the change, so a retry
sends nothing twice; the expiry runs at the proposal's ``expires_at`` and is keyed by the
proposal alone. Mails go only to addresses their owners have confirmed (``may_mail``), in
each person's language and time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock, outbox, resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.fairs.models import Fair
from fair.i18n import format_when, pick_text, territory_name, use_language
from fair.i18n import gettext as _
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render
from matchmaking.models import Proposal, ProposalKind, ProposalStatus

EVENTS = ("received", "accepted", "declined", "expired", "time_gone")


async def queue_mail(
    session: AsyncSession, proposal: Proposal, user_id: str, event: str, now: datetime
) -> None:
    """One mail to ``user_id`` about ``event``, in the caller's transaction."""
    stamp = now.isoformat()
    await outbox.enqueue(
        session,
        send_proposal_mail,
        key=f"proposal-mail:{proposal.id}:{event}:{user_id}:{stamp}",
        proposal_id=proposal.id,
        user_id=user_id,
        event=event,
        stamp=stamp,
    )


async def queue_expiry(session: AsyncSession, proposal: Proposal) -> None:
    await outbox.enqueue(
        session,
        expire_proposal,
        key=f"proposal-expiry:{proposal.id}",
        run_at=proposal.expires_at,
        proposal_id=proposal.id,
    )


def buyer_label(buyer: User) -> str:
    """The buyer as an exhibitor meets them: name, company and country, never the e-mail."""
    details = [part for part in (buyer.company, territory_name(buyer.country or "")) if part]
    return f"{buyer.name} ({', '.join(details)})" if details else buyer.name


def _subject(event: str, values: dict[str, str]) -> str:
    subjects = {
        "received": _("Meeting proposal: %(other)s"),
        "accepted": _("Meeting proposal accepted: %(buyer)s and %(exhibitor)s"),
        "declined": _("Meeting proposal declined: %(buyer)s and %(exhibitor)s"),
        "expired": _("Meeting proposal expired: %(buyer)s and %(exhibitor)s"),
        "time_gone": _("Please choose another time: %(exhibitor)s"),
    }
    return subjects[event] % values


def _lead(event: str, proposal: Proposal, user: User, values: dict[str, str]) -> str:
    """The mail's first sentence, naming the other side (plain text)."""
    if event == "received":
        if user.id != proposal.buyer_id:
            return (
                _("The organizers propose a video meeting between you and %(buyer)s in %(fair)s.")
                % values
            )
        if proposal.kind == ProposalKind.EXHIBITOR:
            return _("%(exhibitor)s invites you to a video meeting in %(fair)s.") % values
        return (
            _("The organizers propose a video meeting between you and %(exhibitor)s in %(fair)s.")
            % values
        )
    lines = {
        "accepted": _(
            "%(buyer)s and %(exhibitor)s accepted the meeting you proposed; "
            "it is booked for %(when)s."
        ),
        "declined": _("The meeting you proposed between %(buyer)s and %(exhibitor)s was declined."),
        "expired": _(
            "The meeting you proposed between %(buyer)s and %(exhibitor)s was not accepted "
            "in time and has expired."
        ),
        "time_gone": _(
            "The time you chose for your meeting with %(exhibitor)s has just been taken. "
            "Please choose another time."
        ),
    }
    return lines[event] % values


async def send_proposal_mail(
    ctx: dict[str, Any], *, proposal_id: str, user_id: str, event: str, stamp: str
) -> bool:
    """Mail one person about a proposal's ``event`` in their language; nothing for an
    address not confirmed, or a proposal gone."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"proposal-mail:{proposal_id}:{event}:{user_id}:{stamp}"

    async def effect(session: AsyncSession) -> None:
        proposal = await session.get(Proposal, proposal_id)
        user = await session.get(User, user_id)
        if proposal is None or not may_mail(user):
            return
        booth = await session.get(Booth, proposal.booth_id)
        fair = await session.get(Fair, proposal.fair_id)
        buyer = await session.get(User, proposal.buyer_id)
        if booth is None or fair is None or buyer is None:
            return
        if event == "received" and proposal.status != ProposalStatus.OPEN:
            return  # answered or expired before the mail went out: nothing to ask
        with use_language(user.locale):
            exhibitor = pick_text(booth.company)[0]
            values = {
                "buyer": buyer_label(buyer),
                "exhibitor": exhibitor,
                "fair": pick_text(fair.title)[0],
                "other": exhibitor if user.id == buyer.id else buyer_label(buyer),
                "when": format_when(proposal.starts_at, user.timezone)
                if proposal.starts_at
                else "",
            }
            context = {
                "user": user,
                "lead": _lead(event, proposal, user, values),
                "note": proposal.note if event == "received" else "",
                "reason": proposal.decline_reason if event == "declined" else "",
                "answer_by": format_when(proposal.expires_at, user.timezone)
                if event in {"received", "time_gone"}
                else "",
                "url": f"{settings.base_url}/proposals#proposal-{proposal.id}",
            }
            message = build_message(
                settings,
                key=key,
                to=user.email,
                subject=_subject(event, values),
                text=render("mail/proposal.txt", **context),
            )
        await mailer.send(message, key=key)

    return await run_once(res.sessionmaker, key, "send_proposal_mail", effect)


async def expire_proposal(ctx: dict[str, Any], *, proposal_id: str) -> bool:
    """At its time, an open proposal expires and its proposer is told; before its time
    (the relay ran early) it comes back then; an answered one is left alone."""
    res = resources.of_job(ctx)
    key = f"proposal-expiry:{proposal_id}"
    now = clock.now()
    async with res.sessionmaker() as session, session.begin():
        proposal = await session.get(Proposal, proposal_id)
        if proposal is None:
            return False
        if proposal.status == ProposalStatus.OPEN and now < proposal.expires_at:
            await outbox.enqueue(
                session,
                expire_proposal,
                key=f"{key}:at-{proposal.expires_at.isoformat()}",
                run_at=proposal.expires_at,
                proposal_id=proposal_id,
            )
            return False

    async def effect(session: AsyncSession) -> None:
        proposal = await session.get(Proposal, proposal_id)
        if proposal is None or proposal.status not in {
            ProposalStatus.OPEN,
            ProposalStatus.EXPIRED,
        }:
            return
        proposal.status, proposal.updated_at = ProposalStatus.EXPIRED, now
        if proposal.proposed_by:
            await queue_mail(session, proposal, proposal.proposed_by, "expired", now)

    return await run_once(res.sessionmaker, key, "expire_proposal", effect)


JOBS = (send_proposal_mail, expire_proposal)
