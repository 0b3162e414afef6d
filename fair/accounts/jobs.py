"""The accounts' jobs: the mailed links (verification, password reset, e-mail change), the
notice of an e-mail change to the old address, the welcome mail, and building a "download my
data" archive."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, resources
from fair.accounts import archive, personal
from fair.accounts.models import (
    AccountToken,
    Company,
    CompanyInvitation,
    DataExport,
    TokenPurpose,
    User,
)
from fair.accounts.tokens import token_of
from fair.i18n import gettext as _
from fair.i18n import use_language
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render


def may_mail(user: User | None) -> bool:
    """Whether the platform may mail this account anything beyond its verification link:
    an address nobody has proved theirs may be someone else's, typed in by a stranger."""
    return user is not None and user.is_active and user.verified


async def send_welcome_mail(ctx: dict[str, Any], *, user_id: str) -> bool:
    """E-mail a new account its welcome, in the account's language, once the address is
    confirmed (it names the person, as they typed their name). Once per user."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"welcome:{user_id}"

    async def effect(session: AsyncSession) -> None:
        user = await session.get(User, user_id)
        if user is None or not may_mail(user):
            return
        with use_language(user.locale):
            subject = _("Welcome to Kakehashi")
            text = render("mail/welcome.txt", user=user, base_url=settings.base_url)
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_welcome_mail", effect)


# Where the e-mail change link leads: a page of the account, signed in.
EMAIL_CHANGE_PATH = "/account/email/"

# Where each kind of link leads, and its mail's subject and text.
LINKS = {
    TokenPurpose.VERIFY: ("/verify/", "mail/verify.txt"),
    TokenPurpose.RESET: ("/password-reset/", "mail/password_reset.txt"),
}


async def send_account_link(ctx: dict[str, Any], *, token_id: str) -> bool:
    """Mail a one-time link to the address it was made for. Nothing for a reset asked for
    an unknown address (the row has no account), a link that has expired or been used
    meanwhile, an address the account no longer has, or a verification no longer needed.
    The mail holds no text the account's holder wrote: before verification, whoever typed
    the address may be a stranger."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"account-link:{token_id}"

    async def effect(session: AsyncSession) -> None:
        row = await session.get(AccountToken, token_id)
        user = await session.get(User, row.user_id) if row and row.user_id else None
        if row is None or user is None or not user.is_active or user.email != row.email:
            return
        if row.used_at is not None or row.expires_at <= clock.now():
            return
        purpose = TokenPurpose(row.purpose)
        if purpose == TokenPurpose.VERIFY and user.verified:
            return
        path, template = LINKS[purpose]
        link = settings.base_url + path + token_of(row.id, row.purpose, settings.secret_key)
        minutes = round((row.expires_at - row.created_at).total_seconds() / 60)
        with use_language(user.locale):
            subject = (
                _("Confirm your e-mail address for Kakehashi")
                if purpose == TokenPurpose.VERIFY
                else _("Reset your Kakehashi password")
            )
            text = render(template, link=link, hours=max(1, minutes // 60), minutes=minutes)
        await mailer.send(
            build_message(settings, key=key, to=row.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_account_link", effect)


async def send_email_change_link(ctx: dict[str, Any], *, token_id: str) -> bool:
    """Mail the link that moves an account to a new address, to that new address. Nothing
    when the link has expired or been used meanwhile, or the account has gone. Like the
    verification link, it holds no text the account's holder wrote: the address is theirs
    to prove, and may be anyone's."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"email-change:{token_id}"

    async def effect(session: AsyncSession) -> None:
        row = await session.get(AccountToken, token_id)
        user = await session.get(User, row.user_id) if row and row.user_id else None
        if row is None or user is None or not user.is_active:
            return
        if row.used_at is not None or row.expires_at <= clock.now():
            return
        link = (
            settings.base_url
            + EMAIL_CHANGE_PATH
            + token_of(row.id, row.purpose, settings.secret_key)
        )
        hours = max(1, round((row.expires_at - row.created_at).total_seconds() / 3600))
        with use_language(user.locale):
            subject = _("Confirm your new e-mail address for Kakehashi")
            text = render("mail/email_change.txt", link=link, hours=hours)
        await mailer.send(
            build_message(settings, key=key, to=row.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_email_change_link", effect)


async def send_email_change_notice(ctx: dict[str, Any], *, token_id: str, to: str) -> bool:
    """Tell the address an account had when a change was asked for (``to``) that someone
    asked to move the account to another address, and what to do if it was not its owner.
    Nothing when the account has gone or may not be mailed."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"email-change-notice:{token_id}"

    async def effect(session: AsyncSession) -> None:
        row = await session.get(AccountToken, token_id)
        user = await session.get(User, row.user_id) if row and row.user_id else None
        if row is None or user is None or not may_mail(user):
            return
        with use_language(user.locale):
            subject = _("Someone asked to change your Kakehashi e-mail address")
            text = render(
                "mail/email_change_notice.txt",
                new_email=row.email,
                base_url=settings.base_url,
            )
        await mailer.send(
            build_message(settings, key=key, to=to, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_email_change_notice", effect)


# Where the mailed "download my data" link leads: ``<path><export id>/<token>``.
EXPORT_PATH = "/account/export/"


async def build_data_export(ctx: dict[str, Any], *, export_id: str) -> bool:
    """Gather the account's data from every package into a zip (``account.json`` and the
    files it uploaded), store it privately and mail the owner a link that holds for
    ``data_export_hours``. Nothing for an account deleted or closed meanwhile. A retry
    writes the same file again (its name comes from the export's id)."""
    res = resources.of_job(ctx)
    settings, mailer, storage = res.settings, res.mailer, res.storage
    key = f"data-export:{export_id}"

    async def effect(session: AsyncSession) -> None:
        row = await session.get(DataExport, export_id)
        user = await session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or not may_mail(user):
            return
        now = clock.now()
        part = await personal.gather(session, user)
        part.sections = {"exported_at": now, **part.sections}
        with use_language(user.locale):
            readme = _(
                "This archive holds what Kakehashi keeps about your account: account.json "
                "(your profile, sign-ins, meetings, messages, booths and needs) and, in the "
                "files folder, the files you uploaded."
            )
        staged = storage.staging_path()
        try:
            await archive.write_archive(staged, part, storage=storage, readme=readme)
            size = staged.stat().st_size
            stored = archive.storage_key(row.id, settings.secret_key)
            await storage.commit(staged, stored)
        finally:
            staged.unlink(missing_ok=True)
        row.storage_key, row.size, row.ready_at = stored, size, now
        row.expires_at = now + timedelta(hours=settings.data_export_hours)
        link = (
            settings.base_url
            + EXPORT_PATH
            + f"{row.id}/{archive.link_token(row.id, settings.secret_key)}"
        )
        with use_language(user.locale):
            subject = _("Your Kakehashi data is ready to download")
            text = render(
                "mail/data_export.txt", user=user, link=link, hours=settings.data_export_hours
            )
        await mailer.send(
            build_message(settings, key=key, to=user.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "build_data_export", effect)


# Where a company invitation's link leads: ``<path><token>``.
INVITATION_PATH = "/invitations/"
# The purpose a company invitation's token is signed for (tokens.token_of).
INVITATION_PURPOSE = "company-invitation"


async def send_company_invitation(ctx: dict[str, Any], *, invitation_id: str) -> bool:
    """Mail a company invitation's link to the invited address, in the invitee's language
    when they have an account, else in the inviter's. Nothing when it was used or has
    expired meanwhile, or the inviter may no longer be mailed for (closed, unconfirmed)."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"company-invitation:{invitation_id}"

    async def effect(session: AsyncSession) -> None:
        row = await session.get(CompanyInvitation, invitation_id)
        if row is None or row.used_at is not None or row.expires_at <= clock.now():
            return
        inviter = await session.get(User, row.invited_by) if row.invited_by else None
        company = await session.get(Company, row.company_id)
        if company is None or not may_mail(inviter):
            return
        assert inviter is not None
        invitee = await session.scalar(select(User).where(User.email == row.email))
        link = (
            settings.base_url
            + INVITATION_PATH
            + token_of(row.id, INVITATION_PURPOSE, settings.secret_key)
        )
        days = max(1, round((row.expires_at - row.created_at).total_seconds() / 86400))
        with use_language(invitee.locale if invitee else inviter.locale):
            subject = _("%(company)s invites you to Kakehashi") % {"company": company.name}
            text = render(
                "mail/company_invitation.txt",
                inviter=inviter.name,
                company=company.name,
                link=link,
                days=days,
            )
        await mailer.send(
            build_message(settings, key=key, to=row.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, "send_company_invitation", effect)


JOBS = (
    send_company_invitation,
    send_welcome_mail,
    send_account_link,
    send_email_change_link,
    send_email_change_notice,
    build_data_export,
)
