"""Who was in the video room, and what that makes of the meeting. Pure: no I/O.

A visit is one connection of one participant (a reconnect is a new visit). The exhibitor's
side and the buyer's side were "together" wherever a visit of each overlaps; overlapping
visits of one side (two tabs, a reconnect) count once. Interpreters do not make a meeting
held on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from meetings.models import Attendance, Side


@dataclass(frozen=True)
class Visit:
    side: str
    joined_at: datetime
    left_at: datetime | None  # None: still connected


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _spans(visits: Sequence[Visit], side: str, now: datetime) -> list[tuple[datetime, datetime]]:
    return _merged((v.joined_at, min(v.left_at or now, now)) for v in visits if v.side == side)


def together(visits: Sequence[Visit], now: datetime) -> timedelta:
    """How long the exhibitor's side and the buyer's side were in the room at once."""
    exhibitor = _spans(visits, Side.EXHIBITOR, now)
    buyer = _spans(visits, Side.BUYER, now)
    total = timedelta(0)
    i = j = 0
    while i < len(exhibitor) and j < len(buyer):
        start = max(exhibitor[i][0], buyer[j][0])
        end = min(exhibitor[i][1], buyer[j][1])
        if end > start:
            total += end - start
        if exhibitor[i][1] < buyer[j][1]:
            i += 1
        else:
            j += 1
    return total


def verdict(
    visits: Sequence[Visit], *, now: datetime, held_after: timedelta, final: bool
) -> Attendance | None:
    """``held`` as soon as the two sides have been together long enough; otherwise, once the
    room has closed (``final``), who did not come. None: too early to say."""
    spent = together(visits, now)
    if spent > timedelta(0) and spent >= held_after:
        return Attendance.HELD
    if not final:
        return None
    came = {v.side for v in visits}
    exhibitor, buyer = Side.EXHIBITOR in came, Side.BUYER in came
    if not exhibitor and not buyer:
        return Attendance.NO_SHOW_BOTH
    if not buyer:
        return Attendance.NO_SHOW_BUYER
    if not exhibitor:
        return Attendance.NO_SHOW_EXHIBITOR
    return Attendance.TOO_SHORT
