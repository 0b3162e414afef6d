"""The fixed data set of the conversion report's tests (and the dashboard's): three fairs,
five booths, four buyers, eighteen meetings with outcome histories, rates and visits.

Every figure the report shows can be worked out by hand from the tables below; the tests
write those results as literals. Times are UTC; "JST date" is the meeting's date in Japan
(UTC+9), which is what the report filters and groups on.

Fairs (all published, Tokyo):

    slug      title (en)            starts_on    booths
    2025-11   November Fair 2025    2025-11-10   C3 (no category)
    2026-03   March Fair 2026       2026-03-30   A1 (metal_parts, cutlery_tools), B1 (ceramics)
    2026-05   May Fair 2026         2026-05-18   A2 (metal_parts), B2 (ceramics, food_beverage)

A1 and A2 belong to exhibitor ``kenji@tsubame.example``, B1 and B2 to
``yuki@kyoto-toubou.example``, C3 to ``aki@hokkaido-foods.example``.

Buyers: ``wei@`` CN locale zh_Hans, ``lan@`` VN vi, ``mei@`` TW **en**, ``john@`` US en.

    m    booth buyer UTC start    JST    status     attendance   current stage         interp.
    m1   A1    CN    03-30 01:00  03-30  confirmed  held         contract 1,000,000 JPY  zh_Hans
                                                               on 04-09 (after
                                                               follow_up, quote)
    m2   A1    VN    03-31 23:30  04-01  confirmed  held         contract 10,000.00 USD  vi
                                                               on 04-21
    m3   A1    TW    03-31 02:00  03-31  confirmed  held         follow_up (after a      -
                                                               VND contract)
    m4   A1    US    03-30 05:00  03-30  cancelled  -            - (was confirmed)       -
    m5   A1    US    04-01 03:00  04-01  confirmed  no_show_buy. - (m4 rebooked)         -
    m6   A1    CN    03-31 04:00  03-31  confirmed  too_short    -                       -
    m7   B1    VN    03-30 06:00  03-30  confirmed  held         contract 200,000,000    vi
                                                               VND on 04-06
    m8   B1    CN    03-31 23:30  04-01  confirmed  held         contract 5,000.00 EUR   -
                                                               on 04-13 (no rate)
    m9   B1    TW    03-30 07:00  03-30  confirmed  held         (no outcome yet)        -
    m10  B1    US    03-31 00:00  03-31  declined   -            - (never confirmed)     -
    m11  A2    CN    05-18 01:00  05-18  confirmed  held         no_deal (after          zh_Hans
                                                               follow_up)
    m12  A2    VN    05-19 02:00  05-19  confirmed  held         contract 2,000.55 USD   -
                                                               on 06-02
    m13  A2    US    05-19 03:00  05-19  confirmed  no_show_exh. -                       -
    m14  B2    TW    05-20 01:00  05-20  confirmed  held         contract 350,000 JPY    -
                                                               on 05-24
    m15  B2    CN    05-20 02:00  05-20  confirmed  no_show_both -                       -
    m16  C3    VN    11-10 01:00  11-10  confirmed  no_show_buy. -                       vi
    m17  C3    CN    11-11 01:00  11-11  cancelled  -            - (was confirmed)       -
    m18  C3    TW    11-11 02:00  11-11  confirmed  (undecided)  -                       -

Dates are in 2026 except m16–m18's (2025).

Exchange rates (JPY per unit): USD 150.5 from 2026-01-01, 140.123456 from 2026-04-01, 130
from 2026-06-01; VND 0.0061 from 2026-01-01; none for EUR. So m2 is at 140.123456 (its
UTC date, 03-31, would take 150.5) and m12 at 140.123456 (its contract day, 06-02, would
take 130).

Booth visits (kind ``booth``; a product view on A1 is not one): A1 2026-03-29 ×2, 03-30,
04-01; B1 03-30, 03-31; A2 05-17, 05-18 ×2; B2 05-19; C3 2025-11-09, 11-10.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from helpers import PASSWORD
from sqlalchemy.ext.asyncio import AsyncSession

from booths.analytics import tally_booth_visits
from booths.models import Booth, BoothStatus, BoothTag, TagKind, Visit, VisitKind
from fair.accounts import companies
from fair.accounts.models import Role, User
from fair.accounts.service import hash_password
from fair.fairs.models import Fair
from fair.money import ExchangeRate
from meetings.models import Attendance, Meeting, MeetingStatus, Outcome, Stage
from meetings.outcomes import make_current

# The `now` the tests pass: the targets' year is 2026.
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)

EXHIBITOR_A = "kenji@tsubame.example"
EXHIBITOR_B = "yuki@kyoto-toubou.example"
EXHIBITOR_C = "aki@hokkaido-foods.example"
BUYERS = {
    "CN": ("wei@shanghai-import.example", "zh_Hans", "Asia/Shanghai"),
    "VN": ("lan@saigon-trading.example", "vi", "Asia/Ho_Chi_Minh"),
    "TW": ("mei@taipei-goods.example", "en", "Asia/Taipei"),
    "US": ("john@portland-supply.example", "en", "America/Los_Angeles"),
}
STAFF = "sato@city-programme.example"
ORGANIZER = "tanaka@city-programme.example"
INTERPRETER = "linh@interpreters.example"

COMPANIES = {
    "A": {"ja": "燕ミガキ工業株式会社", "en": "Tsubame Migaki Kogyo"},
    "B": {"ja": "京都陶房", "en": "Kyoto Toubou Ceramics"},
    "C": {"en": "Hokkaido Foods"},
}


@dataclass
class DataSet:
    fairs: dict[str, Fair] = field(default_factory=dict)  # by slug
    booths: dict[str, Booth] = field(default_factory=dict)  # "A1", "B1", ...
    users: dict[str, User] = field(default_factory=dict)  # "A", "B", "C", "CN", ..., "staff"
    meetings: dict[str, Meeting] = field(default_factory=dict)  # "m1" ... "m18"


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def make_fairs(session: AsyncSession) -> dict[str, Fair]:
    fairs = {
        "2025-11": Fair(
            slug="2025-11",
            title={"en": "November Fair 2025"},
            starts_on=date(2025, 11, 10),
            ends_on=date(2025, 11, 12),
            booking_opens_on=date(2025, 10, 10),
        ),
        "2026-03": Fair(
            slug="2026-03",
            title={"en": "March Fair 2026", "ja": "2026年3月展示会"},
            starts_on=date(2026, 3, 30),
            ends_on=date(2026, 4, 1),
            booking_opens_on=date(2026, 3, 1),
        ),
        "2026-05": Fair(
            slug="2026-05",
            title={"en": "May Fair 2026"},
            starts_on=date(2026, 5, 18),
            ends_on=date(2026, 5, 20),
            booking_opens_on=date(2026, 4, 18),
        ),
    }
    for fair in fairs.values():
        fair.timezone = "Asia/Tokyo"
        fair.slot_minutes = 30
        fair.status = "published"
        session.add(fair)
    await session.flush()
    return fairs


@cache
def _password_hash() -> str:
    """One Argon2 hash of the tests' password for every person of the data set: hashing
    ten times per test would cost more than the rest of the test."""
    return hash_password(PASSWORD)


async def person(session: AsyncSession, role: Role, email: str, **fields: Any) -> User:
    """A user who can sign in with ``helpers.PASSWORD`` (like ``helpers.make_user``)."""
    user = User(
        email=email,
        password_hash=_password_hash(),
        name=fields.pop("name", email.split("@")[0].title()),
        role=role.value,
        membership=None,
        **fields,
    )
    session.add(user)
    await session.flush()
    await companies.ensure_company(session, user)  # a company of one, as registering makes
    return user


async def make_people(session: AsyncSession) -> dict[str, User]:
    users: dict[str, User] = {}
    for name, email in (("A", EXHIBITOR_A), ("B", EXHIBITOR_B), ("C", EXHIBITOR_C)):
        users[name] = await person(
            session, Role.EXHIBITOR, email, company=COMPANIES[name]["en"], country="JP"
        )
    for country, (email, locale, zone) in BUYERS.items():
        users[country] = await person(
            session, Role.BUYER, email, country=country, locale=locale, timezone=zone
        )
    users["staff"] = await person(session, Role.STAFF, STAFF, country="JP", locale="en")
    users["organizer"] = await person(session, Role.ORGANIZER, ORGANIZER, country="JP", locale="ja")
    users["interpreter"] = await person(
        session, Role.INTERPRETER, INTERPRETER, country="VN", languages=["ja", "vi"]
    )
    return users


def _booth(fair: Fair, owner: User, company: dict[str, str], categories: list[str]) -> Booth:
    return Booth(
        fair_id=fair.id,
        owner_id=owner.id,
        company_id=owner.company_id,
        company=company,
        status=BoothStatus.APPROVED,
        tags=[
            BoothTag(kind=TagKind.CATEGORY, code=code, position=n)
            for n, code in enumerate(categories)
        ],
    )


async def make_booths(
    session: AsyncSession, fairs: dict[str, Fair], users: dict[str, User]
) -> dict[str, Booth]:
    booths = {
        "A1": _booth(
            fairs["2026-03"], users["A"], COMPANIES["A"], ["metal_parts", "cutlery_tools"]
        ),
        "B1": _booth(fairs["2026-03"], users["B"], COMPANIES["B"], ["ceramics"]),
        "A2": _booth(fairs["2026-05"], users["A"], COMPANIES["A"], ["metal_parts"]),
        "B2": _booth(fairs["2026-05"], users["B"], COMPANIES["B"], ["ceramics", "food_beverage"]),
        "C3": _booth(fairs["2025-11"], users["C"], COMPANIES["C"], []),
    }
    session.add_all(booths.values())
    await session.flush()
    return booths


def _meeting(
    booth: Booth,
    buyer: User,
    start: datetime,
    *,
    status: str = MeetingStatus.CONFIRMED,
    confirmed: bool = True,
    attendance: str | None = None,
    interpreter: str | None = None,
) -> Meeting:
    return Meeting(
        booth_id=booth.id,
        buyer_id=buyer.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=status,
        confirmed_at=start - timedelta(days=10) if confirmed else None,
        buyer_timezone=buyer.timezone,
        attendance=attendance,
        interpreter_language=interpreter,
    )


async def add_outcomes(
    session: AsyncSession,
    meeting: Meeting,
    *entries: tuple[str, date, Decimal | None, str | None],
) -> None:
    """Append the history (stage, occurred_on, value, currency) in order; the last entry
    becomes the current one, as ``meetings.outcomes.record_outcome`` keeps it."""
    recorded = meeting.ends_at
    for stage, occurred_on, value, currency in entries:
        recorded += timedelta(hours=1)
        outcome = Outcome(
            meeting_id=meeting.id,
            stage=stage,
            value=value,
            currency=currency,
            occurred_on=occurred_on,
            recorded_at=recorded,
        )
        session.add(outcome)
        await session.flush()
        make_current(meeting, outcome)
    await session.flush()


async def make_meetings(
    session: AsyncSession, booths: dict[str, Booth], users: dict[str, User]
) -> dict[str, Meeting]:
    cn, vn, tw, us = users["CN"], users["VN"], users["TW"], users["US"]
    held, cancelled = Attendance.HELD, MeetingStatus.CANCELLED
    a1, b1, a2, b2, c3 = (booths[k] for k in ("A1", "B1", "A2", "B2", "C3"))
    meetings = {
        "m1": _meeting(a1, cn, utc(2026, 3, 30, 1), attendance=held, interpreter="zh_Hans"),
        "m2": _meeting(a1, vn, utc(2026, 3, 31, 23, 30), attendance=held, interpreter="vi"),
        "m3": _meeting(a1, tw, utc(2026, 3, 31, 2), attendance=held),
        "m4": _meeting(a1, us, utc(2026, 3, 30, 5), status=cancelled),
        "m5": _meeting(a1, us, utc(2026, 4, 1, 3), attendance=Attendance.NO_SHOW_BUYER),
        "m6": _meeting(a1, cn, utc(2026, 3, 31, 4), attendance=Attendance.TOO_SHORT),
        "m7": _meeting(b1, vn, utc(2026, 3, 30, 6), attendance=held, interpreter="vi"),
        "m8": _meeting(b1, cn, utc(2026, 3, 31, 23, 30), attendance=held),
        "m9": _meeting(b1, tw, utc(2026, 3, 30, 7), attendance=held),
        "m10": _meeting(
            b1, us, utc(2026, 3, 31, 0), status=MeetingStatus.DECLINED, confirmed=False
        ),
        "m11": _meeting(a2, cn, utc(2026, 5, 18, 1), attendance=held, interpreter="zh_Hans"),
        "m12": _meeting(a2, vn, utc(2026, 5, 19, 2), attendance=held),
        "m13": _meeting(a2, us, utc(2026, 5, 19, 3), attendance=Attendance.NO_SHOW_EXHIBITOR),
        "m14": _meeting(b2, tw, utc(2026, 5, 20, 1), attendance=held),
        "m15": _meeting(b2, cn, utc(2026, 5, 20, 2), attendance=Attendance.NO_SHOW_BOTH),
        "m16": _meeting(
            c3, vn, utc(2025, 11, 10, 1), attendance=Attendance.NO_SHOW_BUYER, interpreter="vi"
        ),
        "m17": _meeting(c3, cn, utc(2025, 11, 11, 1), status=cancelled),
        "m18": _meeting(c3, tw, utc(2025, 11, 11, 2)),
    }
    session.add_all(meetings.values())
    await session.flush()

    d = date
    await add_outcomes(
        session,
        meetings["m1"],
        (Stage.FOLLOW_UP, d(2026, 3, 31), None, None),
        (Stage.QUOTE, d(2026, 4, 5), Decimal("1200000"), "JPY"),
        (Stage.CONTRACT, d(2026, 4, 9), Decimal("1000000"), "JPY"),
    )
    await add_outcomes(
        session,
        meetings["m2"],
        (Stage.SAMPLE_SENT, d(2026, 4, 3), None, None),
        (Stage.CONTRACT, d(2026, 4, 21), Decimal("10000.00"), "USD"),
    )
    # A contract that fell through: back to follow-up, so no contract and no value.
    await add_outcomes(
        session,
        meetings["m3"],
        (Stage.CONTRACT, d(2026, 4, 1), Decimal("500000000"), "VND"),
        (Stage.FOLLOW_UP, d(2026, 4, 15), None, None),
    )
    await add_outcomes(
        session, meetings["m7"], (Stage.CONTRACT, d(2026, 4, 6), Decimal("200000000"), "VND")
    )
    await add_outcomes(
        session,
        meetings["m8"],
        (Stage.QUOTE, d(2026, 4, 2), Decimal("6000.00"), "EUR"),
        (Stage.CONTRACT, d(2026, 4, 13), Decimal("5000.00"), "EUR"),
    )
    await add_outcomes(
        session,
        meetings["m11"],
        (Stage.FOLLOW_UP, d(2026, 5, 19), None, None),
        (Stage.NO_DEAL, d(2026, 5, 25), None, None),
    )
    await add_outcomes(
        session,
        meetings["m12"],
        (Stage.QUOTE, d(2026, 5, 22), Decimal("2500.00"), "USD"),
        (Stage.CONTRACT, d(2026, 6, 2), Decimal("2000.55"), "USD"),
    )
    await add_outcomes(
        session, meetings["m14"], (Stage.CONTRACT, d(2026, 5, 24), Decimal("350000"), "JPY")
    )
    return meetings


async def make_rates(session: AsyncSession) -> None:
    for currency, valid_from, rate in (
        ("USD", date(2026, 1, 1), "150.5"),
        ("USD", date(2026, 4, 1), "140.123456"),
        ("USD", date(2026, 6, 1), "130"),
        ("VND", date(2026, 1, 1), "0.0061"),
    ):
        session.add(
            ExchangeRate(currency=currency, valid_from=valid_from, jpy_per_unit=Decimal(rate))
        )
    await session.flush()


async def make_visits(session: AsyncSession, booths: dict[str, Booth]) -> None:
    days: dict[str, list[date]] = {
        "A1": [date(2026, 3, 29), date(2026, 3, 29), date(2026, 3, 30), date(2026, 4, 1)],
        "B1": [date(2026, 3, 30), date(2026, 3, 31)],
        "A2": [date(2026, 5, 17), date(2026, 5, 18), date(2026, 5, 18)],
        "B2": [date(2026, 5, 19)],
        "C3": [date(2025, 11, 9), date(2025, 11, 10)],
    }
    for name, visit_days in days.items():
        booth = booths[name]
        await tally_booth_visits(session, Counter((booth.id, day) for day in visit_days))
        for n, day in enumerate(visit_days):
            session.add(
                Visit(
                    kind=VisitKind.BOOTH,
                    booth_id=booth.id,
                    subject_id=booth.id,
                    visitor_key=f"h:visitor-{n}",
                    day=day,
                )
            )
    # Not a booth visit: never counted.
    booth = booths["A1"]
    session.add(
        Visit(
            kind=VisitKind.PRODUCT,
            booth_id=booth.id,
            subject_id="p" * 32,
            visitor_key="h:visitor-0",
            day=date(2026, 3, 30),
        )
    )
    await session.flush()


async def build_report_data(session: AsyncSession) -> DataSet:
    """The whole data set, committed."""
    data = DataSet()
    data.users = await make_people(session)
    data.fairs = await make_fairs(session)
    data.booths = await make_booths(session, data.fairs, data.users)
    data.meetings = await make_meetings(session, data.booths, data.users)
    await make_rates(session)
    await make_visits(session, data.booths)
    await session.commit()
    return data


def by_key(groups: list[Any]) -> dict[str, Any]:
    """Groups (service objects or JSON dicts) by their key."""
    return {g["key"] if isinstance(g, dict) else g.key: g for g in groups}
