"""Builders the booth tests share: a fair, exhibitors, booths in a given state."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from helpers import login, make_user, read_scalar

from fair import clock
from fair.fairs.models import Fair

TSUBAME = {
    "company": {"ja": "燕ミガキ工業株式会社", "en": "Tsubame Migaki Kogyo Co., Ltd."},
    "tagline": {
        "ja": "深絞りと鏡面研磨で、ステンレスを製品の顔に。",
        "en": "Deep drawing and mirror polishing for stainless steel.",
        "vi": "Dập sâu và đánh bóng gương cho thép không gỉ.",
    },
    "description": {
        "ja": "1952年創業の研磨専業メーカーです。",
        "en": "A polishing specialist founded in 1952.",
        "zh_Hans": "本公司创立于1952年，专门从事不锈钢镜面抛光。",
    },
    "categories": ["metal_parts", "cutlery_tools"],
    "markets": ["CN", "VN", "US"],
    "languages": ["ja", "en"],
    "certifications": ["ISO 9001"],
    "website": "https://www.tsubame-migaki.example",
}

TUMBLER = {
    "name": {"ja": "ステンレス真空タンブラー", "en": "Vacuum Tumbler 350 ml"},
    "description": {"ja": "鏡面研磨仕上げ。", "en": "Mirror-polished inside and out."},
    "hs_code": "961700",
    "moq": 300,
    "price_min": "1800",
    "price_max": "2600",
    "currency": "JPY",
    "lead_time_days": 45,
}


async def make_fair(session: Any, slug: str = "2027-06", *, days_from_now: int = 20) -> Fair:
    start = clock.now().date() + timedelta(days=days_from_now)
    fair = Fair(
        slug=slug,
        title={"en": f"Fair {slug}", "ja": f"展示会 {slug}"},
        starts_on=start,
        ends_on=start + timedelta(days=2),
        booking_opens_on=min(clock.now().date(), start),
        timezone="Asia/Tokyo",
        slot_minutes=30,
        status="published",
    )
    session.add(fair)
    await session.commit()
    return fair


async def past_fair(session: Any, slug: str = "2026-01") -> Fair:
    fair = Fair(
        slug=slug,
        title={"en": "Past fair"},
        starts_on=date(2026, 1, 20),
        ends_on=date(2026, 1, 22),
        booking_opens_on=date(2025, 12, 20),
        status="published",
    )
    session.add(fair)
    await session.commit()
    return fair


async def exhibitor(client: Any, session: Any, email: str, company: str) -> Any:
    user = await make_user(session, "exhibitor", email, company=company, country="JP")
    await login(client, email)
    return user


async def create_booth(client: Any, slug: str = "2027-06", **overrides: Any) -> dict[str, Any]:
    response = await client.post(f"/api/fairs/{slug}/booths", json={**TSUBAME, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def approve(client: Any, session: Any, booth_id: str) -> None:
    """Approve as an organizer, then sign back in as whoever was signed in is up to the test."""
    from sqlalchemy import select

    from fair.accounts.models import User

    email = "organizer@example.com"
    if not await read_scalar(session, select(User.id).where(User.email == email)):
        await make_user(session, "organizer", email)
    await login(client, email)
    response = await client.post(f"/api/booths/{booth_id}/approve")
    assert response.status_code == 200, response.text
