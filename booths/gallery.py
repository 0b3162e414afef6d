"""A booth's media: storing an upload, captions, order, removal, who may download.

Uploads are deduplicated by the SHA-256 of what was sent: the same file twice in one booth is
one item, and a blob is stored once however many booths (or copies of a booth) show it.
Every file is checked in a media worker first (booths/sandbox.py): images are re-encoded
without their metadata before anyone can fetch them, videos must be real ones; thumbnails
follow from a job. Uploads count against the company's quota (booths/quota.py).
"""

from __future__ import annotations

import hashlib

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths import quota, revisions
from booths.errors import BoothNotFound, MediaNotFound, ProductNotFound
from booths.jobs import make_media_variants
from booths.media import (
    SNIFF_BYTES,
    THUMB_SIZES,
    ReceivedUpload,
    UnsupportedFile,
    blob_key,
    check_file,
    clean_filename,
    sniff,
    variant_key,
)
from booths.models import Booth, Media, MediaKind, Product
from booths.sandbox import Sandbox
from booths.schemas import MediaUpdate
from booths.service import (
    apply_order,
    list_media,
    load_booth,
    load_managed_booth,
    sees_unreviewed,
)
from fair import outbox
from fair.accounts.models import User
from fair.config import Settings
from fair.errors import ValidationFailed
from fair.i18n import LANGUAGES, lazy
from fair.storage import Storage, discard

MAX_MEDIA = 60
CAPTION_CHARS = 200


def caption_from_fields(fields: dict[str, str]) -> dict[str, str]:
    """``title.ja``, ``title.en``... form fields of an upload as a translated caption."""
    caption = {}
    for name, value in fields.items():
        language = name.removeprefix("title.")
        if name.startswith("title.") and language in LANGUAGES and value:
            if len(value) > CAPTION_CHARS:
                raise ValidationFailed({name: lazy("This is too long.")})
            caption[language] = value
    return caption


async def _product_id(session: AsyncSession, booth: Booth, product_id: str | None) -> str | None:
    if not product_id:
        return None
    product = await session.get(Product, product_id) if len(product_id) <= 32 else None
    if product is None or product.booth_id != booth.id:
        raise ProductNotFound(field="product_id")
    return product.id


async def check_fields(
    session: AsyncSession, booth: Booth, fields: dict[str, str]
) -> tuple[dict[str, str], str | None]:
    """An upload's caption and product, or the error for a bad one."""
    caption = caption_from_fields(fields)
    return caption, await _product_id(session, booth, fields.get("product_id"))


async def store_upload(
    session: AsyncSession,
    *,
    booth: Booth,
    upload: ReceivedUpload,
    storage: Storage,
    sandbox: Sandbox,
    settings: Settings,
) -> tuple[Media, bool]:
    """Keep a received upload as media of ``booth`` (already authorized). Returns the item
    and whether it is new; the staging file is consumed either way.

    The file is checked in a media worker before this asks the database anything, so no
    transaction of its own waits on a decoder."""
    sanitized = storage.staging_path()
    try:
        # The fields are checked first: a bad one is refused even when the file is already here.
        caption = caption_from_fields(upload.fields)
        kind = upload.media_type.kind
        source, width, height = await check_file(sandbox, upload.path, upload.media_type, sanitized)
        product_id = await _product_id(session, booth, upload.fields.get("product_id"))
        existing = await session.scalar(
            select(Media).where(Media.booth_id == booth.id, Media.sha256 == upload.sha256)
        )
        if existing is not None:
            return existing, False
        count = await session.scalar(
            select(func.count()).select_from(Media).where(Media.booth_id == booth.id)
        )
        if (count or 0) >= MAX_MEDIA:
            raise ValidationFailed({"file": lazy("A booth holds at most 60 files.")})
        key = blob_key(upload.sha256, upload.media_type)
        size = source.stat().st_size
        await quota.check_room(session, booth, settings, size=size, sha256=upload.sha256)
        await storage.commit(source, key)
        media = Media(
            booth_id=booth.id,
            product_id=product_id,
            kind=kind,
            content_type=upload.media_type.content_type,
            size=size,
            sha256=upload.sha256,
            storage_key=key,
            filename=upload.filename,
            title=caption,
            width=width,
            height=height,
            status="processing" if kind == MediaKind.IMAGE else "ready",
            position=count or 0,
        )
        session.add(media)
        await revisions.mark_added(session, booth, media)
        await session.flush()
        if kind == MediaKind.IMAGE:
            await outbox.enqueue(
                session, make_media_variants, key=f"media-variants:{media.id}", media_id=media.id
            )
        return media, True
    finally:
        discard(upload.path)
        discard(sanitized)


