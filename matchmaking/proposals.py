"""Proposed meetings: an organizer proposes a meeting to a buyer and a booth (both answer),
or a booth's company invites a buyer (the buyer answers). The buyer picks the time when
accepting; once every invited side has accepted, the meeting is booked through the normal
booking path (``meetings.booking.book``: holds, invites, reminders, the interpreter request)
with the buyer as the booker. A proposal expires after ``FAIR_PROPOSAL_DAYS`` days, and
never after the fair's booking has closed.

Side effects: making one mails each invited side and schedules its expiry (outbox jobs);
a decline mails the proposer; an expiry mails the proposer; an organizer's proposal that
both sides accepted mails the organizer (the meeting's own mails go to its participants).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, BoothStatus
from booths.service import can_manage, of_company
from fair import clock
from fair.accounts.companies import name_key
from fair.accounts.models import Company, Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.config import Settings
from fair.errors import DomainError, Forbidden, ValidationFailed
from fair.fairs.admission import my_request
from fair.fairs.models import Fair, FairBuyer
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.i18n import lazy
from fair.ratelimit import count_act
from matchmaking import jobs
from matchmaking.errors import (
    ProposalClosed,
    ProposalExists,
    ProposalExpired,
    ProposalNotFound,
    ProposalRefused,
    StartNeeded,
)
from matchmaking.models import Answer, Need, Proposal, ProposalKind, ProposalStatus
from matchmaking.schemas import ProposalAccept, ProposalCreate
from matchmaking.scoring import Match
from matchmaking.service import context as match_context
from matchmaking.service import fair_matches, seller_of
from meetings import booking
from meetings.errors import BadTime, NotBookable, SlotTaken
from meetings.goodhours import Party, best_first, viewer_party_of
from meetings.models import ACTIVE, Meeting, MeetingSource
from meetings.slots import Slot

# Organizers and staff see every proposal of the programme (the console's tracking).
INSIDERS = (Role.ORGANIZER, Role.STAFF)
MAX_LISTED = 500
# The slots a buyer is offered to pick from, good-for-both first.
SLOTS_OFFERED = 12
# "Propose the top N to every buyer": N at most.
MAX_TOP = 10

Side = Literal["buyer", "booth"]


class TimeGone(SlotTaken):
    """The buyer's time went while the booth's side answered: the booth's yes is kept (so
    the unit of work commits) and the buyer is asked for another time."""

    code = "slot_taken"
    message = lazy(
        "The time the buyer chose has just been taken. Your answer is saved; "
        "the buyer is asked to choose another time."
    )
    persist_changes = True


@dataclass(frozen=True)
class ProposalView:
    """A proposal with what a reader needs beside it."""

    proposal: Proposal
    fair: Fair
    booth: Booth
    buyer: User
    side: Side | None  # the viewer's, when invited
    status: ProposalStatus  # as of now: an open one past its time reads as expired


def booking_closes_at(fair: Fair) -> datetime:
    """Bookings close at the end of the fair's last day, in its zone."""
    end = datetime.combine(fair.ends_on + timedelta(days=1), time.min, ZoneInfo(fair.timezone))
    return end.astimezone(UTC)


def expiry(fair: Fair, now: datetime, days: int) -> datetime:
    return min(now + timedelta(days=days), booking_closes_at(fair))


def side_of(user: User, proposal: Proposal, booth: Booth) -> Side | None:
    """Which invited side the user answers for, if any."""
    if user.id == proposal.buyer_id:
        return "buyer"
    if proposal.kind == ProposalKind.ORGANIZER and can_manage(user, booth):
        return "booth"
    return None


def may_see(user: User, proposal: Proposal, booth: Booth) -> bool:
    return (
        user.id in {proposal.buyer_id, proposal.proposed_by}
        or can_manage(user, booth)
        or user.has_role(*INSIDERS)
    )


def is_expired(proposal: Proposal, now: datetime) -> bool:
    return proposal.status == ProposalStatus.EXPIRED or (
        proposal.status == ProposalStatus.OPEN and proposal.expires_at <= now
    )


def waiting_for(proposal: Proposal) -> list[Side]:
    """The invited sides that have not accepted yet."""
    sides: list[Side] = []
    if proposal.buyer_answer != Answer.ACCEPTED:
        sides.append("buyer")
    if proposal.booth_answer is not None and proposal.booth_answer != Answer.ACCEPTED:
        sides.append("booth")
    return sides


