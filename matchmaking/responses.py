"""Matchmaking's response shapes (``fair.api``): they serialize the responses and describe
them in ``/api/openapi.json``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from booths.responses import Money
from fair.api import Instant, Texts
from matchmaking import models
from matchmaking.models import Answer, ProposalKind, ProposalStatus
from matchmaking.proposals import ProposalView
from meetings.responses import LocalTime
from meetings.slots import local_iso


class Quantity(BaseModel):
    amount: int
    unit: str


class Price(BaseModel):
    amount: Money
    currency: str


class TimeFrame(BaseModel):
    from_: date | None = Field(serialization_alias="from")  # null: open
    until: date | None  # null: open


class Need(BaseModel):
    id: str
    fair: str | None  # the fair's slug; null: a standing need
    text: str
    categories: list[str]
    hs_codes: list[str]
    quantity: Quantity | None
    target_price: Price | None
    time_frame: TimeFrame | None  # when the buyer buys
    certifications: list[str]
    markets: list[str]
    languages: list[str]
    visible_to_exhibitors: bool
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, need: models.Need, fair_slug: str | None) -> Need:
        quantity = None
        if need.quantity_amount is not None and need.quantity_unit:
            quantity = Quantity(amount=need.quantity_amount, unit=need.quantity_unit)
        price = None
        if need.price_amount is not None and need.price_currency:
            price = Price(amount=Decimal(need.price_amount), currency=need.price_currency)
        time_frame = None
        if need.time_from is not None or need.time_until is not None:
            time_frame = TimeFrame(from_=need.time_from, until=need.time_until)
        return cls(
            id=need.id,
            fair=fair_slug,
            text=need.text,
            categories=list(need.categories),
            hs_codes=list(need.hs_codes),
            quantity=quantity,
            target_price=price,
            time_frame=time_frame,
            certifications=list(need.certifications),
            markets=list(need.markets),
            languages=list(need.languages),
            visible_to_exhibitors=need.visible_to_exhibitors,
            created_at=need.created_at,
            updated_at=need.updated_at,
        )


class Needs(BaseModel):
    items: list[Need]


class MatchReason(BaseModel):
    code: str  # hs, hs_related, category, text, certification, minimum_order, market, ...
    text: str  # in the viewer's language


class Recommendation(BaseModel):
    booth_id: str
    score: float
    reasons: list[MatchReason]
    product_ids: list[str]


class Recommendations(BaseModel):
    items: list[Recommendation]


class LeadBuyer(BaseModel):
    id: str
    name: str
    company: str
    country: str


class Lead(BaseModel):
    buyer: LeadBuyer
    need_id: str
    score: float
    reasons: list[MatchReason]


class Leads(BaseModel):
    items: list[Lead]


class FairMatch(BaseModel):
    buyer_id: str
    booth_id: str
    need_id: str
    score: float
    reasons: list[MatchReason]


class FairMatches(BaseModel):
    items: list[FairMatch]


class ProposalAnswer(BaseModel):
    """The answer to making, accepting or declining a proposal."""

    id: str
    status: ProposalStatus
    meeting_id: str | None = None


class TopProposals(BaseModel):
    """What "propose the top N to every buyer" made."""

    created: int
    skipped: int  # pairs already proposed, met, or that cannot meet
    ids: list[str]  # the new proposals


class ProposalBooth(BaseModel):
    id: str
    company: Texts


class ProposalSide(BaseModel):
    answer: Answer
    answered_at: LocalTime | None  # in the viewer's zone


class Proposal(BaseModel):
    id: str
    kind: ProposalKind  # organizer: both sides invited; exhibitor: the buyer invited
    fair: str  # the fair's slug
    booth: ProposalBooth
    buyer: LeadBuyer  # name, company, country: never the e-mail
    need_id: str | None
    note: str
    status: ProposalStatus  # an open one past its time reads as expired
    buyer_answer: ProposalSide
    booth_answer: ProposalSide | None  # null: the booth's side is not asked
    decline_reason: str
    start: LocalTime | None  # the time the buyer chose, in the viewer's zone
    meeting_id: str | None
    invited_as: Literal["buyer", "booth"] | None  # the viewer's side, when invited
    created_at: LocalTime
    expires_at: LocalTime

    @classmethod
    def of(cls, view: ProposalView, zone: str) -> Proposal:
        p = view.proposal

        def local(moment: datetime | None) -> str | None:
            return local_iso(moment, zone) if moment else None

        booth_side = None
        if p.booth_answer is not None:
            booth_side = ProposalSide(
                answer=Answer(p.booth_answer), answered_at=local(p.booth_answered_at)
            )
        return cls(
            id=p.id,
            kind=ProposalKind(p.kind),
            fair=view.fair.slug,
            booth=ProposalBooth(id=view.booth.id, company=dict(view.booth.company)),
            buyer=LeadBuyer(
                id=view.buyer.id,
                name=view.buyer.name,
                company=view.buyer.company,
                country=view.buyer.country,
            ),
            need_id=p.need_id,
            note=p.note,
            status=view.status,
            buyer_answer=ProposalSide(
                answer=Answer(p.buyer_answer), answered_at=local(p.buyer_answered_at)
            ),
            booth_answer=booth_side,
            decline_reason=p.decline_reason,
            start=local(p.starts_at),
            meeting_id=p.meeting_id,
            invited_as=view.side,
            created_at=local_iso(p.created_at, zone),
            expires_at=local_iso(p.expires_at, zone),
        )


class Proposals(BaseModel):
    items: list[Proposal]
    timezone: str  # the zone of every time shown
