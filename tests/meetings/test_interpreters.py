"""Interpreters: an organizer assigns one who speaks the meeting's language; they see the
meeting and cannot be in two meetings at once. Holds keep overlapping meetings of
different lengths apart in the database itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import login, make_client, make_user
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday
from sqlalchemy.exc import IntegrityError

from meetings.booking import holds_for
from meetings.models import Meeting


async def test_organizer_assigns_an_interpreter_who_then_cannot_double_up(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    interpreter = await make_user(
        session, "interpreter", "mai@interpreters.example", languages=["ja", "vi"]
    )
    thai_only = await make_user(session, "interpreter", "somchai@interp.example", languages=["th"])
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "buyer", "hoa@hanoi.example")
    await login(client, "lan@saigon.example")
    first = (await book(client, booth["id"], at_tokyo(day, 10), interpreter_language="vi")).json()
    async with make_client(app) as other:
        await login(other, "hoa@hanoi.example")
        second = (
            await book(other, booth["id"], at_tokyo(day, 11), interpreter_language="vi")
        ).json()

    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    url = f"/api/meetings/{first['id']}/interpreter"
    wrong_language = await client.post(url, json={"user_id": thai_only.id})
    assert wrong_language.status_code == 400
    assigned = await client.post(url, json={"user_id": interpreter.id})
    assert (
        assigned.status_code,
        assigned.json()["interpreter_id"],
        assigned.json()["sequence"],
    ) == (
        200,
        interpreter.id,
        1,
    )
    # The same interpreter on a meeting at another time is fine...
    fine = await client.post(
        f"/api/meetings/{second['id']}/interpreter", json={"user_id": interpreter.id}
    )
    assert fine.status_code == 200

    await login(client, "mai@interpreters.example")
    seen = (await client.get("/api/meetings")).json()["meetings"]
    assert {m["id"] for m in seen} == {first["id"], second["id"]}
    invite = await client.get(f"/api/meetings/{first['id']}/invite.ics")
    assert b"mailto:mai@interpreters.example" in invite.content

    await login(client, "lan@saigon.example")
    forbidden = await client.post(url, json={"user_id": interpreter.id})
    assert forbidden.status_code == 403


async def test_interpreter_cannot_be_in_two_overlapping_meetings(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    # A second exhibitor's booth in the same fair, at the same hours.
    async with make_client(app) as seki:
        from booth_helpers import approve, create_booth, exhibitor

        await exhibitor(seki, session, "sales@seki.example", "Seki Kaji")
        other_booth = await create_booth(seki, company={"ja": "関鍛冶", "en": "Seki Kaji"})
        hours = {
            "timezone": "Asia/Tokyo",
            "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)],
            "min_notice_minutes": 0,
        }
        await seki.put(f"/api/booths/{other_booth['id']}/availability", json=hours)
        await approve(seki, session, other_booth["id"])
    interpreter = await make_user(session, "interpreter", "mai@interp.example", languages=["vi"])
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "buyer", "hoa@hanoi.example")
    await login(client, "lan@saigon.example")
    first = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    await login(client, "hoa@hanoi.example")
    clash = (await book(client, other_booth["id"], at_tokyo(day, 10))).json()
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    ok = await client.post(
        f"/api/meetings/{first['id']}/interpreter", json={"user_id": interpreter.id}
    )
    assert ok.status_code == 200
    busy = await client.post(
        f"/api/meetings/{clash['id']}/interpreter", json={"user_id": interpreter.id}
    )
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "not_bookable")
    again = (await client.get(f"/api/meetings/{clash['id']}")).json()
    assert again["interpreter_id"] is None


async def test_holds_refuse_overlapping_meetings_of_different_lengths(session):
    """Even if a check were skipped: a 60-minute meeting at 09:30 and a 30-minute one at
    10:00 share cells, and the database refuses the second."""
    from booth_helpers import make_fair

    from booths.models import Booth
    from fair.accounts.models import Role
    from fair.accounts.service import create_user

    fair = await make_fair(session)
    owner = await create_user(
        session,
        email="o@example.com",
        password="a long password 1",
        name="O",
        role=Role.EXHIBITOR,
        verified=True,
    )
    buyers = [
        await create_user(
            session,
            email=f"b{n}@example.com",
            password="a long password 1",
            name="B",
            role=Role.BUYER,
        )
        for n in range(2)
    ]
    booth = Booth(
        fair_id=fair.id,
        owner_id=owner.id,
        company_id=owner.company_id,
        company={"ja": "O"},
        tags=[],
    )
    session.add(booth)
    await session.flush()
    nine_thirty = datetime(2027, 6, 8, 0, 30, tzinfo=UTC)
    long = Meeting(
        booth_id=booth.id,
        buyer_id=buyers[0].id,
        starts_at=nine_thirty,
        ends_at=nine_thirty + timedelta(minutes=60),
        status="confirmed",
        buyer_timezone="UTC",
    )
    short = Meeting(
        booth_id=booth.id,
        buyer_id=buyers[1].id,
        starts_at=nine_thirty + timedelta(minutes=30),
        ends_at=nine_thirty + timedelta(minutes=60),
        status="confirmed",
        buyer_timezone="UTC",
    )
    session.add_all([long, short])
    await session.flush()
    session.add_all(holds_for(long, 0))
    await session.flush()
    session.add_all(holds_for(short, 0))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()