def invited(proposal: Proposal, booth: Booth) -> list[str]:
    """The user ids of the invited sides."""
    people = [proposal.buyer_id]
    if proposal.kind == ProposalKind.ORGANIZER:
        people.append(booth.owner_id)
    return people


# Making one -----------------------------------------------------------------------------------


async def _fair_of(session: AsyncSession, user: User, slug: str) -> Fair:
    fair = await session.scalar(select(Fair).where(Fair.slug == slug))
    if fair is None or (fair.status != "published" and not user.has_role(*INSIDERS)):
        raise ValidationFailed({"fair": lazy("There is no such fair.")})
    if fair.status != "published":
        raise ProposalRefused(lazy("This fair is not published yet."))
    return fair


async def _booth_of(session: AsyncSession, user: User, fair: Fair, booth_id: str) -> Booth:
    booth = await session.get(Booth, booth_id)
    if booth is None or booth.fair_id != fair.id:
        raise ValidationFailed({"booth_id": lazy("There is no such booth in this fair.")})
    if user.has_role(Role.EXHIBITOR) and not can_manage(user, booth):
        raise Forbidden(lazy("You can invite buyers to your own booth only."))
    if booth.status != BoothStatus.APPROVED:
        raise ProposalRefused(lazy("This booth has not been approved yet."))
    return booth


async def _buyer_of(session: AsyncSession, buyer_id: str) -> User:
    buyer = await session.get(User, buyer_id)
    if buyer is None or buyer.role != Role.BUYER or not buyer.is_active:
        raise ValidationFailed({"buyer_id": lazy("There is no such buyer.")})
    return buyer


async def _check_pair(session: AsyncSession, fair: Fair, booth: Booth, buyer: User) -> None:
    """Refuse a pair that could not meet: the buyer not admitted to a vetted fair, the
    buyer of the booth's own company, a pair whose latest outcome is no deal."""
    if fair.buyer_admission == "vetted":
        request = await my_request(session, fair, buyer)
        if request is None or request.status != "approved":
            raise ProposalRefused(lazy("The organizers have not admitted this buyer to this fair."))
    company = await session.get(Company, booth.company_id) if booth.company_id else None
    if buyer.company and company is not None and name_key(buyer.company) == company.name_key:
        raise ProposalRefused(lazy("This buyer belongs to the booth's own company."))
    seller = seller_of(booth)
    found = await match_context(session, fair=fair, buyer_ids=[buyer.id], seller_ids=[seller])
    if (buyer.id, seller) in found.closed_pairs:
        raise ProposalRefused(lazy("This buyer and this exhibitor have closed as no deal."))


async def _need_of(
    session: AsyncSession, need_id: str | None, buyer: User, kind: str
) -> str | None:
    if need_id is None:
        return None
    need = await session.get(Need, need_id)
    hidden = need is not None and kind == ProposalKind.EXHIBITOR and not need.visible_to_exhibitors
    if need is None or need.buyer_id != buyer.id or hidden:
        raise ValidationFailed({"need_id": lazy("There is no such need of this buyer.")})
    return need.id


