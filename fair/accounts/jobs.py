"""The accounts' jobs: the welcome mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fair import resources
from fair.accounts.models import User
from fair.i18n import gettext as _
from fair.i18n import use_language
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render


async def send_welcome_mail(ctx: dict[str, Any], *, user_id: str) -> bool:
    """E-mail a new account its welcome, in the account's language. Once per user."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"welcome:{user_id}"

    async def effect(session: AsyncSession) -> None:
        user = await session.get(User, user_id)
        if user is None:
            return
        with use_language(user.locale):
            subject = _("Welcome to Kakehashi")
            text = render("mail/welcome.txt", user=user, base_url=settings.base_url)
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_welcome_mail", effect)


JOBS = (send_welcome_mail,)
