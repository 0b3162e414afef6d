"""One clock: no Python file of the project reads the wall clock except ``fair/clock.py``
(a deliberate exception says ``# clock-ok`` on its line), so moving that clock moves the
app, the jobs, the CLI, the demo and the tests together. Monotonic timers measure durations,
not the date, and are allowed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fair import clock

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("fair", "booths", "meetings", "signaling", "bench", "scripts", "tests", "migrations")
WALL_CLOCK = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.(?:time|time_ns|localtime|gmtime|ctime))\("
)


def wall_clock_reads() -> list[str]:
    found = []
    for folder in SOURCES:
        for path in sorted((REPO / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WALL_CLOCK.search(line) and "# clock-ok" not in line:
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_nothing_reads_the_wall_clock_but_the_one_clock() -> None:
    assert wall_clock_reads() == []


def test_the_audit_finds_a_stray_reading() -> None:
    # The pattern itself must catch the usual ways of asking the date.
    for line in ("x = datetime.now(UTC)", "d = date.today()", "t = time.time()"):  # clock-ok
        assert WALL_CLOCK.search(line), line
    assert not WALL_CLOCK.search("t = time.monotonic()")


def test_a_moved_clock_runs_on_from_its_instant() -> None:
    instant = datetime(2024, 2, 29, 23, 59, tzinfo=UTC)
    with clock.moved_to(instant):
        first = clock.now()
        second = clock.now()
        assert instant <= first <= second < instant + timedelta(minutes=1)
    assert clock.now() > instant + timedelta(days=1)  # back to the real time after the block


def test_a_stopped_clock_stands_until_moved(stopped_clock) -> None:
    stopped_clock.at(datetime(2027, 3, 14, 6, 59, 59, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2027, 3, 14, 6, 59, 59, tzinfo=UTC)
    stopped_clock.advance(timedelta(seconds=2))
    assert clock.now() == datetime(2027, 3, 14, 7, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2027-02-03T10:00:00", "3 Feb 2027", ""])
def test_an_instant_needs_its_offset(text: str) -> None:
    with pytest.raises(ValueError):
        clock.parse_instant(text)


def test_an_instant_is_read_as_utc() -> None:
    assert clock.parse_instant("2027-02-03T10:00:00+09:00") == datetime(2027, 2, 3, 1, tzinfo=UTC)
