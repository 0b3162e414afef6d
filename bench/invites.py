"""A meeting mail's calendar invite: ``meetings.invites.invite`` beside icalendar's own way.

Every booking, reschedule and cancel mails both sides an ``.ics`` (``meetings.invites``);
under ``bench/load.py`` building those invites was most of the worker's CPU, because
icalendar's ``Calendar.add_missing_timezones`` builds the booth zone's VTIMEZONE anew for
every calendar by walking the zone's transitions over its default span. Ours keeps one
component per zone (``invites._vtimezone``). The baseline is the same invite made the way
icalendar documents it, with ``add_missing_timezones`` every time. Both sides are compared
byte for byte first (a mismatch makes the exit status 1), then timed: best of 5 ``timeit``
runs of ``--number`` invites per zone, in this process, CPU time.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/invites.py [--number 200]
"""

from __future__ import annotations

import argparse
import time
import timeit
from datetime import UTC, datetime, timedelta

from meetings import invites
from meetings.invites import InviteEvent, Person

ZONES = ("Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Ho_Chi_Minh", "Asia/Taipei")


def an_invite(zone: str) -> InviteEvent:
    start = datetime(2027, 7, 14, 1, 0, tzinfo=UTC)
    return InviteEvent(
        uid=f"bench-{zone}@kakehashi.example",
        sequence=0,
        cancelled=False,
        start=start,
        end=start + timedelta(minutes=30),
        timezone=zone,
        summary="Vacuum tumblers: Tsubame Migaki × Saigon Trading",
        description="Interpreter: Japanese ↔ Vietnamese",
        join_url="https://fair.example/meetings/1/join",
        organizer=Person("Kenji", "kenji@tsubame.example"),
        attendees=(Person("Lan", "lan@saigon.example"),),
        stamp=start - timedelta(days=3),
    )


def icalendar_way(item: InviteEvent) -> bytes:
    calendar = invites._calendar(invites.method_of(item))
    calendar.add_component(invites._event(item))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def best_ms(run, number: int) -> float:
    timer = timeit.Timer(run, timer=time.process_time)
    return min(timer.repeat(repeat=5, number=number)) / number * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--number", type=int, default=200, help="invites per timed run")
    args = parser.parse_args()
    failed = False
    print("| zone | icalendar's add_missing_timezones (baseline) ms | ours ms | ours ÷ baseline |")
    print("| --- | ---: | ---: | ---: |")
    for zone in ZONES:
        item = an_invite(zone)
        if invites.invite(item) != icalendar_way(item):
            print(f"MISMATCH: the invite in {zone} differs from icalendar's")
            failed = True
        baseline = best_ms(lambda item=item: icalendar_way(item), args.number)
        ours = best_ms(lambda item=item: invites.invite(item), args.number)
        print(f"| {zone} | {baseline:.2f} | {ours:.2f} | {ours / baseline:.3f}× |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
