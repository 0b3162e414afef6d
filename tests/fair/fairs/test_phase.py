from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fair.fairs.phase import Phase, local_today, monthly_dates, nth_weekday, phase_on

ORDER = [Phase.REGISTRATION, Phase.BOOKING, Phase.LIVE, Phase.CLOSED]


def test_phase_follows_dates_of_a_published_fair():
    dates = {
        "starts_on": date(2027, 6, 15),
        "ends_on": date(2027, 6, 17),
        "booking_opens_on": date(2027, 5, 18),
    }
    phases = [
        phase_on(status="published", today=date(2027, m, d), **dates)
        for m, d in [(5, 17), (5, 18), (6, 14), (6, 15), (6, 17), (6, 18)]
    ]
    assert phases == [
        Phase.REGISTRATION,
        Phase.BOOKING,
        Phase.BOOKING,
        Phase.LIVE,
        Phase.LIVE,
        Phase.CLOSED,
    ]


def test_phase_of_draft_is_draft_whatever_the_date():
    assert (
        phase_on(
            status="draft",
            starts_on=date(2020, 1, 1),
            ends_on=date(2020, 1, 2),
            booking_opens_on=date(2019, 12, 1),
            today=date(2027, 1, 1),
        )
        == Phase.DRAFT
    )


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
    length=st.integers(0, 30),
    lead=st.integers(0, 90),
    first=st.integers(-200, 200),
    step=st.integers(0, 200),
)
def test_phase_never_goes_back_as_days_pass(start, length, lead, first, step):
    dates = {
        "starts_on": start,
        "ends_on": start + timedelta(days=length),
        "booking_opens_on": start - timedelta(days=lead),
    }
    earlier = phase_on(status="published", today=start + timedelta(days=first), **dates)
    later = phase_on(status="published", today=start + timedelta(days=first + step), **dates)
    assert ORDER.index(earlier) <= ORDER.index(later)


def test_local_today_uses_the_fairs_zone():
    instant = datetime(2027, 6, 14, 15, 30, tzinfo=UTC)  # 00:30 on the 15th in Tokyo
    assert local_today(instant, "Asia/Tokyo") == date(2027, 6, 15)
    assert local_today(instant, "America/New_York") == date(2027, 6, 14)


def test_monthly_dates_are_tuesday_to_thursday_of_the_third_week():
    assert monthly_dates(2027, 3) == (date(2027, 3, 16), date(2027, 3, 18), date(2027, 2, 16))
    assert nth_weekday(2027, 6, 1, 1) == date(2027, 6, 7)


@given(year=st.integers(2000, 2100), month=st.integers(1, 12))
def test_monthly_dates_stay_in_their_month_on_a_tuesday(year, month):
    starts_on, ends_on, opens_on = monthly_dates(year, month)
    assert (starts_on.month, ends_on.month, starts_on.isoweekday()) == (month, month, 2)
    assert opens_on < starts_on
