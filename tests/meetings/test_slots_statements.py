"""How many SQL statements the slots API sends (issue 19: 11 on PostgreSQL for a signed-in
buyer: the booth, its tags, its fair twice, its hours, the booth's meetings, the buyer's,
and the exhibitor's account with its company) and what each viewer is offered.

A count of statements is behaviour of the code, not a timing: each one is a round trip to
the database. A statement more fails here with the list shown."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import approve, create_booth, exhibitor
from helpers import Statements, login, make_client
from meeting_helpers import WEEKDAYS_9_TO_17, at_tokyo, book, booth_with_hours, buyer, next_weekday
from sqlalchemy import update

from fair.fairs.models import Fair
from fair.resources import of_app

# The signed-in account (the middleware), the booth with its fair, hours and exhibitor's
# country, and the meetings in the way: the booth's and the viewer's own, in one UNION ALL.
# SQLite adds its BEGIN and, when the pooled connection last served a write, the
# read-only pragma.
STATEMENTS = {"postgresql": 3, "sqlite": 5}
HOURS = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]  # Tokyo 09:00-16:30


def starts(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [slot["start"][11:16] for slot in answer.json()["slots"]]


async def test_each_viewer_is_offered_the_free_slots_in_three_statements(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, buffer_minutes=10)
    # A second booth, where the buyer Lan has a meeting at 13:00.
    async with make_client(app) as seki:
        await exhibitor(seki, session, "sales@seki.example", "Seki Kaji")
        second = await create_booth(seki, company={"ja": "関鍛冶", "en": "Seki Kaji"})
        hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
        assert (await seki.put(f"/api/booths/{second['id']}/availability", json=hours)).is_success
        await approve(seki, session, second["id"])
    await buyer(client, session, "wei@shanghai.example", timezone="Asia/Shanghai", country="CN")
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    await buyer(client, session)
    assert (await book(client, second["id"], at_tokyo(day, 13))).status_code == 201

    url = f"/api/booths/{booth['id']}/slots"
    params = {
        "tz": "Asia/Tokyo",
        "from": day.isoformat(),
        "to": (day + timedelta(days=1)).isoformat(),
        "order": "time",
    }
    engine = of_app(app).engine
    with Statements(engine) as sent:
        lans = await client.get(url, params=params)
    assert len(sent) <= STATEMENTS[engine.dialect.name], sent.listing()
    # Wei's meeting at 10:00 with its 10 minutes' buffer takes 09:30 to 10:30 for everyone;
    # Lan's own meeting elsewhere takes 13:00 for her alone.
    for_everyone = [h for h in HOURS if h not in {"09:30", "10:00", "10:30"}]
    assert starts(lans) == [h for h in for_everyone if h != "13:00"]
    assert lans.json()["booth_timezone"] == "Asia/Tokyo"
    assert lans.json()["slot_minutes"] == 30
    for email in ("kenji@tsubame.example", "organizer@example.com"):
        await login(client, email)
        assert starts(await client.get(url, params=params)) == for_everyone, email
    client.cookies.clear()
    with Statements(engine) as sent:
        anonymous = await client.get(url, params=params)
    assert len(sent) <= STATEMENTS[engine.dialect.name] - 1, sent.listing()
    assert starts(anonymous) == for_everyone
    # Marked good for both inside the working days of both sides, whoever asks.
    assert [s["good_for_both"] for s in anonymous.json()["slots"]] == [True] * len(for_everyone)


async def test_a_booth_in_review_and_a_fair_not_yet_booking(client, session, app):
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await exhibitor(client, session, "sales@seki.example", "Seki Kaji")
    pending = await create_booth(client, company={"ja": "関鍛冶", "en": "Seki Kaji"})
    hours = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0}
    assert (await client.put(f"/api/booths/{pending['id']}/availability", json=hours)).is_success
    url, params = (
        f"/api/booths/{pending['id']}/slots",
        {"tz": "Asia/Tokyo", "from": day.isoformat()},
    )
    # The booth in review: its own company and the organizers see its times; a buyer and
    # nobody, no booth.
    assert starts(await client.get(url, params=params))[:2] == ["09:00", "09:30"]
    await login(client, "organizer@example.com")
    assert starts(await client.get(url, params=params))[:2] == ["09:00", "09:30"]
    await buyer(client, session)
    missing = await client.get(url, params=params)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "booth_not_found")
    client.cookies.clear()
    assert (await client.get(url, params=params)).status_code == 404
    assert (await client.get(f"/api/booths/{'x' * 33}/slots")).status_code == 404

    # Before booking opens: no times, and no meetings read for them.
    await session.execute(update(Fair).values(booking_opens_on=day))
    await session.commit()
    await login(client, "lan@saigon.example")
    engine = of_app(app).engine
    with Statements(engine) as sent:
        closed = await client.get(f"/api/booths/{booth['id']}/slots", params=params)
    assert starts(closed) == []
    assert not sent.reading("meetings"), sent.listing()
