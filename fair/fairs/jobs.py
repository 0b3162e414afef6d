"""The fairs' jobs: telling a buyer the organizers' answer to their request."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fair import resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.fairs.models import Fair, FairBuyer
from fair.i18n import gettext as _
from fair.i18n import pick_text, use_language
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render


async def send_admission_mail(
    ctx: dict[str, Any], *, request_id: str, status: str, decided_at: str
) -> bool:
    """Mail the buyer the organizers' answer, in the buyer's language, unless the answer
    changed again before the mail went out (then that later answer's mail tells them)."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"admission:{request_id}:{status}:{decided_at}"

    async def effect(session: AsyncSession) -> None:
        request = await session.get(FairBuyer, request_id)
        if request is None or request.status != status or request.decided_at is None:
            return
        user = await session.get(User, request.user_id)
        fair = await session.get(Fair, request.fair_id)
        if fair is None or user is None or not may_mail(user):
            return  # an address not yet confirmed is mailed nothing but its link
        with use_language(user.locale):
            title = pick_text(fair.title)[0]
            subject = (
                _("You can book meetings at %(fair)s")
                if status == "approved"
                else _("Your request to join %(fair)s")
            ) % {"fair": title}
            text = render(
                "mail/admission.txt",
                user=user,
                fair=fair,
                title=title,
                status=status,
                base_url=settings.base_url,
            )
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_admission_mail", effect)


JOBS = (send_admission_mail,)