async def expire_due(session: AsyncSession, now: datetime) -> int:
    """Open proposals past their time are expired (their expiry job mails the proposer)."""
    result = await session.execute(
        update(Proposal)
        .where(Proposal.status == ProposalStatus.OPEN, Proposal.expires_at <= now)
        .values(status=ProposalStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def propose(
    session: AsyncSession,
    *,
    actor: User | None,
    data: ProposalCreate,
    settings: Settings,
    now: datetime | None = None,
) -> Proposal:
    """An organizer proposes a meeting to both sides, or a booth's exhibitor invites a buyer.
    Refused for a fair not open for booking, an unapproved booth, another exhibitor's booth,
    a pair that cannot meet, and a pair with a live proposal already (409). Mails the
    invited sides and schedules the expiry."""
    now = now or clock.now()
    user = require_verified(require_role(actor, Role.ORGANIZER, Role.EXHIBITOR))
    kind = ProposalKind.ORGANIZER if user.has_role(Role.ORGANIZER) else ProposalKind.EXHIBITOR
    fair = await _fair_of(session, user, data.fair)
    booth = await _booth_of(session, user, fair, data.booth_id)
    buyer = await _buyer_of(session, data.buyer_id)
    if phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        raise ProposalRefused(lazy("Booking for this fair is not open."))
    await _check_pair(session, fair, booth, buyer)
    need_id = await _need_of(session, data.need_id, buyer, kind)
    window = timedelta(minutes=settings.abuse_window_minutes)
    limit = settings.proposals_per_account
    await count_act(session, "propose", user.id, limit=limit, window=window, now=now)
    await expire_due(session, now)  # a stale open proposal does not block a new one
    return await _create(session, user, kind, fair, booth, buyer, need_id, data.note, settings, now)


async def _create(
    session: AsyncSession,
    user: User,
    kind: ProposalKind,
    fair: Fair,
    booth: Booth,
    buyer: User,
    need_id: str | None,
    note: str,
    settings: Settings,
    now: datetime,
) -> Proposal:
    """The proposal of a pair already checked: stored (409 when the pair has an open one),
    the invited sides mailed, the expiry scheduled."""
    proposal = Proposal(
        fair_id=fair.id,
        buyer_id=buyer.id,
        booth_id=booth.id,
        need_id=need_id,
        proposed_by=user.id,
        kind=kind,
        note=note,
        status=ProposalStatus.OPEN,
        buyer_answer=Answer.PENDING,
        booth_answer=Answer.PENDING if kind == ProposalKind.ORGANIZER else None,
        created_at=now,
        expires_at=expiry(fair, now, settings.proposal_days),
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(proposal)
            await session.flush()
    except IntegrityError:
        raise ProposalExists() from None  # the partial unique index on the open pair
    for user_id in invited(proposal, booth):
        await jobs.queue_mail(session, proposal, user_id, "received", now)
    await jobs.queue_expiry(session, proposal)
    return proposal


@dataclass(frozen=True)
class TopProposed:
    created: list[Proposal]
    skipped: int  # pairs among the top ones already proposed, met, or that cannot meet


async def _taken_pairs(session: AsyncSession, fair: Fair) -> set[tuple[str, str]]:
    """(buyer, booth) pairs of the fair that were proposed already (whatever came of it) or
    that have a meeting booked or held: "top N" does not ask them again."""
    proposed = await session.execute(
        select(Proposal.buyer_id, Proposal.booth_id).where(Proposal.fair_id == fair.id)
    )
    met = await session.execute(
        select(Meeting.buyer_id, Meeting.booth_id)
        .join(Booth, Booth.id == Meeting.booth_id)
        .where(Booth.fair_id == fair.id, Meeting.status.in_(ACTIVE))
    )
    return {(buyer, booth) for buyer, booth in [*proposed.all(), *met.all()]}


async def _admitted(session: AsyncSession, fair: Fair) -> set[str] | None:
    """The buyers admitted to a vetted fair; None: every buyer may meet in an open one."""
    if fair.buyer_admission != "vetted":
        return None
    rows = await session.scalars(
        select(FairBuyer.user_id).where(
            FairBuyer.fair_id == fair.id, FairBuyer.status == "approved"
        )
    )
    return set(rows)


async def propose_top(
    session: AsyncSession,
    *,
    actor: User | None,
    fair_slug: str,
    n: int,
    settings: Settings,
    now: datetime | None = None,
) -> TopProposed:
    """An organizer proposes each admitted buyer's ``n`` best booths of the fair (each booth
    once per buyer, by the buyer's best need), skipping the pairs already proposed, met or
    that cannot meet. One unit of work: all of them or, on an error, none."""
    now = now or clock.now()
    user = require_verified(require_role(actor, Role.ORGANIZER))
    if not 1 <= n <= MAX_TOP:
        raise ValidationFailed({"n": lazy("Give a number from 1 to 10.")})
    fair = await _fair_of(session, user, fair_slug)
    if phase_of(fair, now) not in {Phase.BOOKING, Phase.LIVE}:
        raise ProposalRefused(lazy("Booking for this fair is not open."))
    window = timedelta(minutes=settings.abuse_window_minutes)
    limit = settings.proposals_per_account
    await count_act(session, "propose", user.id, limit=limit, window=window, now=now)
    await expire_due(session, now)
    matches = await fair_matches(session, actor=user, fair_slug=fair.slug)
    admitted = await _admitted(session, fair)
    chosen: dict[str, list[Match]] = {}
    for match in matches:  # best first
        if admitted is not None and match.buyer_id not in admitted:
            continue
        picked = chosen.setdefault(match.buyer_id, [])
        if len(picked) < n and all(m.booth_id != match.booth_id for m in picked):
            picked.append(match)
    taken = await _taken_pairs(session, fair)
    created: list[Proposal] = []
    skipped = 0
    for buyer_id, picked in chosen.items():
        buyer = await _buyer_of(session, buyer_id)
        for match in picked:
            booth = await session.get(Booth, match.booth_id)
            assert booth is not None
            if (buyer_id, booth.id) in taken:
                skipped += 1
                continue
            try:
                await _check_pair(session, fair, booth, buyer)
                created.append(
                    await _create(
                        session,
                        user,
                        ProposalKind.ORGANIZER,
                        fair,
                        booth,
                        buyer,
                        match.need_id,
                        "",
                        settings,
                        now,
                    )
                )
            except (ProposalRefused, ProposalExists):
                skipped += 1
    return TopProposed(created=created, skipped=skipped)


# Reading --------------------------------------------------------------------------------------


def status_at(proposal: Proposal, now: datetime) -> ProposalStatus:
    return ProposalStatus.EXPIRED if is_expired(proposal, now) else ProposalStatus(proposal.status)


async def _views(
    session: AsyncSession, user: User, proposals: Sequence[Proposal], now: datetime
) -> list[ProposalView]:
    booth_ids = {p.booth_id for p in proposals}
    fair_ids = {p.fair_id for p in proposals}
    buyer_ids = {p.buyer_id for p in proposals}
    booths = {b.id: b for b in await session.scalars(select(Booth).where(Booth.id.in_(booth_ids)))}
    fairs = {f.id: f for f in await session.scalars(select(Fair).where(Fair.id.in_(fair_ids)))}
    buyers = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(buyer_ids)))}
    return [
        ProposalView(
            proposal=p,
            fair=fairs[p.fair_id],
            booth=booths[p.booth_id],
            buyer=buyers[p.buyer_id],
            side=side_of(user, p, booths[p.booth_id]),
            status=status_at(p, now),
        )
        for p in proposals
    ]


