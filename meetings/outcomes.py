"""What came of a held meeting: the exhibitor's append-only outcome history (the latest entry
is the current stage), the buyer's own view, and the reminders that ask for an outcome.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, Product
from booths.service import can_manage
from fair import clock, outbox
from fair.accounts.models import User
from fair.accounts.service import require_user
from fair.errors import BadRequest, Forbidden
from fair.i18n import lazy
from meetings import events
from meetings.access import load_meeting
from meetings.errors import WrongState
from meetings.models import (
    CLOSED_STAGES,
    Attendance,
    BuyerFeedback,
    BuyerView,
    Meeting,
    Outcome,
    Stage,
)

# After the meeting: ask the next day, then follow up while the negotiation is open.
ASK_AFTER = (timedelta(days=1), timedelta(days=30), timedelta(days=90), timedelta(days=180))


def _require_held(meeting: Meeting) -> None:
    if meeting.attendance != Attendance.HELD:
        raise WrongState(lazy("Outcomes are recorded for held meetings."))


async def record_outcome(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    stage: Stage,
    value: Decimal | None = None,
    currency: str | None = None,
    product_ids: list[str] | None = None,
    next_step: str = "",
    next_step_on: date | None = None,
    note: str = "",
    occurred_on: date | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Append an entry to the meeting's history; it becomes the current stage."""
    now = now or clock.now()
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    if not can_manage(actor, booth):
        raise Forbidden(lazy("Only the exhibitor records what came of a meeting."))
    _require_held(meeting)
    if (value is None) != (currency is None):
        raise BadRequest(lazy("Give the value together with its currency."), field="currency")
    occurred_on = occurred_on or now.date()
    if occurred_on < meeting.starts_at.date() - timedelta(days=1) or occurred_on > now.date():
        raise BadRequest(
            lazy("The date must be between the meeting and today."), field="occurred_on"
        )
    products = await _own_products(session, booth, product_ids or [])
    outcome = Outcome(
        meeting_id=meeting.id,
        stage=stage,
        value=value,
        currency=currency,
        product_ids=products,
        next_step=next_step,
        next_step_on=next_step_on,
        note=note,
        occurred_on=occurred_on,
        recorded_by=require_user(actor).id,
        recorded_at=now,
    )
    session.add(outcome)
    await session.flush()
    make_current(meeting, outcome)
    await session.flush()
    await events.publish(
        session,
        "outcome.recorded",
        meeting,
        booth,
        outcome_id=outcome.id,
        occurred_on=outcome.occurred_on.isoformat(),
    )
    return outcome


def make_current(meeting: Meeting, outcome: Outcome) -> None:
    """Point the meeting at its latest outcome and keep the copy the report reads."""
    meeting.current_outcome_id = outcome.id
    meeting.stage = outcome.stage
    meeting.stage_value = outcome.value
    meeting.stage_currency = outcome.currency
    meeting.stage_on = outcome.occurred_on


async def _own_products(session: AsyncSession, booth: Booth, product_ids: list[str]) -> list[str]:
    if not product_ids:
        return []
    found = set(
        (
            await session.scalars(
                select(Product.id).where(
                    Product.booth_id == booth.id, Product.id.in_(set(product_ids))
                )
            )
        ).all()
    )
    if len(found) != len(set(product_ids)):
        raise BadRequest(lazy("Choose products of this booth."), field="product_ids")
    return [pid for pid in dict.fromkeys(product_ids)]


async def history(
    session: AsyncSession, *, actor: User | None, meeting_id: str
) -> tuple[Meeting, Booth, list[Outcome], BuyerFeedback | None]:
    """The outcome history, newest first, for the exhibitor and the programme's staff; the
    buyer sees only their own view."""
    meeting, booth = await load_meeting(session, meeting_id, actor=actor)
    user = require_user(actor)
    entries: list[Outcome] = []
    if user.id != meeting.buyer_id and user.id != meeting.interpreter_id:
        entries = list(
            (
                await session.scalars(
                    select(Outcome)
                    .where(Outcome.meeting_id == meeting.id)
                    .order_by(Outcome.recorded_at.desc(), Outcome.id.desc())
                )
            ).all()
        )
    feedback = await session.get(BuyerFeedback, meeting.id)
    return meeting, booth, entries, feedback


async def give_feedback(
    session: AsyncSession,
    *,
    actor: User | None,
    meeting_id: str,
    view: BuyerView,
    note: str = "",
) -> BuyerFeedback:
    """The buyer's own view of a held meeting; giving it again replaces it."""
    meeting, _booth = await load_meeting(session, meeting_id, actor=actor)
    if require_user(actor).id != meeting.buyer_id:
        raise Forbidden(lazy("Only the buyer gives the buyer's view."))
    _require_held(meeting)
    feedback = await session.get(BuyerFeedback, meeting.id)
    if feedback is None:
        feedback = BuyerFeedback(meeting_id=meeting.id, view=view, note=note)
        session.add(feedback)
    else:
        feedback.view, feedback.note = view, note
    await session.flush()
    return feedback


async def queue_outcome_requests(session: AsyncSession, meeting: Meeting) -> None:
    """Once a meeting is held: ask its exhibitor for an outcome the next day and at 30, 90
    and 180 days (each request checks that the negotiation is still open)."""
    for after in ASK_AFTER:
        await outbox.enqueue(
            session,
            "ask_for_outcome",
            key=f"outcome-ask:{meeting.id}:{after.days}",
            run_at=meeting.ends_at + after,
            meeting_id=meeting.id,
            days=after.days,
        )


def still_open(meeting: Meeting, current: Outcome | None) -> bool:
    return meeting.attendance == Attendance.HELD and (
        current is None or current.stage not in CLOSED_STAGES
    )
