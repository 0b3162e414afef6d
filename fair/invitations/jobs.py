"""The invitations' mails: the link to a new person (in the language the organizer chose
for them), and the notice to an account admitted at once (in the account's language)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.fairs.models import Fair
from fair.i18n import gettext as _
from fair.i18n import pick_text, use_language
from fair.invitations.links import PATH, link_token
from fair.invitations.models import FairInvitation
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render


def role_label(role: str) -> str:
    return _("an exhibitor") if role == "exhibitor" else _("a buyer")


async def send_fair_invitation(ctx: dict[str, Any], *, invitation_id: str, sends: int) -> bool:
    """Mail an invitation's link. Nothing when it was accepted, revoked, has expired or has
    been sent again meanwhile (that later mail carries the working link)."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"fair-invitation:{invitation_id}:{sends}"

    async def effect(session: AsyncSession) -> None:
        invitation = await session.get(FairInvitation, invitation_id)
        if invitation is None or invitation.sends != sends:
            return
        if invitation.status(clock.now()) != "pending":
            return
        fair = await session.get(Fair, invitation.fair_id)
        if fair is None:
            return
        # The page opens in the invitee's language too (and remembers it).
        token = link_token(invitation, settings.secret_key)
        link = f"{settings.base_url}{PATH}{token}?lang={invitation.locale}"
        days = max(1, round((invitation.expires_at - invitation.sent_at).total_seconds() / 86400))
        with use_language(invitation.locale):
            title = pick_text(fair.title)[0]
            subject = _("You are invited to %(fair)s on Kakehashi") % {"fair": title}
            text = render(
                "mail/fair_invitation.txt",
                invitation=invitation,
                title=title,
                role=role_label(invitation.role),
                link=link,
                days=days,
            )
        await mailer.send(
            build_message(settings, key=key, to=invitation.email, subject=subject, text=text),
            key=key,
        )

    return await run_once(res.sessionmaker, key, "send_fair_invitation", effect)


async def send_fair_admitted(ctx: dict[str, Any], *, invitation_id: str) -> bool:
    """Tell an account the organizers added it to a fair, in its own language."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"fair-admitted:{invitation_id}"

    async def effect(session: AsyncSession) -> None:
        invitation = await session.get(FairInvitation, invitation_id)
        if invitation is None or invitation.accepted_by is None:
            return
        user = await session.get(User, invitation.accepted_by)
        fair = await session.get(Fair, invitation.fair_id)
        if fair is None or user is None or not may_mail(user):
            return
        with use_language(user.locale):
            title = pick_text(fair.title)[0]
            subject = _("You have been added to %(fair)s") % {"fair": title}
            text = render(
                "mail/fair_admitted.txt",
                user=user,
                fair=fair,
                title=title,
                role=role_label(invitation.role),
                base_url=settings.base_url,
            )
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_fair_admitted", effect)


JOBS = (send_fair_invitation, send_fair_admitted)