async def my_proposals(
    session: AsyncSession,
    *,
    actor: User | None,
    fair_slug: str | None = None,
    now: datetime | None = None,
) -> list[ProposalView]:
    """The proposals the user made or is invited to (every one for organizers and staff),
    newest first; those past their time read as expired."""
    now = now or clock.now()
    user = require_user(actor)
    query = select(Proposal)
    if not user.has_role(*INSIDERS):
        owned = select(Booth.id).where(of_company(user))
        query = query.where(
            or_(
                Proposal.buyer_id == user.id,
                Proposal.proposed_by == user.id,
                Proposal.booth_id.in_(owned),
            )
        )
    if fair_slug:
        fair = await session.scalar(select(Fair).where(Fair.slug == fair_slug))
        if fair is None:
            raise ValidationFailed({"fair": lazy("There is no such fair.")})
        query = query.where(Proposal.fair_id == fair.id)
    found = list(
        await session.scalars(
            query.order_by(Proposal.created_at.desc(), Proposal.id).limit(MAX_LISTED)
        )
    )
    return await _views(session, user, found, now)


async def _load(
    session: AsyncSession, user: User, proposal_id: str
) -> tuple[Proposal, Booth, Side]:
    """A proposal the user is invited to answer; 404 for those who may not see it, 403 for
    those who may (its proposer, organizers) but are not asked."""
    proposal = None
    if len(proposal_id) <= 32:
        # Locked (PostgreSQL; SQLite writes one at a time): two sides answering at once
        # must not each see the other still pending and leave a yes-yes proposal unbooked.
        query = select(Proposal).where(Proposal.id == proposal_id).with_for_update()
        proposal = await session.scalar(query.execution_options(populate_existing=True))
    booth = await session.get(Booth, proposal.booth_id) if proposal else None
    if proposal is None or booth is None or not may_see(user, proposal, booth):
        raise ProposalNotFound()
    side = side_of(user, proposal, booth)
    if side is None:
        raise Forbidden(lazy("Only the invited sides answer a meeting proposal."))
    return proposal, booth, side


def _check_open(proposal: Proposal, now: datetime) -> None:
    if is_expired(proposal, now):
        raise ProposalExpired()
    if proposal.status != ProposalStatus.OPEN:
        raise ProposalClosed()


async def offered_slots(
    session: AsyncSession, proposal: Proposal, buyer: User, *, zone: str, now: datetime
) -> list[tuple[Slot, bool]]:
    """The free slots of the booth the buyer may pick, good-for-both first (the booking
    page's marks), at most ``SLOTS_OFFERED``."""
    fair = await session.get(Fair, proposal.fair_id)
    assert fair is not None
    start, end = booking.fair_window(fair)
    start = max(start, now)
    if start >= end:
        return []
    try:
        offer = await booking.offer(
            session, booth_id=proposal.booth_id, viewer=buyer, start=start, end=end, now=now
        )
    except DomainError:
        return []
    booth_party = Party(offer.availability.timezone, offer.exhibitor_country)
    buyer_party = viewer_party_of(buyer, zone)  # the buyer's working day, from the profile
    return best_first(offer.slots, booth_party, buyer_party)[:SLOTS_OFFERED]


