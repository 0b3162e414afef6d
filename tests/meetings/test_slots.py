"""Slot maths against the worked cases of shared/TIMEZONES.md (expected values written out
by hand) and property tests: slots never overlap each other or taken time, stay inside the
hours, and survive a round trip through any zone."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from meetings.slots import (
    Availability,
    Busy,
    DayChange,
    Hours,
    LocalTimeError,
    bookable,
    first_free_slot,
    free_slots,
    grid,
    local_iso,
    overlapping_hours,
    resolve_local,
    to_utc,
)

WEEKDAYS_9_TO_17 = tuple(Hours(d, time(9), time(17)) for d in range(1, 6))
TOKYO = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, min_notice_minutes=0)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def tokyo(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)


def on_tokyo_day(availability: Availability, day: date, **kw) -> list:
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)
    return free_slots(
        availability, start=start, end=start + timedelta(days=1), now=kw.pop("now", LONG_AGO), **kw
    )


def labels(slots, zone: str) -> list[str]:
    return [local_iso(s.start, zone) for s in slots]


def test_case_1_ho_chi_minh_and_its_alias():
    slots = on_tokyo_day(TOKYO, date(2027, 6, 8))
    shown = labels(slots, "Asia/Ho_Chi_Minh")
    assert len(shown) == 16
    assert (shown[0], shown[-1]) == ("2027-06-08T07:00+07:00", "2027-06-08T14:30+07:00")
    assert labels(slots, "Asia/Saigon") == shown


def test_case_2_us_dst_starts():
    friday = on_tokyo_day(TOKYO, date(2027, 3, 12))[0]
    monday = on_tokyo_day(TOKYO, date(2027, 3, 15))[0]
    assert local_iso(friday.start, "America/New_York") == "2027-03-11T19:00-05:00"
    assert local_iso(monday.start, "America/New_York") == "2027-03-14T20:00-04:00"


def test_case_3_eu_dst_starts():
    friday = on_tokyo_day(TOKYO, date(2027, 3, 26))[0]
    monday = on_tokyo_day(TOKYO, date(2027, 3, 29))[0]
    assert local_iso(friday.start, "Europe/Berlin") == "2027-03-26T01:00+01:00"
    assert local_iso(monday.start, "Europe/Berlin") == "2027-03-29T02:00+02:00"


@pytest.mark.parametrize(
    ("day", "new_york", "berlin"),
    [
        (date(2027, 3, 10), "2027-03-10T02:00-05:00", "2027-03-10T08:00+01:00"),
        (date(2027, 3, 17), "2027-03-17T03:00-04:00", "2027-03-17T08:00+01:00"),
        (date(2027, 3, 31), "2027-03-31T03:00-04:00", "2027-03-31T09:00+02:00"),
    ],
)
def test_case_4_weeks_when_only_the_us_has_switched(day, new_york, berlin):
    four_pm = next(
        s for s in on_tokyo_day(TOKYO, day) if s.start == tokyo(*day.timetuple()[:3], 16)
    )
    assert local_iso(four_pm.start, "America/New_York") == new_york
    assert local_iso(four_pm.start, "Europe/Berlin") == berlin


def test_case_5_us_dst_ends():
    friday = on_tokyo_day(TOKYO, date(2027, 11, 5))[0]
    monday = on_tokyo_day(TOKYO, date(2027, 11, 8))[0]
    assert local_iso(friday.start, "America/New_York") == "2027-11-04T20:00-04:00"
    assert local_iso(monday.start, "America/New_York") == "2027-11-07T19:00-05:00"


def test_case_6_repeated_hour_in_berlin_has_distinct_labels():
    sunday = DayChange(date(2027, 10, 31), start=time(9), end=time(12))
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, (sunday,), min_notice_minutes=0)
    slots = on_tokyo_day(booth, date(2027, 10, 31))
    assert labels(slots, "Europe/Berlin") == [
        "2027-10-31T02:00+02:00",
        "2027-10-31T02:30+02:00",
        "2027-10-31T02:00+01:00",
        "2027-10-31T02:30+01:00",
        "2027-10-31T03:00+01:00",
        "2027-10-31T03:30+01:00",
    ]
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "02:00",
        "02:30",
    ]
    with pytest.raises(LocalTimeError, match="ambiguous"):
        resolve_local(datetime(2027, 10, 31, 2, 30), "Europe/Berlin")


def test_case_7_us_gap_has_no_0200_label():
    sunday = DayChange(date(2027, 3, 14), start=time(9), end=time(17))
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, (sunday,), min_notice_minutes=0)
    shown = labels(on_tokyo_day(booth, date(2027, 3, 14)), "America/New_York")
    assert len(shown) == 16
    assert shown[0] == "2027-03-13T19:00-05:00"
    assert shown[-4:] == [
        "2027-03-14T01:00-05:00",
        "2027-03-14T01:30-05:00",
        "2027-03-14T03:00-04:00",
        "2027-03-14T03:30-04:00",
    ]
    assert not any("T02:" in label for label in shown)
    with pytest.raises(LocalTimeError, match="nonexistent"):
        resolve_local(datetime(2027, 3, 14, 2, 30), "America/New_York")


def test_case_8_los_angeles_dates_of_a_tokyo_week():
    start = tokyo(2027, 6, 7, 0)
    slots = free_slots(TOKYO, start=start, end=start + timedelta(days=7), now=LONG_AGO)
    per_day: dict[str, int] = {}
    for label in labels(slots, "America/Los_Angeles"):
        per_day[label[:10]] = per_day.get(label[:10], 0) + 1
    assert per_day == {
        "2027-06-06": 14,
        "2027-06-07": 16,
        "2027-06-08": 16,
        "2027-06-09": 16,
        "2027-06-10": 16,
        "2027-06-11": 2,
    }
    assert labels(slots, "America/Los_Angeles")[0] == "2027-06-06T17:00-07:00"


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [
        ("Asia/Kathmandu", "2027-06-08T05:45+05:45", "2027-06-08T13:15+05:45"),
        ("Asia/Kolkata", "2027-06-08T05:30+05:30", "2027-06-08T13:00+05:30"),
        ("Australia/Adelaide", "2027-06-08T09:30+09:30", "2027-06-08T17:00+09:30"),
    ],
)
def test_case_9_offsets_that_are_not_whole_hours(zone, first, last):
    shown = labels(on_tokyo_day(TOKYO, date(2027, 6, 8)), zone)
    assert (shown[0], shown[-1]) == (first, last)


def test_case_10_minimum_notice():
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, min_notice_minutes=120)
    slots = on_tokyo_day(booth, date(2027, 6, 7), now=tokyo(2027, 6, 7, 8, 10))
    assert slots[0].start == datetime(2027, 6, 7, 1, 30, tzinfo=UTC)  # 10:30 Tokyo
    assert len(slots) == 13


def test_case_11_horizon_counted_in_the_booth_days():
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, min_notice_minutes=0, horizon_days=14)
    now = tokyo(2027, 3, 1, 10)
    assert bookable(booth, slot_start=tokyo(2027, 3, 15, 16, 30), now=now)
    assert not bookable(booth, slot_start=tokyo(2027, 3, 16, 9), now=now)
    assert local_iso(tokyo(2027, 3, 16, 9), "America/New_York") == "2027-03-15T20:00-04:00"


def test_case_12_daily_limit_counts_the_booth_day():
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, min_notice_minutes=0, max_per_day=1)
    taken = [Busy(tokyo(2027, 6, 7, 16, 30), tokyo(2027, 6, 7, 17))]
    start = datetime(2027, 6, 6, 0, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    slots = free_slots(booth, start=start, end=start + timedelta(days=3), now=LONG_AGO, busy=taken)
    tokyo_days = {s.start.astimezone(ZoneInfo("Asia/Tokyo")).date() for s in slots}
    assert date(2027, 6, 7) not in tokyo_days and date(2027, 6, 8) in tokyo_days
    los_angeles = labels(slots, "America/Los_Angeles")
    assert not any(label.startswith("2027-06-06") for label in los_angeles)


def test_case_13_buffer_after_a_meeting():
    booth = Availability("Asia/Tokyo", WEEKDAYS_9_TO_17, min_notice_minutes=0, buffer_minutes=10)
    taken = [Busy(tokyo(2027, 6, 8, 10), tokyo(2027, 6, 8, 10, 30))]
    starts = {s.start for s in on_tokyo_day(booth, date(2027, 6, 8), busy=taken)}
    assert tokyo(2027, 6, 8, 10, 30) not in starts
    assert tokyo(2027, 6, 8, 9, 30) not in starts  # would end 10:00, inside the buffer
    assert tokyo(2027, 6, 8, 11) in starts
    assert not bookable(booth, slot_start=tokyo(2027, 6, 8, 10, 30), now=LONG_AGO, busy=taken)


def test_fair_dates_bound_the_offer_and_closed_days_close():
    booth = Availability(
        "Asia/Tokyo",
        WEEKDAYS_9_TO_17,
        (DayChange(date(2027, 6, 9), closed=True),),
        min_notice_minutes=0,
        first_day=date(2027, 6, 8),
        last_day=date(2027, 6, 10),
    )
    start = tokyo(2027, 6, 7, 0)
    days = {
        s.start.astimezone(ZoneInfo("Asia/Tokyo")).date()
        for s in free_slots(booth, start=start, end=start + timedelta(days=7), now=LONG_AGO)
    }
    assert days == {date(2027, 6, 8), date(2027, 6, 10)}


def test_overlapping_weekly_rules_are_found():
    rules = (Hours(1, time(9), time(12)), Hours(1, time(11), time(14)), Hours(2, time(9), time(12)))
    assert overlapping_hours(rules) == [(rules[0], rules[1])]
    assert overlapping_hours((Hours(1, time(9), time(12)), Hours(1, time(12), time(17)))) == []
    # An end of 00:00 is midnight: it runs past every later start of the same day.
    late = (Hours(3, time(20), time(0)), Hours(3, time(22), time(23)))
    assert overlapping_hours(late) == [late]
    assert overlapping_hours((Hours(3, time(9), time(12)), Hours(3, time(20), time(0)))) == []


def test_hours_until_midnight_offer_the_last_slot_of_the_day():
    booth = Availability("Asia/Tokyo", (Hours(5, time(23), time(0)),), min_notice_minutes=0)
    start = tokyo(2027, 6, 11, 0)  # a Friday
    slots = free_slots(booth, start=start, end=start + timedelta(days=1), now=LONG_AGO)
    assert [s.start for s in slots] == [tokyo(2027, 6, 11, 23), tokyo(2027, 6, 11, 23, 30)]
    assert slots[-1].end == tokyo(2027, 6, 12, 0)


# Booths in zones whose clocks change: the hours are read at each edge's own offset --------

# Switch days, all Sundays (ISO weekday 7), and the UTC instant a 09:00 opening names there,
# worked out by hand: New York goes to UTC-4 on 14 March 2027 and back to UTC-5 on
# 7 November; Berlin to UTC+2 on 28 March and back to UTC+1 on 31 October; Sydney back to
# UTC+10 on 4 April and on to UTC+11 on 3 October.
SWITCH_DAYS = [
    ("America/New_York", date(2027, 3, 14), datetime(2027, 3, 14, 13, tzinfo=UTC)),
    ("America/New_York", date(2027, 11, 7), datetime(2027, 11, 7, 14, tzinfo=UTC)),
    ("Europe/Berlin", date(2027, 3, 28), datetime(2027, 3, 28, 7, tzinfo=UTC)),
    ("Europe/Berlin", date(2027, 10, 31), datetime(2027, 10, 31, 8, tzinfo=UTC)),
    ("Australia/Sydney", date(2027, 4, 4), datetime(2027, 4, 3, 23, tzinfo=UTC)),
    ("Australia/Sydney", date(2027, 10, 3), datetime(2027, 10, 2, 22, tzinfo=UTC)),
]
SUNDAY_MORNINGS = (Hours(7, time(9), time(11)),)


def day_of(availability: Availability, day: date) -> list:
    zone = ZoneInfo(availability.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    return free_slots(availability, start=start, end=start + timedelta(hours=30), now=LONG_AGO)


@pytest.mark.parametrize(("zone", "day", "nine"), SWITCH_DAYS)
def test_a_booth_where_clocks_change_opens_at_its_hour_on_the_switch_day(zone, day, nine):
    booth = Availability(zone, SUNDAY_MORNINGS, min_notice_minutes=0)
    slots = day_of(booth, day)
    assert [s.start for s in slots] == [nine + timedelta(minutes=30 * n) for n in range(4)]
    assert [local_iso(s.start, zone)[11:16] for s in slots] == ["09:00", "09:30", "10:00", "10:30"]


def test_night_hours_across_the_new_york_spring_gap_skip_the_missing_hour():
    # 01:00-05:00 on 14 March 2027: 01:00 EST is 06:00 UTC, 05:00 EDT is 09:00 UTC; the
    # wall clock jumps from 02:00 to 03:00, so three hours hold six half-hour slots.
    booth = Availability("America/New_York", (Hours(7, time(1), time(5)),), min_notice_minutes=0)
    slots = day_of(booth, date(2027, 3, 14))
    assert [s.start for s in slots] == [
        datetime(2027, 3, 14, 6, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(6)
    ]
    assert [local_iso(s.start, "America/New_York")[11:] for s in slots] == [
        "01:00-05:00",
        "01:30-05:00",
        "03:00-04:00",
        "03:30-04:00",
        "04:00-04:00",
        "04:30-04:00",
    ]


# Properties -----------------------------------------------------------------------------

ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)
zones = st.sampled_from(ZONES)
quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def availabilities(draw):
    rules = []
    for weekday in draw(st.sets(st.integers(1, 7), min_size=1, max_size=7)):
        start = draw(quarter_hours)
        length = draw(st.integers(min_value=1, max_value=40)) * 15
        end_minutes = min(start.hour * 60 + start.minute + length, 24 * 60 - 15)
        if end_minutes <= start.hour * 60 + start.minute:
            continue
        rules.append(Hours(weekday, start, time(end_minutes // 60, end_minutes % 60)))
    return Availability(
        draw(zones),
        tuple(rules),
        slot_minutes=draw(st.sampled_from([15, 30, 45, 60])),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15])),
        min_notice_minutes=0,
    )


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 1), timezones=st.just(UTC)
)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def inside_by_the_wall_clock(slot: Any, rule: Hours, day: date, zone: ZoneInfo) -> bool:
    """The slot lies within the rule on ``day`` as the booth's wall clock reads it, worked
    out without ``to_utc``: it starts at or after the opening and ends by the closing (a
    closing inside a gap moves on with the clock, at most by the gap)."""
    opening = datetime.combine(day, rule.start)
    closing = datetime.combine(day, rule.end)
    moved_on = _wall(closing.replace(tzinfo=zone).astimezone(UTC), zone)
    return opening <= _wall(slot.start, zone) and _wall(slot.end, zone) <= max(closing, moved_on)


@settings(max_examples=150, deadline=None)
@given(availabilities(), moments, st.lists(st.integers(0, 7 * 24 * 4), max_size=6), zones)
# Pinned on switch days, so that a wrong offset fails on every run, not one run in six.
@example(
    booth=Availability("America/New_York", SUNDAY_MORNINGS, min_notice_minutes=0),
    start=datetime(2027, 3, 14, tzinfo=UTC),
    busy_quarters=[],
    viewer="Asia/Tokyo",
)
@example(
    booth=Availability("Europe/Berlin", SUNDAY_MORNINGS, min_notice_minutes=0),
    start=datetime(2027, 10, 31, tzinfo=UTC),
    busy_quarters=[],
    viewer="America/New_York",
)
@example(
    booth=Availability(
        "Australia/Sydney", (Hours(7, time(1), time(4)),), slot_minutes=45, min_notice_minutes=0
    ),
    start=datetime(2027, 10, 2, tzinfo=UTC),
    busy_quarters=[],
    viewer="UTC",
)
def test_slots_are_disjoint_inside_the_hours_clear_of_busy_and_round_trip(
    booth, start, busy_quarters, viewer
):
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(days=7)
    busy = [
        Busy(start + timedelta(minutes=15 * q), start + timedelta(minutes=15 * q + 30))
        for q in busy_quarters
    ]
    slots = free_slots(booth, start=start, end=end, now=LONG_AGO, busy=busy)
    zone = ZoneInfo(booth.timezone)
    for first, second in itertools.pairwise(slots):
        assert first.end <= second.start
    for slot in slots:
        assert slot.end - slot.start == booth.slot
        for taken in busy:
            assert slot.end + booth.buffer <= taken.start or taken.end + booth.buffer <= slot.start
        local_day = slot.start.astimezone(zone).date()
        assert any(
            to_utc(day, rule.start, zone) <= slot.start and slot.end <= to_utc(day, rule.end, zone)
            for day in (local_day, local_day - timedelta(days=1))
            for rule in booth.weekly
            if rule.weekday == day.isoweekday()
        ), "a slot outside the opening hours"
        assert any(
            inside_by_the_wall_clock(slot, rule, day, zone)
            for day in (local_day, local_day - timedelta(days=1))
            for rule in booth.weekly
            if rule.weekday == day.isoweekday()
        ), "a slot outside the hours by the booth's own wall clock"
        shown = datetime.fromisoformat(local_iso(slot.start, viewer))
        assert shown.astimezone(UTC) == slot.start  # the label names the same instant
        assert bookable(booth, slot_start=slot.start, now=LONG_AGO, busy=busy)
    # ...and the converse: a slot of the hours that is not listed cannot be booked.
    listed = {slot.start for slot in slots}
    first_day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    for candidate in grid(booth, first_day, last_day):
        if start <= candidate.start < end and candidate.start not in listed:
            assert not bookable(booth, slot_start=candidate.start, now=LONG_AGO, busy=busy)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)), zones)
def test_resolve_local_accepts_exactly_the_unambiguous_times(naive, zone_name):
    naive = naive.replace(second=0, microsecond=0)
    zone = ZoneInfo(zone_name)
    try:
        instant = resolve_local(naive, zone_name)
    except LocalTimeError:
        first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
        assert first.utcoffset() != second.utcoffset()
    else:
        assert instant.astimezone(zone).replace(tzinfo=None) == naive


@pytest.mark.parametrize(
    ("tokyo_start", "zone", "expected"),
    [
        # US daylight time starts Sunday 2027-03-14 and ends Sunday 2027-11-07.
        ((2027, 3, 12, 9), "America/Chicago", "2027-03-11T18:00-06:00"),
        ((2027, 3, 15, 9), "America/Chicago", "2027-03-14T19:00-05:00"),
        ((2027, 11, 5, 9), "America/Chicago", "2027-11-04T19:00-05:00"),
        ((2027, 11, 8, 9), "America/Chicago", "2027-11-07T18:00-06:00"),
        # EU summer time ends Sunday 2027-10-31.
        ((2027, 10, 29, 9), "Europe/Berlin", "2027-10-29T02:00+02:00"),
        ((2027, 11, 1, 9), "Europe/Berlin", "2027-11-01T01:00+01:00"),
        # Sydney: standard time in June, daylight time in December.
        ((2027, 6, 8, 9), "Australia/Sydney", "2027-06-08T10:00+10:00"),
        ((2027, 12, 7, 9), "Australia/Sydney", "2027-12-07T11:00+11:00"),
        ((2027, 6, 8, 9), "Asia/Shanghai", "2027-06-08T08:00+08:00"),
        ((2027, 6, 8, 9), "America/Sao_Paulo", "2027-06-07T21:00-03:00"),
        ((2027, 6, 8, 16, 30), "Asia/Kathmandu", "2027-06-08T13:15+05:45"),
    ],
)
def test_time_zone_matrix_for_a_tokyo_booth(tokyo_start, zone, expected):
    day = date(*tokyo_start[:3])
    slot = next(s for s in on_tokyo_day(TOKYO, day) if s.start == tokyo(*tokyo_start))
    assert local_iso(slot.start, zone) == expected


def test_a_fair_across_the_us_switch_keeps_tokyo_hours_and_moves_new_york_labels():
    fair = Availability(
        "Asia/Tokyo",
        WEEKDAYS_9_TO_17,
        min_notice_minutes=0,
        first_day=date(2027, 3, 10),
        last_day=date(2027, 3, 17),
    )
    start = tokyo(2027, 3, 10, 0)
    slots = free_slots(fair, start=start, end=start + timedelta(days=8), now=LONG_AGO)
    firsts = {}
    for slot in slots:
        firsts.setdefault(slot.start.astimezone(ZoneInfo("Asia/Tokyo")).date(), slot)
    assert [local_iso(s.start, "America/New_York") for s in firsts.values()] == [
        "2027-03-09T19:00-05:00",
        "2027-03-10T19:00-05:00",
        "2027-03-11T19:00-05:00",
        "2027-03-14T20:00-04:00",
        "2027-03-15T20:00-04:00",
        "2027-03-16T20:00-04:00",
    ]
    assert all(
        len([s for s in slots if s.start.astimezone(ZoneInfo("Asia/Tokyo")).date() == d]) == 16
        for d in firsts
    )


@settings(max_examples=300, deadline=None)
@given(
    availabilities(),
    moments,
    st.lists(st.integers(0, 14 * 24 * 4), max_size=12),
    st.integers(min_value=0, max_value=20 * 24 * 4),
    st.integers(min_value=1, max_value=21),
    st.sampled_from([None, 0, 1, 5]),
    st.sampled_from([None, 1, 2]),
    st.sampled_from([None, -1, 0, 2]),
    st.sampled_from([None, 0, 3, 30]),
)
@example(
    booth=Availability("America/New_York", SUNDAY_MORNINGS, min_notice_minutes=0),
    start=datetime(2027, 3, 14, tzinfo=UTC),
    busy_quarters=[],
    now_quarters=0,
    days=7,
    horizon=None,
    per_day=None,
    opens=None,
    lasts=None,
)
def test_the_first_free_slot_is_the_first_of_the_free_slots(
    booth, start, busy_quarters, now_quarters, days, horizon, per_day, opens, lasts
):
    """The directory's "next free time" (worked out day by day, stopping early) is always
    the first slot the booking page would list, whatever is taken, the notice, the horizon
    or the daily limit."""
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    now = start - timedelta(days=3) + timedelta(minutes=15 * now_quarters)
    fair_start = None if opens is None else start.date() + timedelta(days=opens)
    fair_end = None if lasts is None or fair_start is None else fair_start + timedelta(days=lasts)
    booth = replace(
        booth, horizon_days=horizon, max_per_day=per_day, first_day=fair_start, last_day=fair_end
    )
    busy = [
        Busy(start + timedelta(minutes=15 * q), start + timedelta(minutes=15 * q + 45))
        for q in busy_quarters
    ]
    listed = free_slots(booth, start=start, end=end, now=now, busy=busy)
    first = first_free_slot(booth, start=start, end=end, now=now, busy=busy)
    assert first == (listed[0] if listed else None)


@settings(max_examples=200, deadline=None)
@given(moments, zones)
def test_a_label_is_the_same_asked_once_or_again(instant, zone_name):
    """Labels of UTC instants are kept per process (the same slots are listed to every
    buyer): a kept label is the one worked out afresh, for any zone."""
    fresh = instant.astimezone(ZoneInfo(zone_name)).isoformat(timespec="minutes")
    assert local_iso(instant, zone_name) == fresh
    assert local_iso(instant, zone_name) == fresh


def test_the_two_instants_of_a_repeated_hour_keep_their_own_labels():
    """Two wall-clock datetimes of one zone compare equal in a repeated hour although they
    are an hour apart: each still gets its own offset, whichever was labelled first."""
    new_york = ZoneInfo("America/New_York")
    first = datetime(2027, 11, 7, 1, 30, tzinfo=new_york, fold=0)
    second = datetime(2027, 11, 7, 1, 30, tzinfo=new_york, fold=1)
    assert first == second  # Python's rule for one tzinfo: the wall clocks are compared
    for _ in range(2):
        assert local_iso(second.astimezone(UTC), "America/New_York") == "2027-11-07T01:30-05:00"
        assert local_iso(first, "America/New_York") == "2027-11-07T01:30-04:00"
        assert local_iso(second, "America/New_York") == "2027-11-07T01:30-05:00"
        assert local_iso(first, "UTC") == "2027-11-07T05:30+00:00"
        assert local_iso(second, "UTC") == "2027-11-07T06:30+00:00"


def test_an_availability_works_out_its_zone_and_lengths_once_and_a_copy_its_own():
    berlin = replace(TOKYO, timezone="Europe/Berlin", slot_minutes=45, buffer_minutes=10)
    assert (TOKYO.zone, TOKYO.slot, TOKYO.buffer) == (
        ZoneInfo("Asia/Tokyo"),
        timedelta(minutes=30),
        timedelta(0),
    )
    assert (berlin.zone, berlin.slot, berlin.buffer) == (
        ZoneInfo("Europe/Berlin"),
        timedelta(minutes=45),
        timedelta(minutes=10),
    )
    again = replace(berlin, timezone="Asia/Tokyo", slot_minutes=30, buffer_minutes=0)
    assert again == TOKYO and hash(again) == hash(TOKYO)  # by the fields alone
    assert again.zone == ZoneInfo("Asia/Tokyo") and again.slot == timedelta(minutes=30)
