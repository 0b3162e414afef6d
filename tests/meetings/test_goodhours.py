"""Good hours for both: business hours in both zones, working days in both countries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