# Answering ------------------------------------------------------------------------------------


async def accept(
    session: AsyncSession,
    *,
    actor: User | None,
    proposal_id: str,
    data: ProposalAccept,
    settings: Settings,
    address: str = "unknown",
    now: datetime | None = None,
) -> tuple[Proposal, Meeting | None]:
    """An invited side accepts: the buyer with the time they pick (any slot the booking path
    would take), the booth's side with nothing. When every invited side has accepted, the
    meeting is booked (409 when the time is taken meanwhile: the proposal stays open)."""
    now = now or clock.now()
    user = require_verified(actor)
    proposal, booth, side = await _load(session, user, proposal_id)
    _check_open(proposal, now)
    if side == "buyer":
        if data.start is None:
            raise StartNeeded()
        proposal.starts_at = await booking.check_slot(
            session,
            actor=user,
            booth_id=booth.id,
            start=data.start,
            timezone=data.timezone,
            now=now,
        )
        proposal.buyer_timezone = data.timezone or user.timezone
        proposal.interpreter_language = data.interpreter_language
        proposal.buyer_answer, proposal.buyer_answered_at = Answer.ACCEPTED, now
    else:
        if data.start is not None or data.interpreter_language is not None:
            raise ValidationFailed({"start": lazy("The buyer chooses the time.")})
        proposal.booth_answer, proposal.booth_answered_at = Answer.ACCEPTED, now
    proposal.updated_at = now
    await session.flush()
    if waiting_for(proposal):
        return proposal, None
    meeting = await _book(session, proposal, booth, user, side, settings, address, now)
    return proposal, meeting


async def _book(
    session: AsyncSession,
    proposal: Proposal,
    booth: Booth,
    user: User,
    side: Side,
    settings: Settings,
    address: str,
    now: datetime,
) -> Meeting:
    buyer = user if side == "buyer" else await session.get(User, proposal.buyer_id)
    assert buyer is not None and proposal.starts_at is not None
    source = (
        MeetingSource.PROPOSED if proposal.kind == ProposalKind.ORGANIZER else MeetingSource.INVITED
    )
    try:
        # In a savepoint: a refused booking leaves no meeting row behind.
        async with session.begin_nested():
            meeting = await booking.book(
                session,
                actor=buyer,
                booth_id=booth.id,
                start=proposal.starts_at,
                timezone=proposal.buyer_timezone,
                interpreter_language=proposal.interpreter_language,
                now=now,
                # The buyer's own booking counts against their limits; the booth's yes
                # books the time the buyer chose earlier.
                limits=settings if side == "buyer" else None,
                address=address,
                source=source,
                confirmed=True,
            )
    except (SlotTaken, NotBookable, BadTime):
        if side == "buyer":
            raise  # the request rolls back: the proposal stays open as it was
        proposal.buyer_answer, proposal.buyer_answered_at = Answer.PENDING, None
        proposal.starts_at = None
        await session.flush()
        await jobs.queue_mail(session, proposal, proposal.buyer_id, "time_gone", now)
        raise TimeGone() from None
    proposal.status, proposal.meeting_id, proposal.updated_at = (
        ProposalStatus.BOOKED,
        meeting.id,
        now,
    )
    await session.flush()
    if proposal.proposed_by and proposal.proposed_by not in {buyer.id, booth.owner_id}:
        await jobs.queue_mail(session, proposal, proposal.proposed_by, "accepted", now)
    return meeting


async def decline(
    session: AsyncSession,
    *,
    actor: User | None,
    proposal_id: str,
    reason: str,
    now: datetime | None = None,
) -> Proposal:
    """An invited side declines: the proposal is over; the proposer is mailed."""
    now = now or clock.now()
    user = require_user(actor)
    proposal, _, side = await _load(session, user, proposal_id)
    _check_open(proposal, now)
    if side == "buyer":
        proposal.buyer_answer, proposal.buyer_answered_at = Answer.DECLINED, now
    else:
        proposal.booth_answer, proposal.booth_answered_at = Answer.DECLINED, now
    proposal.status, proposal.decline_reason, proposal.updated_at = (
        ProposalStatus.DECLINED,
        reason,
        now,
    )
    await session.flush()
    if proposal.proposed_by:
        await jobs.queue_mail(session, proposal, proposal.proposed_by, "declined", now)
    return proposal
