"""What an exhibitor may upload and keep: a rate per account, a storage quota per company,
and a small allowance for booths an organizer has not approved yet.

Sizes count stored blobs once, however many booths show them (copies of a booth share
them). A company is every booth of the same owner or the same company name (folded). Files
of an account's booths that are not approved count against the allowance unless an approved
booth of the company shows the same file (a copy of a reviewed booth is not new content).
The checks run before the body is read (is there room for one more file at all?) and again
with the file's real size before it is kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.errors import ApprovalNeeded, StorageQuotaFull, UploadRateLimited
from booths.models import Booth, BoothStatus, Media, UploadAttempt
from fair import clock
from fair.accounts.models import User
from fair.config import Settings

MB = 1024 * 1024


async def check_rate(session: AsyncSession, user: User, settings: Settings) -> None:
    """429 when the account started ``upload_max_per_account`` uploads in the window."""
    since = clock.now() - timedelta(minutes=settings.upload_window_minutes)
    started = await session.scalar(
        select(func.count())
        .select_from(UploadAttempt)
        .where(UploadAttempt.user_id == user.id, UploadAttempt.at >= since)
    )
    if (started or 0) >= settings.upload_max_per_account:
        raise UploadRateLimited(minutes=settings.upload_window_minutes)


def record_attempt(session: AsyncSession, user: User) -> None:
    session.add(UploadAttempt(user_id=user.id, at=clock.now()))


def _company(booth: Booth) -> ColumnElement[bool]:
    return or_(Booth.owner_id == booth.owner_id, Booth.company_id == booth.company_id)


def _blobs(where: ColumnElement[bool]) -> Any:
    """One row per stored blob (sha256, size) of the media matching ``where``."""
    return (
        select(Media.sha256, func.max(Media.size).label("size"))
        .join(Booth, Booth.id == Media.booth_id)
        .where(where)
        .group_by(Media.sha256)
        .subquery()
    )


async def _total(session: AsyncSession, where: ColumnElement[bool]) -> tuple[int, int]:
    """How many blobs, and how many bytes, the media matching ``where`` hold."""
    blobs = _blobs(where)
    row = (
        await session.execute(select(func.count(), func.coalesce(func.sum(blobs.c.size), 0)))
    ).one()
    return int(row[0]), int(row[1])


async def _holds(session: AsyncSession, where: ColumnElement[bool], sha256: str) -> bool:
    found = await session.scalar(
        select(Media.id)
        .join(Booth, Booth.id == Media.booth_id)
        .where(where, Media.sha256 == sha256)
        .limit(1)
    )
    return found is not None


async def check_room(
    session: AsyncSession,
    booth: Booth,
    settings: Settings,
    *,
    size: int = 0,
    sha256: str | None = None,
) -> None:
    """Refuse a file of ``size`` bytes (0: any next file) that would take the company over
    its quota, or the owner's booths not yet approved over their allowance."""
    company = _company(booth)
    if sha256 is not None and await _holds(session, company, sha256):
        return  # stored already: keeping it again takes no room
    _, used = await _total(session, company)
    if used + size > settings.company_storage_bytes or (
        size == 0 and used >= settings.company_storage_bytes
    ):
        raise StorageQuotaFull(field="file", megabytes=settings.company_storage_bytes // MB)
    if booth.status == BoothStatus.APPROVED:
        return
    reviewed = (
        select(Media.sha256)
        .join(Booth, Booth.id == Media.booth_id)
        .where(company, Booth.status == BoothStatus.APPROVED)
    )
    files, held = await _total(
        session,
        and_(
            _company(booth),
            Booth.status != BoothStatus.APPROVED,
            Media.sha256.not_in(reviewed),
        ),
    )
    if (
        files + 1 > settings.unapproved_max_files
        or held + size > settings.unapproved_max_bytes
        or (size == 0 and held >= settings.unapproved_max_bytes)
    ):
        raise ApprovalNeeded(
            field="file",
            files=settings.unapproved_max_files,
            megabytes=settings.unapproved_max_bytes // MB,
        )
