"""Booth jobs: image variants (thumbnails and dimensions), review mails to exhibitors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.media import THUMB_SIZES, make_thumbnail, variant_key
from booths.models import Booth, BoothRevision, BoothStatus, Media, MediaKind, RevisionStatus
from booths.sandbox import Sandbox, sandbox_of
from fair import resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.errors import DomainError
from fair.fairs.models import Fair
from fair.i18n import gettext as _
from fair.i18n import pick_text, use_language
from fair.mail import build_message
from fair.outbox import run_once
from fair.storage import Storage, discard
from fair.templating import render

log = logging.getLogger(__name__)


async def make_media_variants(ctx: dict[str, Any], *, media_id: str) -> None:
    """Thumbnails of an image, and its dimensions; the item becomes ready (or failed).
    Idempotent: variants are keyed by content hash and only made when missing. They are
    made in a media worker with no transaction open, from and into the storage (in a bucket,
    the original is fetched to a staging file first, and only when a variant is missing)."""
    res = resources.of_job(ctx)
    storage, sandbox = res.storage, sandbox_of(res)
    async with res.sessionmaker() as session:
        media = await session.get(Media, media_id)
        if media is None or media.kind != MediaKind.IMAGE:
            return
        original, sha256, content_type = media.storage_key, media.sha256, media.content_type
        width, height = media.width, media.height
    missing = [
        (variant_key(sha256, name), size)
        for name, size in THUMB_SIZES.items()
        if not await storage.exists(variant_key(sha256, name))
    ]
    failed = False
    if missing or width is None:
        async with storage.local_file(original) as source:
            if source is None:  # removed meanwhile (the last item showing it was deleted)
                log.warning("media %s has no stored file; marked failed", media_id)
                failed = True
            else:
                try:
                    width, height = await _variants(sandbox, source, content_type, missing, storage)
                except DomainError:  # what the worker refused: not a job to retry
                    log.warning("media %s could not be decoded; marked failed", media_id)
                    failed = True
    async with res.sessionmaker() as session, session.begin():
        if failed:
            media = await session.get(Media, media_id)
            if media is not None:
                media.status = "failed"
            return
        # Copies of a booth share the blob: every item showing it becomes ready together.
        same_blob = await session.scalars(
            select(Media).where(Media.sha256 == sha256, Media.kind == MediaKind.IMAGE)
        )
        for item in same_blob:
            item.thumb_key = variant_key(sha256, "thumb")
            item.width, item.height = width, height
            item.status = "ready"


async def _variants(
    sandbox: Sandbox,
    source: Path,
    content_type: str,
    missing: list[tuple[str, int]],
    storage: Storage,
) -> tuple[int, int]:
    """Make and store the missing variants; the original's width and height (with no
    variant missing, from a tiny thumbnail thrown away)."""
    sizes: list[tuple[str | None, int]] = [*missing] or [(None, 16)]
    width = height = 0
    for key, size in sizes:
        staged = storage.staging_path()
        try:
            width, height = await make_thumbnail(sandbox, source, content_type, staged, size)
            if key is not None:
                await storage.commit(staged, key)
        finally:
            discard(staged)
    return width, height


Compose = Callable[[Booth, BoothRevision | None, str], tuple[str, str, dict[str, Any]] | None]


async def _mail_exhibitor(
    ctx: dict[str, Any], key: str, job: str, booth_id: str, compose: Compose
) -> bool:
    """Mail the booth's exhibitor, in their language, once per key: ``compose`` gives the
    subject, the template and its values, or None when there is nothing to say any more."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer

    async def effect(session: AsyncSession) -> None:
        row = (
            await session.execute(
                select(Booth, Fair, User)
                .join(Fair, Fair.id == Booth.fair_id)
                .join(User, User.id == Booth.owner_id)
                .where(Booth.id == booth_id)
            )
        ).first()
        if row is None:
            return
        booth, fair, owner = row
        if not may_mail(owner):
            return  # the review shows on the booth's page; mail waits for a confirmed address
        revision = await session.get(BoothRevision, booth.id)
        with use_language(owner.locale):
            fair_title = pick_text(fair.title)[0]
            composed = compose(booth, revision, fair_title)
            if composed is None:
                return
            subject, template, values = composed
            text = render(
                template,
                user=owner,
                booth=booth,
                fair_title=fair_title,
                base_url=settings.base_url,
                **values,
            )
        await mailer.send(
            build_message(settings, key=key, to=owner.email, subject=subject, text=text), key=key
        )

    return await run_once(res.sessionmaker, key, job, effect)


async def send_booth_review_mail(ctx: dict[str, Any], *, booth_id: str) -> bool:
    """Tell the exhibitor that their booth was approved or why it was not. Once per review."""

    def compose(booth: Booth, _revision: BoothRevision | None, fair_title: str) -> Any:
        if booth.status == BoothStatus.PENDING:
            return None  # edited and resubmitted since the review: nothing to announce
        if booth.status == BoothStatus.APPROVED:
            subject = _("Your booth in %(fair)s is approved") % {"fair": fair_title}
        else:
            subject = _("Your booth in %(fair)s needs changes") % {"fair": fair_title}
        return subject, "mail/booth_review.txt", {}

    key = ctx.get("job_id") or f"booth-review:{booth_id}"
    return await _mail_exhibitor(ctx, key, "send_booth_review_mail", booth_id, compose)


async def send_booth_changes_mail(ctx: dict[str, Any], *, booth_id: str, outcome: str) -> bool:
    """Tell the exhibitor of an approved booth that their changes are published, or why they
    are not (the approved version stays public). Once per review."""

    def compose(booth: Booth, revision: BoothRevision | None, fair_title: str) -> Any:
        if outcome == "approved":
            subject = _("Your changes to your booth in %(fair)s are published") % {
                "fair": fair_title
            }
            return subject, "mail/booth_changes.txt", {"note": None}
        if revision is None or revision.status != RevisionStatus.REJECTED:
            return None  # edited again or approved since: nothing to announce
        subject = _("Your changes to your booth in %(fair)s were not published") % {
            "fair": fair_title
        }
        return subject, "mail/booth_changes.txt", {"note": revision.note}

    key = ctx.get("job_id") or f"booth-changes:{booth_id}:{outcome}"
    return await _mail_exhibitor(ctx, key, "send_booth_changes_mail", booth_id, compose)


JOBS = (make_media_variants, send_booth_review_mail, send_booth_changes_mail)
