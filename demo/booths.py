"""Demo booths for ``fair demo``: every demo exhibitor in the current fair, the one after it
and the open day, with products, generated photos and a brochure, in the states an
organizer meets in a real month (most approved, some waiting for review, one sent back)."""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths import gallery, service
from booths.models import Booth, BoothStatus, Product
from booths.sandbox import Sandbox
from booths.schemas import BoothCreate, BoothUpdate, ProductCreate
from demo import data as demo_data
from demo import images as demo_images
from demo.data import Exhibitor
from demo.data import Product as DemoProduct
from fair.accounts.models import Role, User
from fair.config import Settings
from fair.fairs.models import Fair
from fair.storage import Storage

# The following fair: these exhibitors have not been reviewed yet, and these were sent back.
PENDING_NEXT_MONTH = set(demo_data.PROGRAMME.following_fair.pending)
REJECTED_NEXT_MONTH = {
    sent.exhibitor: sent.note for sent in demo_data.PROGRAMME.following_fair.rejected
}
# An approved booth whose exhibitor has since written a new tagline: it waits in the
# organizer's "Changes to approved booths" while buyers see the approved one.
CHANGES_WAITING = {
    "info@tsubame-migaki.example": {
        "ja": "深絞りと鏡面研磨、小ロット試作から量産まで。",
        "en": "Deep drawing and mirror polishing, from small trial runs to mass production.",
        "vi": "Dập sâu và đánh bóng gương, từ lô thử nhỏ đến sản xuất hàng loạt.",
    }
}


cover_jpeg = functools.cache(demo_images.booth_cover)
photo_jpeg = functools.cache(demo_images.product_photo)


BROCHURE_DATE = datetime(2026, 1, 5, tzinfo=UTC)


def brochure_pdf(index: int) -> bytes:
    """A two-page picture brochure: the company's cover, then its products."""
    exhibitor = demo_data.EXHIBITORS[index]
    first_page = Image.open(io.BytesIO(cover_jpeg(index))).convert("RGB")
    sheet = Image.new("RGB", (1600, 900), (246, 244, 240))
    photos = [
        Image.open(io.BytesIO(photo_jpeg(index, n))).convert("RGB")
        for n in range(min(3, len(exhibitor.products)))
    ]
    for n, photo in enumerate(photos):
        sheet.paste(photo.resize((480, 480)), (40 + n * 520, 210))
    out = io.BytesIO()
    # Pillow stamps the wall-clock time as the creation and change dates unless told: a
    # fixed date keeps the brochure the same bytes on every load (and the clock ours).
    first_page.save(
        out,
        "PDF",
        save_all=True,
        append_images=[sheet],
        resolution=150,
        creationDate=BROCHURE_DATE.utctimetuple(),
        modDate=BROCHURE_DATE.utctimetuple(),
    )
    return out.getvalue()


def booth_content(exhibitor: Exhibitor) -> BoothCreate:
    return BoothCreate(
        company=exhibitor.company,
        tagline=exhibitor.tagline,
        description=exhibitor.description,
        categories=[exhibitor.category],
        markets=exhibitor.markets,
        languages=exhibitor.languages,
        certifications=exhibitor.certifications,
        website=exhibitor.website,
        city=exhibitor.city,
    )


def product_content(product: DemoProduct) -> ProductCreate:
    return ProductCreate(**product.model_dump())


async def _first_booth(
    session: AsyncSession,
    index: int,
    owner: User,
    fair: Fair,
    media: dict[str, Any],  # storage, sandbox and settings, as gallery.store_bytes takes them
) -> Booth:
    exhibitor = demo_data.EXHIBITORS[index]
    booth = await service.build_booth(
        session, fair=fair, owner=owner, data=booth_content(exhibitor)
    )
    english = exhibitor.company["en"]
    await gallery.store_bytes(
        session,
        booth=booth,
        data=cover_jpeg(index),
        filename="cover.jpg",
        fields={"title.ja": exhibitor.company["ja"], "title.en": english},
        **media,
    )
    for number, item in enumerate(exhibitor.products):
        product = Product(booth_id=booth.id, position=number, **product_content(item).model_dump())
        session.add(product)
        await session.flush()
        await gallery.store_bytes(
            session,
            booth=booth,
            data=photo_jpeg(index, number),
            filename=f"product-{number + 1}.jpg",
            fields={"product_id": product.id, "title.ja": item.name["ja"]},
            **media,
        )
    await gallery.store_bytes(
        session,
        booth=booth,
        data=brochure_pdf(index),
        filename=f"{english.split(' Co.')[0].replace(' ', '-')}-brochure.pdf",
        fields={f"title.{lang}": text for lang, text in demo_data.PROGRAMME.brochure.title.items()},
        **media,
    )
    await service.refresh_search(session, booth)
    return booth


def review_booth(
    booth: Booth, status: BoothStatus, organizer: User, when: datetime, note: str = ""
) -> None:
    # Set directly: the demo must not mail twenty-four review notices to invented addresses.
    booth.status = status
    booth.review_note = note
    booth.reviewed_by = organizer.id
    booth.reviewed_at = when


async def load_booths(
    session: AsyncSession,
    *,
    storage: Storage,
    sandbox: Sandbox,
    settings: Settings,
    organizer: User,
    current: Fair,
    following: Fair,
    open_day: Fair,
    now: datetime,
) -> int:
    """Booths of the demo exhibitors: in the current fair with their pictures (approved),
    copied into the following fair (most approved, two waiting for review, one sent back)
    and into the open day (approved). A company that has its booth in a fair is skipped."""
    created = 0
    for index, exhibitor in enumerate(demo_data.EXHIBITORS):
        owner = await session.scalar(select(User).where(User.email == exhibitor.email))
        if owner is None or owner.role != Role.EXHIBITOR:
            continue
        existing = {
            fair_id: booth
            for booth, fair_id in (
                await session.execute(
                    select(Booth, Booth.fair_id).where(Booth.company_id == owner.company_id)
                )
            ).all()
        }
        first = existing.get(current.id)
        if first is None:
            media = {"storage": storage, "sandbox": sandbox, "settings": settings}
            first = await _first_booth(session, index, owner, current, media)
            review_booth(first, BoothStatus.APPROVED, organizer, now - timedelta(days=40))
            if exhibitor.email in CHANGES_WAITING:
                change = BoothUpdate(tagline=CHANGES_WAITING[exhibitor.email])
                await service.update_booth(session, actor=owner, booth_id=first.id, data=change)
            created += 1
        if first.status != BoothStatus.APPROVED:
            continue  # only an approved booth is copied
        if following.id not in existing:
            second = await service.copy_booth(
                session, actor=owner, booth_id=first.id, fair_slug=following.slug
            )
            if exhibitor.email in REJECTED_NEXT_MONTH:
                note = REJECTED_NEXT_MONTH[exhibitor.email]
                review_booth(second, BoothStatus.REJECTED, organizer, now - timedelta(days=2), note)
            elif exhibitor.email not in PENDING_NEXT_MONTH:
                review_booth(second, BoothStatus.APPROVED, organizer, now - timedelta(days=5))
            created += 1
        if open_day.id not in existing:
            visiting = await service.copy_booth(
                session, actor=owner, booth_id=first.id, fair_slug=open_day.slug
            )
            review_booth(visiting, BoothStatus.APPROVED, organizer, now - timedelta(days=15))
            created += 1
    await session.flush()
    return created
