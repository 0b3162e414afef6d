"""Matchmaking's response shapes (``fair.api``): they serialize the responses and describe
them in ``/api/openapi.json``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from booths.responses import Money
from fair.api import Instant
from matchmaking import models


class Quantity(BaseModel):
    amount: int
    unit: str


class Price(BaseModel):
    amount: Money
    currency: str


class Need(BaseModel):
    id: str
    fair: str | None  # the fair's slug; null: a standing need
    text: str
    categories: list[str]
    hs_codes: list[str]
    quantity: Quantity | None
    target_price: Price | None
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
        return cls(
            id=need.id,
            fair=fair_slug,
            text=need.text,
            categories=list(need.categories),
            hs_codes=list(need.hs_codes),
            quantity=quantity,
            target_price=price,
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
