"""Good hours for both: business hours in both zones, working days in both countries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.goodhours import Party, best_first, good_for_both, holiday
from meetings.slots import Slot

TOKYO_SME = Party("Asia/Tokyo", "JP")
HANOI = Party("Asia/Ho_Chi_Minh", "VN")
CHICAGO = Party("America/Chicago", "US")


def slot_at(y, mo, d, h, mi=0, zone="Asia/Tokyo", minutes=30) -> Slot:
    start = datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return Slot(start, start + timedelta(minutes=minutes))


def test_tokyo_morning_is_good_for_hanoi_not_for_chicago():
    ten = slot_at(2027, 6, 8, 11)  # 09:00 in Hanoi, 21:00 the day before in Chicago
    assert good_for_both(ten, TOKYO_SME, HANOI)
    assert not good_for_both(ten, TOKYO_SME, CHICAGO)
    early = slot_at(2027, 6, 8, 10)  # 08:00 in Hanoi: before their day starts
    assert not good_for_both(early, TOKYO_SME, HANOI)


def test_public_holidays_of_either_country_spoil_the_slot():
    assert holiday(HANOI, date(2027, 2, 6)) is not None  # Tết
    tet = slot_at(2027, 2, 8, 14)  # a Monday: still Tết holidays in Vietnam
    assert holiday(HANOI, date(2027, 2, 8)) is not None
    assert not good_for_both(tet, TOKYO_SME, HANOI)
    golden_week = slot_at(2027, 5, 3, 14)  # Constitution Memorial Day in Japan
    assert holiday(TOKYO_SME, date(2027, 5, 3)) is not None
    assert not good_for_both(golden_week, TOKYO_SME, HANOI)
    songkran = slot_at(2027, 4, 13, 14)
    assert not good_for_both(songkran, TOKYO_SME, Party("Asia/Bangkok", "TH"))
    assert good_for_both(slot_at(2027, 4, 13, 14), TOKYO_SME, HANOI)


def test_own_business_hours_and_unknown_country():
    late_owl = Party("Asia/Ho_Chi_Minh", "", day_start=time(6), day_end=time(20))
    assert good_for_both(slot_at(2027, 6, 8, 9), TOKYO_SME, late_owl)  # 07:00 in Hanoi
    assert holiday(late_owl, date(2027, 2, 6)) is None


def test_good_slots_are_listed_first_in_time_order():
    slots = [slot_at(2027, 6, 8, h) for h in (9, 10, 11, 12, 16)]
    ordered = best_first(slots, TOKYO_SME, HANOI)
    assert [(s.start.astimezone(ZoneInfo("Asia/Tokyo")).hour, good) for s, good in ordered] == [
        (11, True),
        (12, True),
        (16, True),
        (9, False),
        (10, False),
    ]


# The answers are kept per UTC instant and party (issue 19); whatever the order of the
# questions, each is answered as the rules say.
LATE_TOKYO = Party("Asia/Tokyo", "JP", time(9), time(15))


def test_a_repeated_hours_two_instants_are_told_apart():
    # 23:30 on Thursday 2026-10-29 in Cairo happens twice (Egypt's summer time ends at
    # midnight): 20:30 UTC (09:30 on Friday in Auckland, inside a morning ending at 10:00)
    # and 21:30 UTC (10:30 there, after it). Given in Cairo's time, the two compare as one
    # datetime, so they must not share a kept answer.
    auckland = Party("Pacific/Auckland", "", time(9), time(10))
    first = datetime(2026, 10, 29, 23, 30, tzinfo=ZoneInfo("Africa/Cairo"))
    second = first.replace(fold=1)
    assert first == second and first.astimezone(UTC) != second.astimezone(UTC)
    cairo = first.tzinfo

    def twenty_minutes_from(start: datetime) -> Slot:
        # Through UTC: a local datetime + timedelta keeps the wall clock and drops the fold.
        return Slot(start, (start.astimezone(UTC) + timedelta(minutes=20)).astimezone(cairo))

    in_hours, after_hours = twenty_minutes_from(first), twenty_minutes_from(second)
    for _ in range(2):
        assert good_for_both(in_hours, auckland, auckland)
        assert not good_for_both(after_hours, auckland, auckland)
    as_utc = Slot(second.astimezone(UTC), after_hours.end.astimezone(UTC))
    assert as_utc.end - as_utc.start == timedelta(minutes=20)
    assert not good_for_both(as_utc, auckland, auckland)


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=3 * 366 * 24 * 2).map(lambda n: n * 30),
    length=st.sampled_from([15, 30, 45, 60]),
    party=st.sampled_from([TOKYO_SME, HANOI, CHICAGO, LATE_TOKYO, Party("Asia/Bangkok", "")]),
)
def test_kept_answers_are_the_rules_answers(minutes, length, party):
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    slot = Slot(start, start + timedelta(minutes=length))
    zone = ZoneInfo(party.timezone)
    local, end = start.astimezone(zone), slot.end.astimezone(zone)
    expected = (
        local.isoweekday() <= 5
        and holiday(party, local.date()) is None
        and local.date() == end.date()
        and party.day_start <= local.time()
        and end.time() <= party.day_end
    )
    assert good_for_both(slot, party, party) is expected
    assert good_for_both(slot, party, party) is expected  # asked again: the kept answer
