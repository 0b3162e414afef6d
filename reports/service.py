"""The conversion report: booth visits → bookings → held meetings → contracts, computed in SQL.

The definitions are docs/features.md's ("Outcomes and the conversion report: definitions"). A
meeting's date is its start in Japan time (Asia/Tokyo, no DST: UTC+9); ``start``/``end``
filter on it, inclusive, and the month grouping uses its ``YYYY-MM``.

How it is computed, so that a report over a million meetings reads no meeting but contracts:

1. **Counts, one statement** over ``report_cells`` plus the ``report_deltas`` not folded
   yet (see ``reports.cells``): database triggers keep there each meeting's counts per
   booth, day (Japan time), buyer country and locale, interpreter and, for a contract with
   a value, currency. The statement joins the booths (for the fair) and groups with sums
   (``sum(...) FILTER (WHERE ...)`` for the year's actuals) by fair, the grouping's key and,
   for valued contracts only, the currency and day. The exchange rate is then looked up
   once per (currency, day) of that small result, never per meeting. From it the same
   statement rolls up three levels with ``UNION ALL``: the groups asked for (``g``), the
   fairs for the trend (``f``) and the total (``t``).
2. **Median days to contract, one statement** over the contracts alone (a partial index,
   ``ix_meetings_contracts``): a histogram of days per fair and key, rolled up the same
   way; the median of each level comes from its histogram with window functions (a
   running count over the days, in order), so it needs no ``percentile_cont`` and runs on
   SQLite too.
3. **Visits, one statement** over the daily counts per booth (``booth_visit_days``),
   rolled up the same way: the funnel's booth visits (signed-in buyers, see
   ``booths.analytics``) and, beside the funnel, the views by visitors not signed in.
4. The targets' calendar-year actuals come out of statement 1 when the report's window
   covers the whole year (no fair, no dates, or dates around the year); otherwise one
   more sum over that year's cells.
5. Labels: fairs (and booths for the booth grouping) of the result, by primary key.

The category grouping counts a meeting under every category of its booth (and booths
without one under ``"none"``): the groups' sums may then exceed the total. Visits are
attributable to fairs, months (the visit's day), booths and categories only; the buyer
country, language (the buyer's ``locale``), interpreter and source groups have
``visits=None``.

The source grouping and the partner-matching success rate read how each meeting came about
(``meetings.source``), which the cells carry in their key (migration 0022): the rate's
held meetings and contracts from a match are two more sums of statement 1, in the same
scope as the other figures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
from fair import clock
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
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
from fair.money import ExchangeRate
from meetings.models import Attendance, Meeting, MeetingSource, Stage
from reports.cells import KEY, SUMS
from reports.figures import MEETING_COUNTS, Figures, MatchingSuccess, Targets, ratio
from reports.models import ReportCell, ReportDelta

GROUPINGS = (
    "fair",
    "month",
    "booth",
    "category",
    "buyer_country",
    "language",
    "interpreter",
    "source",
)
# Who may see a report: insiders see everything, an exhibitor their own booths.
REPORT_ROLES = (Role.ORGANIZER, Role.STAFF, Role.EXHIBITOR)
JAPAN = ZoneInfo("Asia/Tokyo")
NONE_KEY = "none"

NO_SHOWS = (Attendance.NO_SHOW_BUYER, Attendance.NO_SHOW_EXHIBITOR, Attendance.NO_SHOW_BOTH)
FOLLOW_UP_STAGES = (Stage.FOLLOW_UP, Stage.SAMPLE_SENT, Stage.QUOTE, Stage.CONTRACT)
# Groupings whose keys visits (anonymous or not, made before any booking) cannot carry.
UNATTRIBUTABLE_VISITS = ("buyer_country", "language", "interpreter", "source")
# The source groups in the order a meeting's path gets more guided, not alphabetically.
SOURCE_ORDER = tuple(source.value for source in MeetingSource)
# A meeting "from a match": recommended to the buyer, or proposed by an exhibitor or an
# organizer; the only other source is self-booked.
SOURCE_LABELS = {
    MeetingSource.SELF.value: lazy("Self-booked"),
    MeetingSource.RECOMMENDED.value: lazy("From a recommendation"),
    MeetingSource.INVITED.value: lazy("Invited by the exhibitor"),
    MeetingSource.PROPOSED.value: lazy("Proposed by the organizer"),
}


@dataclass(frozen=True)
class Group:
    # fair slug, "YYYY-MM", booth id, category code, ISO country, language, "none" or a
    # meeting source
    key: str
    label: str  # for people, in the current language
    figures: Figures


@dataclass(frozen=True)
class Trend:
    """One row per fair in scope, oldest first."""

    fair_slug: str
    fair_title: str
    starts_on: date
    figures: Figures
    anonymous_views: int = 0  # not signed in: beside the funnel, never in it


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
    # Booth views by visitors not signed in, in scope: shown beside the funnel, never in it
    # (anyone can vary address and browser, so they do not count people).
    anonymous_views: int = 0
    # The partner-matching success rate in the same scope as ``total``.
    matching: MatchingSuccess = field(default_factory=MatchingSuccess)


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
                "buyer_country, language, interpreter, source."
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

    def days(self, booth_id: Any, day: Any) -> list[Any]:
        """For rows kept per booth and day (cells, visit counts)."""
        conditions: list[Any] = []
        if self.booths:
            conditions.append(booth_id.in_(bindparam("booth_ids", expanding=True)))
        if self.start:
            conditions.append(day >= bindparam("start"))
        if self.end:
            conditions.append(day <= bindparam("end"))
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

    def params(self, year: int | None = None) -> dict[str, Any]:
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
            params["year_first"], params["year_last"] = date(year, 1, 1), date(year, 12, 31)
        return params


async def _booths(
    session: AsyncSession, *, owner: User | None = None, fair: Fair | None = None
) -> tuple[str, ...]:
    query = select(Booth.id)
    if owner is not None:
        # An exhibitor's figures are their company's booths' (every member sees them).
        query = query.where(Booth.company_id == owner.company_id, Booth.company_id.is_not(None))
    if fair is not None:
        query = query.where(Booth.fair_id == fair.id)
    return tuple((await session.scalars(query.order_by(Booth.id))).all())


# --- statement 1: the counts, from the cells ------------------------------------------

_COUNTS = (*MEETING_COUNTS, "value_jpy", "unconverted")
_YEAR_COUNTS = ("held_year", "contracts_year")
# The partner-matching success rate's held meetings and contracts from a match.
_MATCH_COUNTS = ("held_match", "contracts_match")
_CELL_COLUMNS = (*KEY, *SUMS)


def _cells() -> Any:
    """The folded cells and the deltas not folded yet: summed, they are the figures."""
    return union_all(
        select(*(ReportCell.__table__.c[name] for name in _CELL_COLUMNS)),
        select(*(ReportDelta.__table__.c[name] for name in _CELL_COLUMNS)),
    ).subquery("cells")


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


def _cell_key(dialect: _Dialect, cells: Any, group_by: str) -> Any:
    """The key the first pass groups by (besides the fair); None for the fair."""
    if group_by == "month":
        return dialect.month_of_day(cells.c.day)
    if group_by in ("booth", "category"):
        return cells.c.booth_id
    if group_by == "buyer_country":
        return cells.c.country
    if group_by == "language":
        return cells.c.locale
    if group_by == "interpreter":
        return case(
            (cells.c.interpreter == "", literal_column(f"'{NONE_KEY}'")), else_=cells.c.interpreter
        )
    if group_by == "source":
        return cells.c.source
    return None


@cache
def _count_statement(dialect_name: str, shape: _Shape, group_by: str, with_year: bool) -> Any:
    dialect = _Dialect(dialect_name)
    cells = _cells()
    key = _cell_key(dialect, cells, group_by)
    keyed = [] if key is None else [key.label("x")]
    # A contract with a value in another currency than yen carries the day whose rate
    # converts it; every other cell has NULL there.
    rate_day = case((cells.c.currency.not_in(("", "JPY")), cells.c.day)).label("rate_day")
    keys = [Booth.fair_id, *keyed, cells.c.currency, rate_day]
    sums = [func.sum(cells.c[name]).label(name) for name in SUMS if name != "value"]
    valued = func.sum(cells.c.contracts).filter(cells.c.currency != "")
    from_match = cells.c.source != literal_column(f"'{MeetingSource.SELF.value}'")
    sums += [
        func.sum(cells.c.held).filter(from_match).label("held_match"),
        func.sum(cells.c.contracts).filter(from_match).label("contracts_match"),
    ]
    if with_year:
        in_year = and_(
            cells.c.day >= bindparam("year_first"), cells.c.day <= bindparam("year_last")
        )
        sums += [
            func.sum(cells.c.held).filter(in_year).label("held_year"),
            func.sum(cells.c.contracts).filter(in_year).label("contracts_year"),
        ]
    # First pass: one row per (fair, key, currency, rate date): currencies and dates split
    # only the cells of contracts with a value.
    first = (
        select(*keys, *sums, func.sum(cells.c.value).label("value_sum"), valued.label("valued"))
        .select_from(cells)
        .join(Booth, Booth.id == cells.c.booth_id)
        .where(*shape.days(cells.c.booth_id, cells.c.day))
        .group_by(*keys)
        .cte("first")
    )

    # The rate of each (currency, date) of the first pass: the greatest valid_from on or
    # before the meeting's date, found as the interval [valid_from, next valid_from) that
    # holds the date. Looked up once per distinct (currency, date), then joined on
    # equality. Yen need none; a currency without one is counted, not guessed.
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
    counted = MEETING_COUNTS + _MATCH_COUNTS + (_YEAR_COUNTS if with_year else ())
    carried = [first.c[name] for name in counted]
    base = (
        select(
            first.c.fair_id,
            *([first.c.x] if keyed else []),
            *carried,
            case(
                (first.c.currency == "JPY", first.c.value_sum),
                (first.c.currency == "", 0),
                else_=first.c.value_sum * rate,
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
    names = _COUNTS + _MATCH_COUNTS + (_YEAR_COUNTS if with_year else ())
    return _levels(base, group_by, names, with_days=False)


# --- statement 2: the median days to contract, from the contracts ----------------------


def _meeting_key(dialect: _Dialect, group_by: str) -> Any:
    """The key of a meeting row (as ``_cell_key`` of a cell); None for the fair."""
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
    if group_by == "source":
        return Meeting.source
    return None


@cache
def _median_statement(dialect_name: str, shape: _Shape, group_by: str) -> Any:
    """A histogram of days to contract per (fair, key), read from the contracts alone
    (``ix_meetings_contracts``: an index-only scan on PostgreSQL), rolled up to medians."""
    dialect = _Dialect(dialect_name)
    key = _meeting_key(dialect, group_by)
    keyed = [] if key is None else [key.label("x")]
    days = dialect.days_between(dialect.japan_date(Meeting.starts_at), Meeting.stage_on)
    keys = [Booth.fair_id, *keyed, days.label("days")]
    first = (
        select(*keys, func.count().label("contracts"))
        .select_from(Meeting)
        .join(Booth, Booth.id == Meeting.booth_id)
    )
    if group_by in ("buyer_country", "language"):
        first = first.join(User, User.id == Meeting.buyer_id)
    first = (
        first.where(
            Meeting.attendance == Attendance.HELD,
            Meeting.stage == Stage.CONTRACT,
            *shape.meetings(),
        )
        .group_by(*keys)
        .cte("contract_days")
    )
    return _levels(first, group_by, ("contracts",), with_days=True)


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
            func.sum(VisitDay.anonymous_views).label("anonymous_views"),
        )
        .select_from(VisitDay)
        .join(Booth, Booth.id == VisitDay.booth_id)
        .where(*shape.days(VisitDay.booth_id, VisitDay.day))
        .group_by(Booth.fair_id, *([] if key is None else [key]))
        .cte("visit_base")
    )
    grouping = "fair" if group_by in UNATTRIBUTABLE_VISITS else group_by
    return _levels(base, grouping, ("visits", "anonymous_views"), with_days=False)


# --- statement 4: the year's actuals, when statement 1 does not cover the year -------


async def _year_actuals(
    session: AsyncSession, own: tuple[str, ...] | None, year: int
) -> tuple[int, int, int]:
    """Held meetings and contracts of the year (at ``own`` booths only, for an exhibitor),
    and how many fairs held any."""
    params = _Scope(booth_ids=own, start=None, end=None).params(year)
    statement = _year_statement(own is not None)
    rows = (await session.execute(statement, params)).all()
    return sum(int(r.held) for r in rows), sum(int(r.contracts) for r in rows), len(rows)


@cache
def _year_statement(own_booths: bool) -> Any:
    """Grouped by fair (a dozen rows a year) rather than counting distinct fairs, which
    PostgreSQL cannot spread over parallel workers."""
    cells = _cells()
    held = func.sum(cells.c.held)
    statement = (
        select(
            Booth.fair_id,
            held.label("held"),
            func.sum(cells.c.contracts).label("contracts"),
        )
        .select_from(cells)
        .join(Booth, Booth.id == cells.c.booth_id)
        .where(cells.c.day >= bindparam("year_first"), cells.c.day <= bindparam("year_last"))
        .group_by(Booth.fair_id)
        .having(held > 0)
    )
    if own_booths:
        statement = statement.where(cells.c.booth_id.in_(bindparam("booth_ids", expanding=True)))
    return statement


# The report's statements run with these (transaction-local) settings on PostgreSQL.
#  - jit off: the planner cannot know that only contracts with a value carry a currency
#    and a date in the first pass, so it expects about one group per cell; that estimate
#    lifts the plan's cost over the JIT thresholds, and compiling then costs more than the
#    query (measured on a million meetings: about 1 s of JIT for a 1.4 s statement).
#  - work_mem 64MB: the same estimate would otherwise make it sort the cells to group
#    them instead of hashing (a million meetings, all fairs: 331 -> 154 ms).
_PLANNER = (("jit", "off"), ("work_mem", "64MB"))


@asynccontextmanager
async def _planner_settings(session: AsyncSession, dialect_name: str) -> AsyncIterator[None]:
    """PostgreSQL only: run the report's statements with ``_PLANNER``'s settings, then put
    them back (they are transaction-local either way)."""
    if dialect_name != "postgresql":
        yield
        return

    def constant(value: str) -> Any:
        return literal_column(f"'{value}'")  # our own names and values, no input

    def configure(values: list[tuple[str, Any]]) -> Any:
        return select(*(func.set_config(constant(name), value, true()) for name, value in values))

    names = [name for name, _ in _PLANNER]
    # One round trip: PostgreSQL evaluates the select list in order, reading each setting
    # before it is changed. Constants in the text (bench/report.py reads them there to run
    # its baseline alike).
    changed = configure([(name, constant(value)) for name, value in _PLANNER])
    read = select(*(func.current_setting(constant(n)) for n in names))
    row = (await session.execute(read.add_columns(*changed.selected_columns))).one()
    before = row[: len(names)]
    yield
    # Not in a finally: after a database error the transaction is lost anyway.
    await session.execute(configure([(n, literal(v)) for n, v in zip(names, before, strict=True)]))


# --- assembling the report ------------------------------------------------------------


def _figures(row: Any, visits: int | None, median: Any) -> Figures:
    median_days = None if median is None else float(median)
    if row is None:
        return Figures(visits, 0, 0, 0, 0, 0, 0, 0, Decimal(0), 0, median_days)
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
        median_days_to_contract=median_days,
    )


def meeting_statements(
    dialect_name: str,
    *,
    group_by: str = "fair",
    booths: bool = False,
    start: bool = False,
    end: bool = False,
    with_year: bool = False,
) -> tuple[Any, Any, Any]:
    """The three statements of a report (counts, medians, visits) for the filters it
    applies (a fair's or an exhibitor's booths, dates), with their parameters unbound: for
    review and benchmarks."""
    shape = _Shape(booths=booths, start=start, end=end)
    return (
        _count_statement(dialect_name, shape, group_by, with_year),
        _median_statement(dialect_name, shape, group_by),
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
    if group_by == "source":
        return gettext(SOURCE_LABELS[key]) if key in SOURCE_LABELS else key
    return key


def _group_order(group_by: str, key: str) -> tuple[int, str]:
    """Keys in order (fairs and months by their text); sources in ``SOURCE_ORDER``."""
    if group_by == "source" and key in SOURCE_ORDER:
        return SOURCE_ORDER.index(key), key
    return 0, key


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

    this_year = (now or clock.now()).astimezone(JAPAN).year
    covers_year = (
        fair is None
        and (start is None or start <= date(this_year, 1, 1))
        and (end is None or end >= date(this_year, 12, 31))
    )

    async with _planner_settings(session, dialect_name):
        count_rows = (
            await session.execute(
                _count_statement(dialect_name, scope.shape, group_by, covers_year),
                scope.params(this_year if covers_year else None),
            )
        ).all()
        median_rows = (
            await session.execute(
                _median_statement(dialect_name, scope.shape, group_by), scope.params()
            )
        ).all()
        visit_rows = (
            await session.execute(
                _visit_statement(dialect_name, scope.shape, group_by), scope.params()
            )
        ).all()
        # A key whose deltas cancel out (a buyer who moved, before the fold) is no group.
        meetings = {
            (row.level, row.key): row
            for row in count_rows
            if row.booked or row.cancelled or row.held or row.no_show
        }
        if covers_year:
            # The first statement counted the year's held meetings and contracts too.
            total_row = meetings.get(("t", ""))
            held_year = int(total_row.held_year or 0) if total_row else 0
            contracts_year = int(total_row.contracts_year or 0) if total_row else 0
            fairs_year = sum(
                1 for (level, _key), row in meetings.items() if level == "f" and row.held_year
            )
        else:
            held_year, contracts_year, fairs_year = await _year_actuals(
                session, booth_ids, this_year
            )

    medians = {(row.level, row.key): row.median for row in median_rows}
    visits = {(row.level, row.key): int(row.visits or 0) for row in visit_rows}
    anonymous = {(row.level, row.key): int(row.anonymous_views or 0) for row in visit_rows}

    fair_ids = {key for level, key in (*meetings, *visits) if level == "f"}
    fairs = {
        f.id: f for f in (await session.scalars(select(Fair).where(Fair.id.in_(fair_ids)))).all()
    }

    def figures(level: str, key: str, visits: int | None) -> Figures:
        return _figures(meetings.get((level, key)), visits, medians.get((level, key)))

    total = figures("t", "", visits.get(("t", ""), 0))
    trend = sorted(
        (
            Trend(
                fair_slug=fairs[fair_id].slug,
                fair_title=pick_text(fairs[fair_id].title)[0],
                starts_on=fairs[fair_id].starts_on,
                figures=figures("f", fair_id, visits.get(("f", fair_id), 0)),
                anonymous_views=anonymous.get(("f", fair_id), 0),
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
                figures=figures("g", key, None if unattributable else visits.get(("g", key), 0)),
            )
            for key in sorted(keys, key=lambda key: _group_order(group_by, key))
        ]

    total_row = meetings.get(("t", ""))
    matching = MatchingSuccess(
        held_from_match=int(total_row.held_match or 0) if total_row else 0,
        contracts_from_match=int(total_row.contracts_match or 0) if total_row else 0,
    )
    targets = Targets(
        year=this_year,
        fairs_this_year=fairs_year,
        meetings_this_year=held_year,
        conversion_this_year=ratio(contracts_year, held_year),
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
        anonymous_views=anonymous.get(("t", ""), 0),
        matching=matching,
    )


__all__ = [
    "GROUPINGS",
    "Figures",
    "Group",
    "MatchingSuccess",
    "Report",
    "Targets",
    "Trend",
    "check_grouping",
    "check_viewer",
    "check_window",
    "conversion_report",
    "meeting_statements",
]
