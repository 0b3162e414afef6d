"""The conversion report: booth visits → bookings → held meetings → contracts, computed in SQL.

The definitions are the README's ("Outcomes and the conversion report: definitions"). A
meeting's date is its start in Japan time (Asia/Tokyo, no DST: UTC+9); ``start``/``end``
filter on it, inclusive, and the month grouping uses its ``YYYY-MM``.

How it is computed, so that a million meetings stay one pass over the table:

1. **Meetings, one statement.** The first pass reads each meeting in scope once, joined to
   its booth; the current stage, value, currency and date are read from the copy the
   meeting keeps of its latest outcome (``Meeting.stage`` ...), and it groups with
   conditional aggregates (``count(*) FILTER (WHERE ...)``) by fair, the grouping's key,
   and, for contracts only, the days to contract, the currency and the meeting's date
   (NULL for every other meeting, so the result stays small: fairs × keys × distinct
   contract days). The exchange rate is then looked up once per (currency, date) of that
   small result, never per meeting. From it the same statement rolls up three levels with
   ``UNION ALL``: the groups asked for (``g``), the fairs for the trend (``f``) and the
   total (``t``). The median days to contract comes from each level's day-count histogram
   with window functions (a running count of contracts over the days, in order), so it
   needs no ``percentile_cont`` and runs on SQLite too.
2. **Visits, one statement** over the daily counts per booth (``booth_visit_days``),
   rolled up the same way.
3. The targets' calendar-year actuals come out of statement 1 when the report's window
   covers the whole year (no fair, no dates, or dates around the year); otherwise one
   more aggregate over that year's held meetings.
4. Labels: fairs (and booths for the booth grouping) of the result, by primary key.

The category grouping counts a meeting under every category of its booth (and booths
without one under ``"none"``): the groups' sums may then exceed the total. Visits are
attributable to fairs, months (the visit's day), booths and categories only; the buyer
country, language (the buyer's ``locale``) and interpreter groups have ``visits=None``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, BoothTag, TagKind, VisitDay
from booths.taxonomy import category_label
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.db import utcnow
from fair.errors import BadRequest
from fair.fairs.models import Fair
from fair.fairs.service import get_fair
from fair.i18n import (
    current_language,
    gettext,
    language_in_viewer,
    lazy,
    pick_text,
    territory_name,
)
from fair.reports.models import ExchangeRate
from meetings.models import Attendance, Meeting, MeetingStatus, Stage

GROUPINGS = ("fair", "month", "booth", "category", "buyer_country", "language", "interpreter")
# Who may see a report: insiders see everything, an exhibitor their own booths.
REPORT_ROLES = (Role.ORGANIZER, Role.STAFF, Role.EXHIBITOR)
JAPAN = ZoneInfo("Asia/Tokyo")
NONE_KEY = "none"

NO_SHOWS = (Attendance.NO_SHOW_BUYER, Attendance.NO_SHOW_EXHIBITOR, Attendance.NO_SHOW_BOTH)
FOLLOW_UP_STAGES = (Stage.FOLLOW_UP, Stage.SAMPLE_SENT, Stage.QUOTE, Stage.CONTRACT)
# Groupings whose keys visits (anonymous or not, made before any booking) cannot carry.
UNATTRIBUTABLE_VISITS = ("buyer_country", "language", "interpreter")


@dataclass(frozen=True)
class Figures:
    visits: int | None  # None where visits cannot be attributed (see UNATTRIBUTABLE_VISITS)
    booked: int
    cancelled: int
    held: int
    no_show: int
    follow_up: int
    open: int
    contracts: int
    contract_value_jpy: Decimal
    unconverted_values: int  # contracts with a value whose currency has no rate on the date
    median_days_to_contract: float | None

    @property
    def conversion_rate(self) -> float | None:
        """Contracts ÷ held; None (shown as "–") when nothing was held."""
        return _ratio(self.contracts, self.held)

    @property
    def visit_to_booking(self) -> float | None:
        return _ratio(self.booked, self.visits)

    @property
    def booking_to_held(self) -> float | None:
        return _ratio(self.held, self.booked)


@dataclass(frozen=True)
class Group:
    key: str  # fair slug, "YYYY-MM", booth id, category code, ISO country, language, or "none"
    label: str  # for people, in the current language
    figures: Figures


@dataclass(frozen=True)
class Trend:
    """One row per fair in scope, oldest first."""

    fair_slug: str
    fair_title: str
    starts_on: date
    figures: Figures


@dataclass(frozen=True)
class Targets:
    """The programme's targets and this calendar year's actuals (in the viewer's scope)."""

    conversion_rate: float = 0.30
    fairs_per_year: int = 12
    meetings_per_year: int = 500
    year: int = 0
    fairs_this_year: int = 0  # fairs with at least one held meeting dated in that year
    meetings_this_year: int = 0  # held meetings dated in that year
    conversion_this_year: float | None = None


@dataclass(frozen=True)
class Report:
    group_by: str
    fair_slug: str | None
    start: date | None
    end: date | None
    booth_ids: tuple[str, ...] | None  # an exhibitor's own booths (in the fair), else None
    total: Figures
    groups: list[Group]
    trend: list[Trend]
    targets: Targets


def _ratio(part: int, whole: int | None) -> float | None:
    return part / whole if whole else None


def _yen(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def check_viewer(actor: User | None) -> User:
    """401 for nobody, 403 for buyers and interpreters."""
    return require_role(actor, *REPORT_ROLES)


def check_grouping(group_by: str) -> str:
    if group_by not in GROUPINGS:
        raise BadRequest(
            lazy(
                "Unknown grouping. Group by one of: fair, month, booth, category, "
                "buyer_country, language, interpreter."
            ),
            field="group_by",
        )
    return group_by


def check_window(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise BadRequest(lazy("The start date must not be after the end date."), field="from")


def _japan_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JAPAN).astimezone(UTC)


# --- the dialect switch: Japan-time date, month key, day difference --------------------


class _Dialect:
    """The few expressions PostgreSQL and SQLite write differently. Constants go into the
    SQL text (not parameters) so the same expression reads the same everywhere."""

    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def japan_date(self, moment: Any) -> Any:
        if self.postgres:
            # (starts_at AT TIME ZONE 'Asia/Tokyo')::date
            return cast(func.timezone(literal_column("'Asia/Tokyo'"), moment), Date)
        # Stored as UTC text; Japan has no daylight saving time.
        return func.date(moment, literal_column("'+9 hours'"))

    def japan_month(self, moment: Any) -> Any:
        if self.postgres:
            return func.to_char(self.japan_date(moment), literal_column("'YYYY-MM'"))
        return func.strftime(literal_column("'%Y-%m'"), moment, literal_column("'+9 hours'"))

    def month_of_day(self, day: Any) -> Any:
        if self.postgres:
            return func.to_char(day, literal_column("'YYYY-MM'"))
        return func.strftime(literal_column("'%Y-%m'"), day)

    def days_between(self, first: Any, last: Any) -> Any:
        """``last - first`` in whole days."""
        if self.postgres:
            return last.op("-", return_type=Integer)(first)
        return cast(func.julianday(last) - func.julianday(first), Integer)


# --- scope --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """Which filters a report applies. The statements depend on these, not on the values
    (bound when they run), so each shape's statements are built once per process: building
    them costs more than PostgreSQL needs for one fair's report.

    A fair is filtered by its booths' ids (looked up first), not by ``booths.fair_id``:
    with the ids PostgreSQL reads the fair's meetings through ``ix_meetings_booth_id_...``;
    with the join condition it scanned every meeting (one fair of a million meetings:
    342 -> 88 ms)."""

    booths: bool
    start: bool
    end: bool

    def meetings(self) -> list[Any]:
        conditions: list[Any] = []
        if self.booths:
            conditions.append(Meeting.booth_id.in_(bindparam("booth_ids", expanding=True)))
        if self.start:
            conditions.append(Meeting.starts_at >= bindparam("lower"))
        if self.end:
            conditions.append(Meeting.starts_at < bindparam("upper"))
        return conditions

    def visits(self) -> list[Any]:
        conditions: list[Any] = []
        if self.booths:
            conditions.append(VisitDay.booth_id.in_(bindparam("booth_ids", expanding=True)))
        if self.start:
            conditions.append(VisitDay.day >= bindparam("start"))
        if self.end:
            conditions.append(VisitDay.day <= bindparam("end"))
        return conditions


@dataclass(frozen=True)
class _Scope:
    booth_ids: tuple[str, ...] | None  # a fair's booths, an exhibitor's own, or None: all
    start: date | None
    end: date | None

    @property
    def shape(self) -> _Shape:
        return _Shape(
            booths=self.booth_ids is not None,
            start=self.start is not None,
            end=self.end is not None,
        )

    def params(self, year: tuple[datetime, datetime] | None = None) -> dict[str, Any]:
        """The values of the shape's parameters (and of the year's bounds)."""
        params: dict[str, Any] = {}
        if self.booth_ids is not None:
            params["booth_ids"] = list(self.booth_ids)
        if self.start is not None:
            params["start"] = self.start
            params["lower"] = _japan_midnight(self.start)  # meetings starting at or after
        if self.end is not None:
            params["end"] = self.end
            params["upper"] = _japan_midnight(self.end + timedelta(days=1))  # ... before
        if year is not None:
            params["year_start"], params["year_end"] = year
        return params


async def _booths(
    session: AsyncSession, *, owner: User | None = None, fair: Fair | None = None
) -> tuple[str, ...]:
    query = select(Booth.id)
    if owner is not None:
        query = query.where(Booth.owner_id == owner.id)
    if fair is not None:
        query = query.where(Booth.fair_id == fair.id)
    return tuple((await session.scalars(query.order_by(Booth.id))).all())


# --- statement 1: meetings ----------------------------------------------------------

_COUNTS = (
    "booked",
    "cancelled",
    "held",
    "no_show",
    "follow_up",
    "open",
    "contracts",
    "value_jpy",
    "unconverted",
)
_YEAR_COUNTS = ("held_year", "contracts_year")


def _rate_intervals() -> Any:
    """Each rate with the day its successor starts: one row matches a (currency, date)."""
    return select(
        ExchangeRate.currency,
        ExchangeRate.valid_from,
        ExchangeRate.jpy_per_unit,
        func.lead(ExchangeRate.valid_from)
        .over(partition_by=ExchangeRate.currency, order_by=ExchangeRate.valid_from)
        .label("valid_to"),
    ).subquery("rates")


def _meeting_key(dialect: _Dialect, group_by: str) -> Any:
    """The base key the first pass groups by (besides the fair); None for the fair."""
    if group_by == "month":
        return dialect.japan_month(Meeting.starts_at)
    if group_by in ("booth", "category"):
        return Meeting.booth_id
    if group_by == "buyer_country":
        return User.country
    if group_by == "language":
        return User.locale
    if group_by == "interpreter":
        return func.coalesce(Meeting.interpreter_language, literal_column(f"'{NONE_KEY}'"))
    return None


@cache
def _meeting_statement(dialect_name: str, shape: _Shape, group_by: str, with_year: bool) -> Any:
    dialect = _Dialect(dialect_name)
    japan_day = dialect.japan_date(Meeting.starts_at)
    is_contract = and_(Meeting.attendance == Attendance.HELD, Meeting.stage == Stage.CONTRACT)
    key = _meeting_key(dialect, group_by)
    keyed = [] if key is None else [key.label("x")]
    rows = (
        select(
            Booth.fair_id.label("fair_id"),
            *keyed,
            case((is_contract, dialect.days_between(japan_day, Meeting.stage_on))).label("days"),
            # A contract with a value carries its currency and, unless in yen, the date
            # whose rate converts it; every other meeting has NULL there. (An outcome has a
            # currency exactly when it has a value: a check constraint. Testing the
            # currency, not the value, keeps the planner's group estimate small.)
            case((is_contract, Meeting.stage_currency)).label("currency"),
            case((and_(is_contract, Meeting.stage_currency != "JPY"), japan_day)).label("rate_day"),
            Meeting.confirmed_at,
            Meeting.status,
            Meeting.attendance,
            Meeting.starts_at,
            Meeting.stage,
            Meeting.stage_value.label("value"),
        )
        .select_from(Meeting)
        .join(Booth, Booth.id == Meeting.booth_id)
    )
    if group_by in ("buyer_country", "language"):
        rows = rows.join(User, User.id == Meeting.buyer_id)
    rows = rows.where(*shape.meetings()).subquery("m")

    held = rows.c.attendance == Attendance.HELD
    contract = and_(held, rows.c.stage == Stage.CONTRACT)
    confirmed = rows.c.confirmed_at.is_not(None)
    cancelled = rows.c.status == MeetingStatus.CANCELLED
    count = func.count
    counts = [
        count().filter(and_(confirmed, rows.c.status != MeetingStatus.CANCELLED)).label("booked"),
        count().filter(and_(confirmed, cancelled)).label("cancelled"),
        count().filter(held).label("held"),
        count().filter(rows.c.attendance.in_(NO_SHOWS)).label("no_show"),
        count().filter(and_(held, rows.c.stage.in_(FOLLOW_UP_STAGES))).label("follow_up"),
        count()
        .filter(
            and_(
                held,
                or_(rows.c.stage.is_(None), rows.c.stage.not_in((Stage.NO_DEAL, Stage.CONTRACT))),
            )
        )
        .label("open"),
        count().filter(contract).label("contracts"),
        func.sum(rows.c.value).filter(rows.c.currency.is_not(None)).label("value_sum"),
        count().filter(rows.c.currency.is_not(None)).label("valued"),
    ]
    if with_year:
        in_year = and_(
            rows.c.starts_at >= bindparam("year_start"), rows.c.starts_at < bindparam("year_end")
        )
        counts += [
            count().filter(and_(held, in_year)).label("held_year"),
            count().filter(and_(contract, in_year)).label("contracts_year"),
        ]
    # First pass: one row per (fair, key, days to contract, currency, rate date); only
    # contracts split a group by the last three, so the rows are few.
    keys = [rows.c.fair_id, *([rows.c.x] if keyed else []), rows.c.days]
    first = select(*keys, rows.c.currency, rows.c.rate_day, *counts).group_by(
        *keys, rows.c.currency, rows.c.rate_day
    )
    first = first.cte("first")

    # The rate of each (currency, date) of the first pass: the greatest valid_from on or
    # before the meeting's date, found as the interval [valid_from, next valid_from) that
    # holds the date. Looked up once per distinct (currency, date), a few dozen, then
    # joined on equality: joining every row of the first pass to the intervals cost 20 ms
    # for one fair grouped by booth. Yen need none; a currency without one is counted, not
    # guessed.
    rates = _rate_intervals()
    pairs = (
        select(first.c.currency, first.c.rate_day)
        .where(first.c.rate_day.is_not(None))
        .distinct()
        .subquery("pairs")
    )
    day_rates = (
        select(pairs.c.currency, pairs.c.rate_day, rates.c.jpy_per_unit)
        .select_from(pairs)
        .join(
            rates,
            and_(
                rates.c.currency == pairs.c.currency,
                rates.c.valid_from <= pairs.c.rate_day,
                or_(rates.c.valid_to.is_(None), rates.c.valid_to > pairs.c.rate_day),
            ),
        )
        .subquery("day_rates")
    )
    rate = day_rates.c.jpy_per_unit
    carried = [first.c[name] for name in _COUNTS[:7] + (_YEAR_COUNTS if with_year else ())]
    base = (
        select(
            first.c.fair_id,
            *([first.c.x] if keyed else []),
            first.c.days,
            *carried,
            case(
                (first.c.currency == "JPY", first.c.value_sum), else_=first.c.value_sum * rate
            ).label("value_jpy"),
            case(
                (and_(first.c.rate_day.is_not(None), rate.is_(None)), first.c.valued), else_=0
            ).label("unconverted"),
        )
        .select_from(first)
        .outerjoin(
            day_rates,
            and_(
                day_rates.c.currency == first.c.currency,
                day_rates.c.rate_day == first.c.rate_day,
            ),
        )
        .cte("base")
    )
    names = _COUNTS + (_YEAR_COUNTS if with_year else ())
    return _levels(base, group_by, names, with_days=True)


def _levels(base: Any, group_by: str, names: tuple[str, ...], *, with_days: bool) -> Any:
    """Roll the base rows (one per fair, key[, days]) up into the groups (``g``), the fairs
    (``f``) and the total (``t``); with days, add each level's median days to contract."""
    days = [base.c.days] if with_days else []
    sums = [func.sum(base.c[name]).label(name) for name in names]

    def level(name: str, key: Any, source: Any) -> Any:
        # The total's key is a constant: PostgreSQL refuses a constant in GROUP BY.
        keys = [] if name == "t" else [key]
        return (
            select(literal_column(f"'{name}'").label("level"), key.label("key"), *days, *sums)
            .select_from(source)
            .group_by(*keys, *days)
        )

    parts = []
    if group_by == "category":
        tag_code = func.coalesce(BoothTag.code, literal_column(f"'{NONE_KEY}'"))
        tagged = base.outerjoin(
            BoothTag,
            and_(
                BoothTag.booth_id == base.c.x,
                BoothTag.kind == literal_column(f"'{TagKind.CATEGORY.value}'"),
            ),
        )
        parts.append(level("g", tag_code, tagged))
    elif group_by != "fair":
        parts.append(level("g", base.c.x, base))
    parts.append(level("f", base.c.fair_id, base))
    parts.append(level("t", literal_column("''"), base))
    levels = union_all(*parts).subquery("levels")

    outer = [func.sum(levels.c[name]).label(name) for name in names]
    if not with_days:
        return select(levels.c.level, levels.c.key, *outer).group_by(levels.c.level, levels.c.key)
    window = (levels.c.level, levels.c.key)
    ranked = select(
        levels,
        func.sum(levels.c.contracts)
        .over(partition_by=window, order_by=levels.c.days)
        .label("running"),
        func.sum(levels.c.contracts).over(partition_by=window).label("n"),
    ).subquery("ranked")
    # The median of a histogram: the days where the running count first reaches half the
    # contracts (the lower middle) and first passes it (the upper middle), averaged. Rows
    # without days hold no contracts, so they never move the running count.
    two = literal_column("2")
    lower = func.min(ranked.c.days).filter(two * ranked.c.running >= ranked.c.n)
    upper = func.min(ranked.c.days).filter(two * ranked.c.running > ranked.c.n)
    final = [func.sum(ranked.c[name]).label(name) for name in names]
    return select(
        ranked.c.level,
        ranked.c.key,
        *final,
        ((lower + upper) / literal_column("2.0")).label("median"),
    ).group_by(ranked.c.level, ranked.c.key)


# --- statement 2: visits ------------------------------------------------------------


@cache
def _visit_statement(dialect_name: str, shape: _Shape, group_by: str) -> Any:
    dialect = _Dialect(dialect_name)
    if group_by == "month":
        key: Any = dialect.month_of_day(VisitDay.day)
    elif group_by in ("booth", "category"):
        key = VisitDay.booth_id
    else:
        key = None
    base = (
        select(
            Booth.fair_id.label("fair_id"),
            (null() if key is None else key).label("x"),
            func.sum(VisitDay.visits).label("visits"),
        )
        .select_from(VisitDay)
        .join(Booth, Booth.id == VisitDay.booth_id)
        .where(*shape.visits())
        .group_by(Booth.fair_id, *([] if key is None else [key]))
        .cte("visit_base")
    )
    grouping = "fair" if group_by in UNATTRIBUTABLE_VISITS else group_by
    return _levels(base, grouping, ("visits",), with_days=False)


# --- statement 3: the year's actuals, when statement 1 does not cover the year -------


async def _year_actuals(
    session: AsyncSession, own: tuple[str, ...] | None, year: tuple[datetime, datetime]
) -> tuple[int, int, int]:
    """Held meetings and contracts of the year (at ``own`` booths only, for an exhibitor),
    and how many fairs held any."""
    params: dict[str, Any] = {"year_start": year[0], "year_end": year[1]}
    if own is not None:
        params["booth_ids"] = list(own)
    statement = _year_statement(own is not None)
    rows = (await session.execute(statement, params)).all()
    return sum(int(r.held) for r in rows), sum(int(r.contracts) for r in rows), len(rows)


@cache
def _year_statement(own_booths: bool) -> Any:
    """Counted per booth first (an index-only scan of ``ix_meetings_held_starts_at``), then
    per fair: a few hundred rows to join instead of every held meeting. Grouped by fair (a
    dozen rows a year) rather than counting distinct fairs, which PostgreSQL cannot spread
    over parallel workers."""
    per_booth = (
        select(
            Meeting.booth_id,
            func.count().label("held"),
            func.count().filter(Meeting.stage == Stage.CONTRACT).label("contracts"),
        )
        .where(
            Meeting.attendance == Attendance.HELD,
            Meeting.starts_at >= bindparam("year_start"),
            Meeting.starts_at < bindparam("year_end"),
        )
        .group_by(Meeting.booth_id)
    )
    if own_booths:
        per_booth = per_booth.where(Meeting.booth_id.in_(bindparam("booth_ids", expanding=True)))
    counted = per_booth.subquery("per_booth")
    return (
        select(
            Booth.fair_id,
            func.sum(counted.c.held).label("held"),
            func.sum(counted.c.contracts).label("contracts"),
        )
        .join(counted, counted.c.booth_id == Booth.id)
        .group_by(Booth.fair_id)
    )


@asynccontextmanager
async def _no_jit(session: AsyncSession, dialect_name: str) -> AsyncIterator[None]:
    """PostgreSQL only: run the report's statements without JIT compilation, then put the
    setting back (it is transaction-local either way).

    The planner cannot know that only contracts carry a day count, a currency and a date
    in the first pass, so it expects about one group per meeting; that estimate lifts the
    plan's cost over the JIT thresholds, and compiling then costs more than the query
    (measured on a million meetings: about 1 s of JIT for a 1.4 s statement)."""
    if dialect_name != "postgresql":
        yield
        return
    before = await session.scalar(
        select(func.current_setting(literal_column("'jit'"))).add_columns(
            func.set_config(literal_column("'jit'"), literal_column("'off'"), true())
        )
    )
    yield
    # Not in a finally: after a database error the transaction is lost anyway.
    await session.execute(select(func.set_config(literal_column("'jit'"), literal(before), true())))


# --- assembling the report ------------------------------------------------------------


def _figures(row: Any, visits: int | None) -> Figures:
    if row is None:
        zero = Figures(visits, 0, 0, 0, 0, 0, 0, 0, Decimal(0), 0, None)
        return zero
    return Figures(
        visits=visits,
        booked=int(row.booked or 0),
        cancelled=int(row.cancelled or 0),
        held=int(row.held or 0),
        no_show=int(row.no_show or 0),
        follow_up=int(row.follow_up or 0),
        open=int(row.open or 0),
        contracts=int(row.contracts or 0),
        contract_value_jpy=_yen(row.value_jpy),
        unconverted_values=int(row.unconverted or 0),
        median_days_to_contract=None if row.median is None else float(row.median),
    )


def meeting_statements(
    dialect_name: str,
    *,
    group_by: str = "fair",
    booths: bool = False,
    start: bool = False,
    end: bool = False,
    with_year: bool = False,
) -> tuple[Any, Any]:
    """The two statements of a report (meetings, visits) for the filters it applies (a
    fair's or an exhibitor's booths, dates), with their parameters unbound: for review and
    benchmarks."""
    shape = _Shape(booths=booths, start=start, end=end)
    return (
        _meeting_statement(dialect_name, shape, group_by, with_year),
        _visit_statement(dialect_name, shape, group_by),
    )


def _label(group_by: str, key: str, fairs: dict[str, Fair], booths: dict[str, Any]) -> str:
    if group_by == "fair":
        fair = fairs.get(key)
        return pick_text(fair.title)[0] if fair else key
    if group_by == "booth":
        company = booths.get(key)
        return pick_text(company)[0] or key if company else key
    if group_by == "category":
        if key == NONE_KEY:
            return gettext("No category")
        return category_label(key, current_language())
    if group_by == "buyer_country":
        return territory_name(key) if key else gettext("Not given")
    if group_by == "language":
        return language_in_viewer(key) if key else gettext("Not given")
    if group_by == "interpreter":
        return gettext("No interpreter") if key == NONE_KEY else language_in_viewer(key)
    return key


async def conversion_report(
    session: AsyncSession,
    *,
    actor: User | None,
    fair_slug: str | None = None,
    start: date | None = None,
    end: date | None = None,
    group_by: str = "fair",
    now: datetime | None = None,
) -> Report:
    """The conversion report in ``actor``'s scope: organizers and staff see every booth,
    an exhibitor only their own (401 for nobody, 403 for buyers and interpreters)."""
    user = check_viewer(actor)
    check_grouping(group_by)
    check_window(start, end)
    fair = await get_fair(session, fair_slug, viewer=user) if fair_slug else None
    exhibitor = user.role == Role.EXHIBITOR
    booth_ids = await _booths(session, owner=user, fair=fair) if exhibitor else None
    in_scope = booth_ids
    if in_scope is None and fair is not None:
        in_scope = await _booths(session, fair=fair)
    scope = _Scope(booth_ids=in_scope, start=start, end=end)
    dialect_name = session.get_bind().dialect.name

    this_year = (now or utcnow()).astimezone(JAPAN).year
    year = (_japan_midnight(date(this_year, 1, 1)), _japan_midnight(date(this_year + 1, 1, 1)))
    covers_year = (
        fair is None
        and (start is None or start <= date(this_year, 1, 1))
        and (end is None or end >= date(this_year, 12, 31))
    )

    async with _no_jit(session, dialect_name):
        meeting_rows = (
            await session.execute(
                _meeting_statement(dialect_name, scope.shape, group_by, covers_year),
                scope.params(year if covers_year else None),
            )
        ).all()
        visit_rows = (
            await session.execute(
                _visit_statement(dialect_name, scope.shape, group_by), scope.params()
            )
        ).all()
        meetings = {(row.level, row.key): row for row in meeting_rows}
        if covers_year:
            # The first statement counted the year's held meetings and contracts too.
            total_row = meetings.get(("t", ""))
            held_year = int(total_row.held_year or 0) if total_row else 0
            contracts_year = int(total_row.contracts_year or 0) if total_row else 0
            fairs_year = sum(
                1 for (level, _key), row in meetings.items() if level == "f" and row.held_year
            )
        else:
            held_year, contracts_year, fairs_year = await _year_actuals(session, booth_ids, year)

    visits = {(row.level, row.key): int(row.visits or 0) for row in visit_rows}

    fair_ids = {key for level, key in (*meetings, *visits) if level == "f"}
    fairs = {
        f.id: f for f in (await session.scalars(select(Fair).where(Fair.id.in_(fair_ids)))).all()
    }

    total = _figures(meetings.get(("t", "")), visits.get(("t", ""), 0))
    trend = sorted(
        (
            Trend(
                fair_slug=fairs[fair_id].slug,
                fair_title=pick_text(fairs[fair_id].title)[0],
                starts_on=fairs[fair_id].starts_on,
                figures=_figures(meetings.get(("f", fair_id)), visits.get(("f", fair_id), 0)),
            )
            for fair_id in fair_ids
        ),
        key=lambda t: (t.starts_on, t.fair_slug),
    )

    if group_by == "fair":
        groups = [Group(t.fair_slug, t.fair_title, t.figures) for t in trend]
    else:
        keys = {key for level, key in (*meetings, *visits) if level == "g"}
        booths: dict[str, Any] = {}
        if group_by == "booth" and keys:
            booths = dict(
                (await session.execute(select(Booth.id, Booth.company).where(Booth.id.in_(keys))))
                .tuples()
                .all()
            )
        unattributable = group_by in UNATTRIBUTABLE_VISITS
        groups = [
            Group(
                key=key,
                label=_label(group_by, key, fairs, booths),
                figures=_figures(
                    meetings.get(("g", key)), None if unattributable else visits.get(("g", key), 0)
                ),
            )
            for key in sorted(keys)
        ]

    targets = Targets(
        year=this_year,
        fairs_this_year=fairs_year,
        meetings_this_year=held_year,
        conversion_this_year=_ratio(contracts_year, held_year),
    )
    return Report(
        group_by=group_by,
        fair_slug=fair.slug if fair else None,
        start=start,
        end=end,
        booth_ids=booth_ids,
        total=total,
        groups=groups,
        trend=trend,
        targets=targets,
    )


__all__ = [
    "GROUPINGS",
    "Figures",
    "Group",
    "Report",
    "Targets",
    "Trend",
    "check_grouping",
    "check_viewer",
    "check_window",
    "conversion_report",
    "meeting_statements",
]
