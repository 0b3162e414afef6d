"""Vetted fairs: a buyer asks to take part, an organizer admits or turns them down, and
only admitted buyers book. Throw-away accounts cost nothing to make; an organizer's
"yes" does, so a vetted fair's calendars are safe from them (docs/security.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.errors import Conflict, Forbidden, NotFound
from fair.fairs.jobs import send_admission_mail
from fair.fairs.models import Fair, FairBuyer
from fair.fairs.phase import Phase
from fair.fairs.service import get_fair, phase_of
from fair.i18n import lazy

Admission = Literal["open", "vetted"]
Decision = Literal["pending", "approved", "rejected"]
# The organizers' queue shows at most this many requests at once (oldest first).
QUEUE_LIMIT = 500


class NotAdmitted(Forbidden):
    code = "buyer_not_admitted"
    message = lazy(
        "This fair is open to buyers the organizers have admitted. "
        "Ask to take part on the fair's page; you can book once they say yes."
    )


class AlreadyDecided(Conflict):
    code = "admission_decided"
    message = lazy("The organizers have already answered this request.")


# Read by every booking in a vetted fair and the fair's page: built once.
_REQUEST = select(FairBuyer).where(
    FairBuyer.fair_id == bindparam("fair_id"), FairBuyer.user_id == bindparam("user_id")
)


async def my_request(session: AsyncSession, fair: Fair, user: User | None) -> FairBuyer | None:
    if user is None:
        return None
    return await session.scalar(_REQUEST, {"fair_id": fair.id, "user_id": user.id})


async def check_admitted(session: AsyncSession, fair: Fair, buyer: User) -> None:
    """Raise NotAdmitted unless ``buyer`` may book in ``fair``."""
    if fair.buyer_admission != "vetted":
        return
    request = await my_request(session, fair, buyer)
    if request is None or request.status != "approved":
        raise NotAdmitted()


async def ask(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    message: str,
    now: datetime | None = None,
) -> FairBuyer:
    """A buyer asks to take part in a vetted fair. Asking again changes nothing (and keeps
    the first message) until the organizers answer; after an answer it is a Conflict."""
    now = now or clock.now()
    buyer = require_role(actor, Role.BUYER)
    fair = await get_fair(session, slug, viewer=buyer)
    if fair.buyer_admission != "vetted":
        raise Conflict(lazy("Every buyer may book in this fair; there is nothing to ask."))
    if phase_of(fair, now) == Phase.CLOSED:
        raise Conflict(lazy("This fair is over."))
    existing = await my_request(session, fair, buyer)
    if existing is not None:
        if existing.status != "pending":
            raise AlreadyDecided()
        return existing
    request = FairBuyer(fair_id=fair.id, user_id=buyer.id, message=message, requested_at=now)
    session.add(request)
    await session.flush()
    return request


async def queue(
    session: AsyncSession, *, actor: User | None, slug: str, status: Decision | None
) -> tuple[Fair, list[tuple[FairBuyer, User]]]:
    """The requests of a fair for organizers and staff, oldest first."""
    viewer = require_role(actor, Role.ORGANIZER, Role.STAFF)
    fair = await get_fair(session, slug, viewer=viewer)
    query = (
        select(FairBuyer, User)
        .join(User, User.id == FairBuyer.user_id)
        .where(FairBuyer.fair_id == fair.id)
        .order_by(FairBuyer.requested_at, FairBuyer.id)
        .limit(QUEUE_LIMIT)
    )
    if status is not None:
        query = query.where(FairBuyer.status == status)
    rows = (await session.execute(query)).tuples().all()
    return fair, list(rows)


async def decide(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    user_id: str,
    approve: bool,
    now: datetime | None = None,
) -> FairBuyer:
    """An organizer admits a buyer (also one who never asked) or turns a request down; the
    buyer is mailed the answer. Changing one's mind later is allowed: approving a rejected
    request, or rejecting an approved one (their booked meetings stay; new ones are refused)."""
    now = now or clock.now()
    organizer = require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=organizer)
    buyer = await session.get(User, user_id) if len(user_id) <= 32 else None
    if buyer is None or buyer.role != Role.BUYER:
        raise NotFound(lazy("There is no such buyer."))
    request = await my_request(session, fair, buyer)
    if request is None:
        request = FairBuyer(fair_id=fair.id, user_id=buyer.id, requested_at=now)
        session.add(request)
    status = "approved" if approve else "rejected"
    if request.status != status:
        request.status, request.decided_at, request.decided_by = status, now, organizer.id
        await session.flush()
        await outbox.enqueue(
            session,
            send_admission_mail,
            key=f"admission:{request.id}:{status}:{now.isoformat()}",
            request_id=request.id,
            status=status,
            decided_at=now.isoformat(),
        )
    return request