async def store_bytes(
    session: AsyncSession,
    *,
    booth: Booth,
    data: bytes,
    filename: str,
    storage: Storage,
    sandbox: Sandbox,
    settings: Settings,
    fields: dict[str, str] | None = None,
) -> tuple[Media, bool]:
    """Keep bytes already in hand (the demo, imports) exactly as an upload would be kept."""
    media_type = sniff(data[:SNIFF_BYTES])
    if media_type is None:
        raise UnsupportedFile()
    staged = storage.staging_path()
    await anyio.Path(staged).write_bytes(data)
    upload = ReceivedUpload(
        path=staged,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=clean_filename(filename),
        fields=fields or {},
    )
    return await store_upload(
        session, booth=booth, upload=upload, storage=storage, sandbox=sandbox, settings=settings
    )


async def _managed_media(session: AsyncSession, actor: User | None, media_id: str) -> Media:
    media = await session.get(Media, media_id) if len(media_id) <= 32 else None
    if media is None:
        raise MediaNotFound()
    await load_managed_booth(session, media.booth_id, actor=actor)
    return media


async def update_media(
    session: AsyncSession, *, actor: User | None, media_id: str, data: MediaUpdate
) -> Media:
    media = await _managed_media(session, actor, media_id)
    booth = await session.get(Booth, media.booth_id)
    assert booth is not None
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes:
        changes["title"] = changes["title"] or {}
    if "product_id" in changes:
        changes["product_id"] = await _product_id(session, booth, changes["product_id"])
    # A caption is text buyers read: on an approved booth it waits for review.
    for name, value in (await revisions.hold_back(session, booth, "media", media, changes)).items():
        setattr(media, name, value)
    await session.flush()
    return media


async def delete_media(
    session: AsyncSession, *, actor: User | None, media_id: str
) -> tuple[str, str] | None:
    """Remove an item. Returns the blob's key and hash when no other item uses the blob any
    more, so the caller deletes the file after the commit (a rollback keeps it)."""
    media = await _managed_media(session, actor, media_id)
    key, sha = media.storage_key, media.sha256
    await session.delete(media)
    await session.flush()
    booth = await session.get(Booth, media.booth_id)
    assert booth is not None
    await revisions.forget(session, booth, "media", media.id)
    still_used = await session.scalar(select(Media.id).where(Media.storage_key == key).limit(1))
    return None if still_used else (key, sha)


async def reorder_media(
    session: AsyncSession, *, actor: User | None, booth_id: str, ids: list[str]
) -> list[Media]:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    items = await list_media(session, booth.id, unreviewed=True)
    apply_order(items, ids)
    await session.flush()
    return sorted(items, key=lambda m: m.position)


async def media_for_viewer(
    session: AsyncSession, media_id: str, *, viewer: User | None
) -> tuple[Media, Booth]:
    """A file the viewer may fetch: the booth must be visible to them, and a file waiting for
    review only to the booth's exhibitor and the programme's insiders."""
    media = await session.get(Media, media_id) if len(media_id) <= 32 else None
    if media is None:
        raise MediaNotFound()
    try:
        booth = await load_booth(session, media.booth_id, viewer=viewer)
    except BoothNotFound:
        raise MediaNotFound() from None
    if media.awaiting_review and not sees_unreviewed(viewer, booth):
        raise MediaNotFound()
    return media, booth


async def remove_blob(storage: Storage, orphan: tuple[str, str] | None) -> None:
    """Delete a blob no item uses any more, and its variants (after the commit)."""
    if orphan is None:
        return
    key, sha = orphan
    await storage.delete(key)
    for variant in variant_keys_for(sha):
        await storage.delete(variant)


def variant_keys_for(sha256: str) -> list[str]:
    return [variant_key(sha256, name) for name in THUMB_SIZES]
