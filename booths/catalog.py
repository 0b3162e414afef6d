"""Products of a booth: add, change, remove, reorder. Only the booth's owner. On an approved
booth a new product, and new names and descriptions, wait for review (booths.revisions)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths import revisions
from booths.errors import ProductNotFound
from booths.models import Booth, Product
from booths.schemas import ProductCreate, ProductUpdate
from booths.service import apply_order, list_products, load_managed_booth, refresh_search
from fair import clock
from fair.accounts.models import User
from fair.errors import ValidationFailed
from fair.i18n import lazy

MAX_PRODUCTS = 100
CLEARABLE = {"moq", "price_min", "price_max", "lead_time_days"}


async def _product_of(session: AsyncSession, booth: Booth, product_id: str) -> Product:
    product = await session.get(Product, product_id) if len(product_id) <= 32 else None
    if product is None or product.booth_id != booth.id:
        raise ProductNotFound()
    return product


async def add_product(
    session: AsyncSession, *, actor: User | None, booth_id: str, data: ProductCreate
) -> Product:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    count = await session.scalar(
        select(func.count()).select_from(Product).where(Product.booth_id == booth.id)
    )
    if (count or 0) >= MAX_PRODUCTS:
        raise ValidationFailed({"body": lazy("A booth shows at most 100 products.")})
    product = Product(booth_id=booth.id, position=count or 0, **data.model_dump())
    session.add(product)
    await revisions.mark_added(session, booth, product)
    await session.flush()
    await refresh_search(session, booth)
    await session.flush()
    return product


async def update_product(
    session: AsyncSession,
    *,
    actor: User | None,
    booth_id: str,
    product_id: str,
    data: ProductUpdate,
) -> Product:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    product = await _product_of(session, booth, product_id)
    changes = data.model_dump(exclude_unset=True)
    empty = [name for name, value in changes.items() if value is None and name not in CLEARABLE]
    if empty:
        raise ValidationFailed({name: lazy("This field cannot be empty.") for name in empty})
    low = changes.get("price_min", product.price_min)
    high = changes.get("price_max", product.price_max)
    if low is not None and high is not None and low > high:
        raise ValidationFailed(
            {"price_min": lazy("The lowest price must not be above the highest.")}
        )
    changes = await revisions.hold_back(session, booth, "product", product, changes)
    if not changes:
        return product
    for name, value in changes.items():
        setattr(product, name, value)
    product.updated_at = clock.now()
    await refresh_search(session, booth)
    await session.flush()
    return product


async def delete_product(
    session: AsyncSession, *, actor: User | None, booth_id: str, product_id: str
) -> None:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    product = await _product_of(session, booth, product_id)
    await session.delete(product)
    await session.flush()
    await revisions.forget(session, booth, "product", product.id)
    await refresh_search(session, booth)
    await session.flush()


async def reorder_products(
    session: AsyncSession, *, actor: User | None, booth_id: str, ids: list[str]
) -> list[Product]:
    booth = await load_managed_booth(session, booth_id, actor=actor)
    products = await list_products(session, booth.id, unreviewed=True)
    apply_order(products, ids)
    await session.flush()
    return sorted(products, key=lambda p: p.position)


async def get_product(session: AsyncSession, booth: Booth, product_id: str) -> Product:
    return await _product_of(session, booth, product_id)
