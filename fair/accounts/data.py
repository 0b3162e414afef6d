"""A person's rights over their data: "download my data" (an archive built by a job and
mailed as a link only its owner can use) and "delete my account" (personal data erased, the
account kept as an anonymous tombstone so that the meetings and booths naming it still
count: the conversion report does not change)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox, ratelimit
from fair.accounts import archive, companies, personal, responses
from fair.accounts.errors import (
    ExportExpired,
    ExportNotReady,
    ExportRateLimited,
    InvalidCredentials,
    WrongPassword,
)
from fair.accounts.jobs import build_data_export
from fair.accounts.models import (
    AccountToken,
    ApiToken,
    DataExport,
    LoginAttempt,
    Session,
    User,
)
from fair.accounts.personal import DataPart, PersonalData
from fair.accounts.service import authenticate, require_user, require_verified
from fair.config import Settings
from fair.errors import NotFound
from fair.invitations.models import FairInvitation
from fair.storage import Storage
from fair.webhooks.models import WebhookEndpoint

EXPORT_WINDOW = timedelta(days=1)
# What a deleted account is called wherever it still shows (a booth's owner, a meeting's
# buyer): a stored name, as every name is.
DELETED_NAME = "Deleted account"
# ".invalid" is reserved (RFC 2606): such an address never reaches a mailbox.
DELETED_DOMAIN = "deleted.invalid"


# Download my data ---------------------------------------------------------------------------


async def request_export(session: AsyncSession, user: User | None, *, settings: Settings) -> None:
    """Ask for an archive of the signed-in account's data: at most ``data_exports_per_day``
    in a day (``ExportRateLimited``, 429). Only an account whose address is confirmed
    (403 before): the link goes by mail.

    Side effects: a ``DataExport`` row; queues ``build_data_export``, which mails the link."""
    user = require_verified(user)
    now = clock.now()
    allowed_at = await ratelimit.blocked_until(
        session,
        DataExport.created_at,
        DataExport.user_id == user.id,
        limit=settings.data_exports_per_day,
        window=EXPORT_WINDOW,
        now=now,
    )
    if allowed_at is not None:
        raise ExportRateLimited(
            limit=settings.data_exports_per_day,
            retry_after=ratelimit.seconds_until(allowed_at, now),
        )
    row = DataExport(user_id=user.id, created_at=now)
    session.add(row)
    await session.flush()
    await outbox.enqueue(session, build_data_export, key=f"data-export:{row.id}", export_id=row.id)


@dataclass(frozen=True)
class ExportDownload:
    storage_key: str
    filename: str


async def export_download(
    session: AsyncSession,
    user: User | None,
    export_id: str,
    token: str,
    *,
    settings: Settings,
    storage: Storage,
) -> ExportDownload:
    """The archive behind a mailed link, for the account it was made for only: a link of
    another account, or forged, is not found (404, whoever asks); one past its hours is
    gone (410), as is its file."""
    user = require_verified(user)
    row = await session.get(DataExport, export_id[:32])
    expected = archive.link_token(row.id, settings.secret_key) if row is not None else ""
    # As bytes: a str holding anything but ASCII would make compare_digest raise.
    if (
        row is None
        or row.user_id != user.id
        or not hmac.compare_digest(expected.encode(), token.encode())
    ):
        raise NotFound()
    if row.expires_at is not None and row.expires_at <= clock.now():
        raise ExportExpired()
    if row.storage_key is None or not await storage.exists(row.storage_key):
        raise ExportNotReady()
    day = row.created_at.date().isoformat()
    return ExportDownload(row.storage_key, f"kakehashi-data-{day}.zip")


# Delete my account ---------------------------------------------------------------------------


async def delete_account(
    session: AsyncSession,
    user: User | None,
    *,
    password: str,
    address: str,
    settings: Settings,
    storage: Storage,
) -> None:
    """Delete the signed-in account, given its password (checked like a sign-in:
    rate-limited, a failure recorded, ``WrongPassword`` and nothing else changed).

    Each package erases its part first (``personal.erase``): future meetings are cancelled
    through the usual path, so the other side is mailed; needs, chat text and notes go.
    Then the account becomes a tombstone: named "Deleted account", an address that reaches
    nobody, a password nothing matches, closed. Its country and language stay: they are
    the conversion report's groups, and alone name no one; so the meetings it had still
    count where they counted. Every session, API token, mailed link, export (and its file)
    and webhook endpoint of the account goes, and the sign-in attempts kept under its
    address."""
    user = require_user(user)
    try:
        await authenticate(
            session, email=user.email, password=password, address=address, settings=settings
        )
    except InvalidCredentials:
        raise WrongPassword(field="password") from None
    await personal.erase(session, user)
    await companies.leave_for_good(session, user)
    old_email = user.email
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}@{DELETED_DOMAIN}"
    # Not an argon2 hash: verifying any password against it fails.
    user.password_hash = "deleted:" + secrets.token_hex(16)
    user.company = ""
    user.position = ""
    user.languages = []
    user.is_active = False
    user.email_verified_at = None
    user.deleted_at = clock.now()
    exports = (await session.scalars(select(DataExport).where(DataExport.user_id == user.id))).all()
    for row in exports:
        if row.storage_key is not None:
            await storage.delete(row.storage_key)
    await session.execute(delete(DataExport).where(DataExport.user_id == user.id))
    await session.execute(delete(LoginAttempt).where(LoginAttempt.email == old_email))
    await session.flush()


# The core's own part ---------------------------------------------------------------------


async def _export_core(session: AsyncSession, user: User) -> DataPart:
    now = clock.now()
    sessions = await session.scalars(
        select(Session).where(Session.user_id == user.id).order_by(Session.created_at)
    )
    tokens = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    )
    attempts = await session.scalars(
        select(LoginAttempt).where(LoginAttempt.email == user.email).order_by(LoginAttempt.at)
    )
    endpoints = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.created_by == user.id)
        .order_by(WebhookEndpoint.created_at)
    )
    profile = responses.User.of(user).model_dump(mode="json")
    return DataPart(
        sections={
            "account": {
                **profile,
                "created_at": user.created_at,
                "email_verified_at": user.email_verified_at,
            },
            # Where and when the account was signed in; never the cookies themselves.
            "sessions": [
                {
                    "id": row.public_id,
                    "created_at": row.created_at,
                    "last_seen_at": row.last_seen_at,
                    "expires_at": row.expires_at,
                    "user_agent": row.user_agent,
                    "address": row.address,
                }
                for row in sessions
            ],
            "sign_in_attempts": [
                {"at": row.at, "address": row.address, "succeeded": row.succeeded}
                for row in attempts
            ],
            # The tokens as the list shows them; never their secrets.
            "api_tokens": [
                responses.ApiToken.of(row, now).model_dump(mode="json") for row in tokens
            ],
            "webhook_endpoints": [
                {
                    "id": row.id,
                    "url": row.url,
                    "events": list(row.events),
                    "enabled": row.enabled,
                    "created_at": row.created_at,
                }
                for row in endpoints
            ],
        }
    )


async def _erase_core(session: AsyncSession, user: User) -> None:
    await session.execute(delete(Session).where(Session.user_id == user.id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    await session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.created_by == user.id))
    # Organizers' invitations of this address hold the person's name and company.
    await session.execute(delete(FairInvitation).where(FairInvitation.email == user.email))


CORE_PART = PersonalData(export=_export_core, erase=_erase_core)


async def count_exports(session: AsyncSession, user: User) -> int:
    """How many exports the account asked for in the last day (the account page says how
    many remain)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(DataExport)
            .where(
                DataExport.user_id == user.id,
                DataExport.created_at > clock.now() - EXPORT_WINDOW,
            )
        )
        or 0
    )
