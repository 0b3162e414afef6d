"""The booths' part of a person's data (``fair.accounts.personal``): the booths they own,
with products and the files they uploaded; on deletion the booths stay, as the fair's
history and the meetings' place, owned by the anonymous tombstone the account becomes."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, Media, Product, UploadAttempt
from fair.accounts.models import User
from fair.accounts.personal import DataPart, ExportFile, PersonalData, columns
from fair.fairs.models import Fair

# Derived for search or the match engine, or the reviewer's: not what the person gave.
_LEFT_OUT = ("search_name", "search_text", "facts_version", "reviewed_by", "copied_from_id")


def _archive_name(media: Media) -> str:
    # The id keeps two files of the same name apart; "/" never comes from the person.
    name = (media.filename or media.kind).replace("/", "_").replace("\\", "_")
    return f"files/booths/{media.booth_id}/{media.id}-{name}"


async def export(session: AsyncSession, user: User) -> DataPart:
    rows = (
        await session.execute(
            select(Booth, Fair.slug)
            .join(Fair, Fair.id == Booth.fair_id)
            .where(Booth.owner_id == user.id)
            .order_by(Booth.created_at)
        )
    ).all()
    booth_ids = [booth.id for booth, _ in rows]
    products = (
        await session.scalars(
            select(Product)
            .where(Product.booth_id.in_(booth_ids))
            .order_by(Product.booth_id, Product.position)
        )
    ).all()
    media = (
        await session.scalars(
            select(Media).where(Media.booth_id.in_(booth_ids)).order_by(Media.position)
        )
    ).all()
    booths = []
    for booth, slug in rows:
        booths.append(
            {
                **columns(booth, leave=_LEFT_OUT),
                "fair": slug,
                "categories": booth.categories,
                "markets": booth.markets,
                "languages": booth.languages,
                "products": [
                    columns(p, leave=("search_text",)) for p in products if p.booth_id == booth.id
                ],
                "files": [
                    {**columns(m, leave=("storage_key", "thumb_key")), "file": _archive_name(m)}
                    for m in media
                    if m.booth_id == booth.id
                ],
            }
        )
    return DataPart(
        sections={"booths": booths},
        files=[ExportFile(_archive_name(m), m.storage_key) for m in media],
    )


async def erase(session: AsyncSession, user: User) -> None:
    """The booths stay (see the module); what counted the person's uploads goes."""
    await session.execute(delete(UploadAttempt).where(UploadAttempt.user_id == user.id))


PART = PersonalData(export=export, erase=erase)
