"""``fair demo``: a programme in its second year, from the data in ``demo/data/``."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.sandbox import Limits, Sandbox
from demo import conversations as conversations_demo
from demo import data as demo_data
from demo import matchmaking as matchmaking_demo
from demo import meetings as meetings_demo
from demo.booths import load_booths
from demo.invitations import load_invitations
from demo.meetings import LIVE
from fair import clock
from fair.accounts.models import Company, CompanyMember, CompanyRole, Role, User
from fair.accounts.service import create_user, hash_password
from fair.config import Settings
from fair.fairs.models import Fair
from fair.fairs.phase import Phase, local_today
from fair.fairs.service import is_monthly, phase_of, plan_year
from fair.fairs.themes import FAIR_THEMES
from fair.money import ExchangeRate
from fair.storage import Storage
from fair.webhooks.models import WebhookEndpoint
from fair.webhooks.service import new_secret

DEMO_PASSWORD = "kakehashi-demo-2026"  # noqa: S105 (documented in the README for the demo)
ORGANIZER_EMAIL = demo_data.PEOPLE.organizer.email
STAFF_EMAIL = demo_data.PEOPLE.staff.email
TOKYO = "Asia/Tokyo"
# The open day runs from the day before the load to this many days after it.
OPEN_DAY_DAYS_AHEAD = 6
RATES = demo_data.PROGRAMME.rates


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(User))


async def is_demo(session: AsyncSession) -> bool:
    """The database holds the demo (its organizer's account), so loading again only adds."""
    return bool(await session.scalar(select(User.id).where(User.email == ORGANIZER_EMAIL)))


# The first exhibitor's overseas-sales person, a second member of its company: she edits the
# booth and hosts meetings as much as its president does.
COLLEAGUE_EMAIL = "sales@tsubame-migaki.example"
COLLEAGUE_NAME = "Aya Nakamura"


async def _colleague_and_confirmations(
    session: AsyncSession, person: Any, counts: dict[str, int]
) -> None:
    """A second member in the first demo exhibitor's company, and the organizers' confirmation
    of every demo exhibitor's company but the last (which waits in their list)."""
    first = demo_data.EXHIBITORS[0]
    owner = await session.scalar(select(User).where(User.email == first.email))
    assert owner is not None and owner.membership is not None
    if not await session.scalar(select(User.id).where(User.email == COLLEAGUE_EMAIL)):
        await person(
            COLLEAGUE_EMAIL,
            COLLEAGUE_NAME,
            Role.EXHIBITOR,
            company=first.company["en"],
            country=first.country,
            timezone=first.timezone,
            locale="en",
            languages=["ja", "en", "zh-Hans"],
            with_company=False,
        )
        colleague = await session.scalar(select(User).where(User.email == COLLEAGUE_EMAIL))
        assert colleague is not None
        colleague.membership = CompanyMember(
            company=owner.membership.company,
            company_id=owner.membership.company_id,
            user_id=colleague.id,
            role=CompanyRole.MEMBER,
        )
    organizer = await session.scalar(
        select(User).where(User.email == demo_data.PEOPLE.organizer.email)
    )
    emails = [exhibitor.email for exhibitor in demo_data.EXHIBITORS[:-1]]
    companies = await session.scalars(
        select(Company)
        .join(CompanyMember, CompanyMember.company_id == Company.id)
        .join(User, User.id == CompanyMember.user_id)
        .where(User.email.in_(emails), Company.confirmed_at.is_(None))
    )
    for company in companies.unique():
        company.confirmed_at = clock.now()
        company.confirmed_by = organizer.id if organizer else None
    await session.flush()


async def load(
    session: AsyncSession,
    *,
    storage: Storage | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
    history: bool = True,
) -> dict[str, int]:
    """The demo programme as of ``now`` (default: the clock's now), chosen by phase, never by
    calendar month, so that it is right at whatever instant it is loaded:

    - the people, last, this and next year's monthly fairs and the staff's exchange rates;
    - given a media storage, the booths of the *current* fair (the first monthly fair not
      over yet) and of the one after it, all of them publishing meeting hours, with the demo
      bookings in the current fair once its booking has opened;
    - an *open day*: a short fair around today, live now, whose booths meet every day, with
      two meetings whose rooms are open now (``demo.meetings.LIVE``, one with an
      interpreter), so that a newcomer can book a time and enter a meeting at once;
    - the past year's fairs as they happened (``demo.meetings.load_history``; ``history``
      False leaves them out, for tests of the fairs ahead, which it does not touch).

    Everything runs with the clock moved to ``now``. Idempotent: people, booths, hours and
    rates that exist are left alone, fairs are planned only where missing, a fair that has
    meetings (or visits) gets none added, and a live meeting is added only where the pair has
    no open room; so loading again later brings a demo database up to that later instant.
    """
    now = now or clock.now()
    with clock.moved_to(now):
        return await _load(session, storage, now, settings or Settings(), history)


async def _load(
    session: AsyncSession,
    storage: Storage | None,
    now: datetime,
    settings: Settings,
    history: bool,
) -> dict[str, int]:
    counts = {
        "users": 0,
        "fairs": 0,
        "booths": 0,
        "meetings": 0,
        "live": 0,
        "held": 0,
        "contracts": 0,
        "visits": 0,
        "rates": 0,
        "needs": 0,
        "proposals": 0,
    }

    shared_hash: list[str] = []  # every demo account has the one published password

    async def person(email: str, name: str, role: Role, **extra: object) -> None:
        if await session.scalar(select(User.id).where(User.email == email)):
            return
        if not shared_hash:
            shared_hash.append(hash_password(DEMO_PASSWORD))
        await create_user(
            session,
            email=email,
            password=DEMO_PASSWORD,
            name=name,
            role=role,
            password_hash=shared_hash[0],
            verified=True,  # the demo's people are the programme's own, their mail ours
            **extra,  # type: ignore[arg-type]
        )
        counts["users"] += 1

    for official, role in (
        (demo_data.PEOPLE.organizer, Role.ORGANIZER),
        (demo_data.PEOPLE.staff, Role.STAFF),
    ):
        await person(
            official.email,
            official.name,
            role,
            company=official.company,
            country=official.country,
            locale=official.locale,
        )
    for exhibitor in demo_data.EXHIBITORS:
        await person(
            exhibitor.email,
            exhibitor.name,
            Role.EXHIBITOR,
            company=exhibitor.company["en"],
            country=exhibitor.country,
            timezone=exhibitor.timezone,
            locale=exhibitor.locale,
            languages=list(exhibitor.languages),
        )
    await _colleague_and_confirmations(session, person, counts)
    for buyer in demo_data.BUYERS:
        await person(
            buyer.email,
            buyer.name,
            Role.BUYER,
            company=buyer.company,
            country=buyer.country,
            timezone=buyer.timezone,
            locale=buyer.locale,
        )
    for interpreter in demo_data.INTERPRETERS:
        await person(
            interpreter.email,
            interpreter.name,
            Role.INTERPRETER,
            company=interpreter.company,
            country=interpreter.country,
            languages=list(interpreter.languages),
        )
    today = local_today(now, TOKYO)
    for year in (today.year - 1, today.year, today.year + 1):
        counts["fairs"] += len(await plan_year(session, year=year, titles=FAIR_THEMES))
    open_day, made = await _open_day(session, today)
    counts["fairs"] += made
    counts["rates"] = await _rates(session, now)
    organizer = await session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    if storage is None or organizer is None:
        return counts
    current, following = await season(session, now)
    # The demo's pictures are checked in media workers as any upload is.
    sandbox = Sandbox(Limits.from_settings(settings))
    try:
        counts["booths"] = await load_booths(
            session,
            storage=storage,
            sandbox=sandbox,
            settings=settings,
            organizer=organizer,
            current=current,
            following=following,
            open_day=open_day,
            now=now,
        )
    finally:
        await sandbox.aclose()
    await meetings_demo.publish_hours(session, current)
    await meetings_demo.publish_hours(session, following)
    await meetings_demo.publish_hours(session, open_day, every_day=True)
    # The demo bookings go where booking is open: the current fair once it has opened,
    # else the open day's coming days.
    if phase_of(current, now) in {Phase.BOOKING, Phase.LIVE}:
        counts["meetings"] = await meetings_demo.book_upcoming(
            session, current, current.starts_on, now
        )
    else:
        counts["meetings"] = await meetings_demo.book_upcoming(
            session, open_day, today + timedelta(days=1), now
        )
    counts["live"] = await meetings_demo.load_live(
        session, fair=open_day, organizer=organizer, now=now, settings=settings
    )
    counts["needs"] = await matchmaking_demo.load_needs(session)
    counts["proposals"] = await matchmaking_demo.load_proposals(
        session, fair=open_day, organizer=organizer, settings=settings, now=now
    )
    counts["messages"] = await conversations_demo.load_conversations(
        session, fair=open_day, now=now
    )
    if history:
        past = await meetings_demo.load_history(
            session, organizer=organizer, current=current, now=now, settings=settings
        )
        for name, added in past.items():
            counts[name] += added
    await load_invitations(
        session,
        fair=await invited_fair(session, now),
        organizer=organizer,
        now=now,
        settings=settings,
    )
    # Last, so that loading the demo sends it nothing.
    await _webhook(session, organizer)
    return counts


DEMO_WEBHOOK_URL = "https://crm.kakehashi-city.example/hooks/kakehashi"


async def _webhook(session: AsyncSession, organizer: User) -> None:
    """The city CRM's webhook endpoint, as the organizer would register it. Its host does
    not exist (``.example``), so what the demo's visitors do from now on shows as failed
    deliveries, retried, on the organizer's webhooks page."""
    if await session.scalar(
        select(WebhookEndpoint.id).where(WebhookEndpoint.created_by == organizer.id)
    ):
        return
    session.add(
        WebhookEndpoint(
            created_by=organizer.id,
            url=DEMO_WEBHOOK_URL,
            events=["booth.submitted", "booth.approved", "meeting.booked", "outcome.recorded"],
            secret=new_secret(),
        )
    )
    await session.flush()


async def season(session: AsyncSession, now: datetime) -> tuple[Fair, Fair]:
    """The current monthly fair (the first not over by today, in Tokyo) and the one after
    it; both exist once this and next year's fairs are planned."""
    today = local_today(now, TOKYO)
    coming = (
        await session.scalars(
            select(Fair)
            .where(Fair.ends_on >= today, Fair.status == "published")
            .order_by(Fair.starts_on)
        )
    ).all()
    monthly = [fair for fair in coming if is_monthly(fair)]
    return monthly[0], monthly[1]


async def invited_fair(session: AsyncSession, now: datetime) -> Fair:
    """The monthly fair after the following one: the demo's fair for admitted buyers only
    (no demo meetings are booked in it, so admission changes none of them)."""
    today = local_today(now, TOKYO)
    coming = await session.scalars(
        select(Fair)
        .where(Fair.ends_on >= today, Fair.status == "published")
        .order_by(Fair.starts_on)
    )
    return [fair for fair in coming if is_monthly(fair)][2]


def open_day_slug(today: date) -> str:
    return f"open-day-{today.isoformat()}"


async def _open_day(session: AsyncSession, today: date) -> tuple[Fair, int]:
    """The open day around ``today`` (Tokyo): from yesterday to six days on, booking open
    for two weeks already. Returns it and whether it was made now (1) or existed (0)."""
    slug = open_day_slug(today)
    existing = await session.scalar(select(Fair).where(Fair.slug == slug))
    if existing is not None:
        return existing, 0
    label = today.isoformat()
    fair = Fair(
        slug=slug,
        title={lang: f"{text} {label}" for lang, text in demo_data.OPEN_DAY_TITLE.items()},
        description=dict(demo_data.OPEN_DAY_DESCRIPTION),
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=OPEN_DAY_DAYS_AHEAD),
        booking_opens_on=today - timedelta(days=14),
        timezone=TOKYO,
        slot_minutes=30,
        status="published",
    )
    session.add(fair)
    await session.flush()
    return fair, 1


