"""``fair demo`` is right at whatever instant it is loaded: the demo loaded as of instants
spread over a year (month starts and ends, a day no monthly fair takes bookings, a fair day,
the US and EU clock-change Sundays, New Year's Eve in Japan, 29 February, and the real now),
then checked through the API with the app's clock at that instant:

- at least five booths of fairs open for booking offer free times in the coming week, from
  the zones the programme's buyers live in;
- a buyer who registers there and then books one of those times;
- the README's demo pairs enter their meetings' rooms within ten minutes of the load and
  still can twenty minutes later (the second pair with its interpreter).

The past year's history is left out here (it touches nothing ahead of the load; its own
tests are tests/fair/test_demo_history.py). Every instant on SQLite, a few on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import confirm_email, registration

from demo import data as demo_data
from demo.loader import DEMO_PASSWORD, load
from demo.meetings import LIVE
from fair import clock
from fair.fairs.phase import monthly_dates
from fair.storage import LocalStorage

TOKYO = ZoneInfo("Asia/Tokyo")
BUYER_ZONES = (
    "Asia/Shanghai",
    "Asia/Ho_Chi_Minh",
    "Asia/Taipei",
    "Asia/Bangkok",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Berlin",
)
COMING_DAYS = 7
BOOTHS_WANTED = 5


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


def gap_day(year: int) -> date:
    """The first day of ``year`` after a monthly fair has ended on which the next one's
    booking has not opened yet (fairs five weeks apart leave such days)."""
    for month in range(1, 12):
        _, ended, _ = monthly_dates(year, month)
        _, _, opens = monthly_dates(year, month + 1)
        if (opens - ended).days > 1:
            return ended + timedelta(days=1)
    raise AssertionError(f"no gap between the fairs of {year}")


def instants() -> dict[str, datetime | None]:
    """Fixed days of 2027 and 2028 at hours across the day, by name, and the real now."""
    found: dict[str, datetime | None] = {}
    for month in (1, 4, 8, 11):
        last = (date(2027, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        for day, hour in ((1, 9), (10, 14), (20, 23), (last.day, 6)):
            found[f"2027-{month:02}-{day:02}"] = tokyo(date(2027, month, day), hour, 47)
    found["no-fair-booking"] = tokyo(gap_day(2027), 11, 5)
    starts, _, _ = monthly_dates(2027, 3)
    found["fair-day"] = tokyo(starts + timedelta(days=1), 15, 40)
    # US clocks go forward at 2:00 in New York on 14 March 2027; the EU's at 1:00 UTC on
    # 28 March; back on 31 October (EU) and 7 November (US).
    found["us-spring-sunday"] = datetime(2027, 3, 14, 7, 10, tzinfo=UTC)
    found["eu-spring-sunday"] = datetime(2027, 3, 28, 1, 5, tzinfo=UTC)
    found["eu-autumn-sunday"] = datetime(2027, 10, 31, 0, 55, tzinfo=UTC)
    found["us-autumn-sunday"] = datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    found["new-years-eve-japan"] = tokyo(date(2027, 12, 31), 23, 50)
    found["29-february-2028"] = tokyo(date(2028, 2, 29), 12, 0)
    found["now"] = None
    return found


INSTANTS = instants()
# The calendar is the same on both databases: every instant on SQLite, these on PostgreSQL.
ON_POSTGRES = ("now", "no-fair-booking", "new-years-eve-japan", "us-spring-sunday")
CASES = [("sqlite", name) for name in INSTANTS] + [("postgres", name) for name in ON_POSTGRES]


async def sign_in(client: Any, email: str) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text


async def bookable_booths(client: Any, at: datetime) -> dict[str, list[dict[str, Any]]]:
    """Booth id → its free slots in the coming week in each buyer zone, for every approved
    booth of every fair that takes bookings at ``at``."""
    fairs = (await client.get("/api/fairs")).json()["fairs"]
    open_fairs = [f["slug"] for f in fairs if f["phase"] in {"booking", "live"}]
    assert open_fairs, f"no fair takes bookings on {at:%Y-%m-%d %H:%M} UTC"
    found: dict[str, list[dict[str, Any]]] = {}
    for slug in open_fairs:
        booths = (await client.get(f"/api/fairs/{slug}/booths")).json()["booths"]
        for booth in booths:
            for zone in BUYER_ZONES:
                window = {
                    "tz": zone,
                    "from": at.isoformat(),
                    "to": (at + timedelta(days=COMING_DAYS)).isoformat(),
                }
                answer = await client.get(f"/api/booths/{booth['id']}/slots", params=window)
                assert answer.status_code == 200, answer.text
                found.setdefault(f"{booth['id']}|{zone}", answer.json()["slots"])
    return found


@pytest.mark.parametrize(("database_url", "name"), CASES, indirect=["database_url"])
async def test_the_demo_is_right_at_any_instant(app, client, session, tmp_path: Path, name):
    instant = INSTANTS[name] or clock.now()
    with clock.moved_to(instant):
        counts = await load(session, storage=LocalStorage(tmp_path / "media"), history=False)
        await session.commit()
        assert counts["live"] == len(LIVE)

        # Five booths with free times in the coming week, from every buyer zone.
        offered = await bookable_booths(client, instant)
        for zone in BUYER_ZONES:
            booths = {
                key.split("|")[0] for key, slots in offered.items() if key.endswith(zone) and slots
            }
            assert len(booths) >= BOOTHS_WANTED, (zone, len(booths))

        # A buyer who registers now books the first of them.
        registered = await client.post(
            "/api/auth/register", json=registration(email="new.buyer@example.vn")
        )
        assert registered.status_code == 201, registered.text
        await confirm_email(client, app, "new.buyer@example.vn")
        key, slots = next(
            (k, s) for k, s in offered.items() if s and k.endswith("|Asia/Ho_Chi_Minh")
        )
        booked = await client.post(
            "/api/meetings", json={"booth_id": key.split("|")[0], "start": slots[0]["start"]}
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["status"] in {"confirmed", "requested"}
        await client.post("/api/auth/logout")

    # The README's pairs: each side (and the interpreter) enters the room ten minutes after
    # the load and again twenty minutes after that.
    for buyer_index, exhibitor_index, language in LIVE:
        people = [demo_data.EXHIBITORS[exhibitor_index].email]
        people.append(demo_data.BUYERS[buyer_index].email)
        if language:
            people += [i.email for i in demo_data.INTERPRETERS if language in i.languages][:1]
        for later in (10, 30):
            with clock.moved_to(instant + timedelta(minutes=later)):
                for email in people:
                    await sign_in(client, email)
                    mine = (await client.get("/api/meetings")).json()["meetings"]
                    entered = [
                        m["id"]
                        for m in mine
                        if m["status"] == "confirmed"
                        and (await client.post(f"/api/meetings/{m['id']}/join")).status_code == 200
                    ]
                    assert len(entered) == 1, (email, later, instant)
                    await client.post("/api/auth/logout")
