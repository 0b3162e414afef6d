"""The one clock: every reading of the current time in the app, the jobs and the CLI.

Nothing else reads the wall clock (libraries such as ``signaling`` take ``now`` as a
parameter), so moving this clock moves the whole programme: the demo is loaded as of any
instant (``fair demo --now``), a server runs as of it (``FAIR_NOW``) and tests step through
phases, clock changes and leap days without waiting for them.

The clock is the real time plus an offset. ``start_at`` sets the offset so that the clock
reads a given instant now and runs on from it at the real pace, as a server must; tests
that count minutes ``freeze`` it instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant: UTC, timezone-aware."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset  # clock-ok: the one reading of the wall clock


def real_now() -> datetime:
    """The wall clock itself, for peers outside the programme that check times against it
    (coturn reads a TURN credential's expiry on its own clock)."""
    return datetime.now(UTC)  # clock-ok: for peers that keep the real time


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock needs an instant with its UTC offset")
    return instant.astimezone(UTC)


def start_at(instant: datetime) -> None:
    """From here on the clock reads ``instant`` and runs on from it at the real pace."""
    global _offset, _frozen
    _offset, _frozen = _aware(instant) - real_now(), None


def freeze(instant: datetime) -> None:
    """The clock stands at ``instant`` until it is moved again (tests that count minutes)."""
    global _frozen
    _frozen = _aware(instant)


def reset() -> None:
    """Back to the real time."""
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None


@contextmanager
def moved_to(instant: datetime) -> Iterator[None]:
    """The clock running from ``instant`` inside the block, as it was after it."""
    global _offset, _frozen
    before = _offset, _frozen
    start_at(instant)
    try:
        yield
    finally:
        _offset, _frozen = before


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (``2027-02-03T10:00:00+09:00``), as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"give the instant with its UTC offset: {text!r}")
    return moment.astimezone(UTC)