def demo_rate(currency: str, month: date) -> Decimal:
    """The demo's rate of ``currency`` from the first of ``month``: a slow swing of a few
    per cent around ``RATES`` (programme.toml), different for each currency, the same on
    every run."""
    base = RATES[currency]
    phase = sum(map(ord, currency)) % 7
    swing = 0.028 * math.sin((month.year * 12 + month.month) / 2.5 + phase)
    swing += 0.004 * math.sin((month.year * 12 + month.month) * 1.7 + phase)
    return (base * Decimal(str(round(1 + swing, 5)))).quantize(Decimal("0.000001"))


async def _rates(session: AsyncSession, now: datetime) -> int:
    """Monthly rates from January of last year to this month, set by the demo staff member,
    where missing."""
    staff = await session.scalar(select(User).where(User.email == STAFF_EMAIL))
    existing = set(
        (await session.execute(select(ExchangeRate.currency, ExchangeRate.valid_from)))
        .tuples()
        .all()
    )
    added = 0
    month = date(now.year - 1, 1, 1)
    while month <= now.date():
        for currency in RATES:
            if (currency, month) not in existing:
                session.add(
                    ExchangeRate(
                        currency=currency,
                        valid_from=month,
                        jpy_per_unit=demo_rate(currency, month),
                        set_by=staff.id if staff else None,
                        updated_at=datetime.combine(month, datetime.min.time(), UTC)
                        - timedelta(days=2),
                    )
                )
                added += 1
        month = (month + timedelta(days=32)).replace(day=1)
    await session.flush()
    return added


def live_accounts() -> list[str]:
    """How to meet in the demo's live rooms, one line per pair (for ``fair demo``)."""
    lines = []
    for buyer_index, exhibitor_index, language in LIVE:
        buyer = demo_data.BUYERS[buyer_index].email
        exhibitor = demo_data.EXHIBITORS[exhibitor_index].email
        line = f"meet now: {exhibitor} and {buyer}"
        if language:
            interpreter = next(i for i in demo_data.INTERPRETERS if language in i.languages)
            line += f" (interpreter {interpreter.email})"
        lines.append(line + f", password {DEMO_PASSWORD}, in two browser windows")
    return lines
