#!/usr/bin/env python3
"""Named mutants: small, realistic bugs put one at a time into a copy of the code, each run
against the tests that must catch it; prints which were killed (a test failed) and which
survived. ``make mutation``; not part of ``make test`` (it runs the chosen tests once per
mutant). Exit status 1 when a mutant survives or no longer applies.

A mutant is a piece of code and what it becomes: when the code it names has changed, the
runner says so instead of guessing, and the mutant is brought up to date by hand.

    .venv/bin/python scripts/mutation.py            # every mutant
    .venv/bin/python scripts/mutation.py csrf dst   # those whose name contains a word
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 900  # one mutant's tests


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # what the mutant does, as a reviewer would say it
    path: str
    code: str  # exactly once in the file
    becomes: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "outbox-runs-twice",
        "a job's effect runs again when the job is retried (the 'already done' check is gone)",
        "fair/outbox.py",
        """            if await already_done(session, key):
                return False
            await effect(session)""",
        """            await effect(session)""",
        ("tests/fair/test_outbox.py",),
    ),
    Mutant(
        "relay-to-everyone-local",
        "an addressed frame (offer, answer, candidate) goes to every other peer of the room",
        "signaling/hubs.py",
        """        target = room.get(to)
        if target is None:
            return False
        await target.conn.send(text)
        return True""",
        """        target = room.get(to)
        if target is None:
            return False
        for peer in list(room.values()):
            if peer.member.peer_id != sender:
                await peer.conn.send(text)
        return True""",
        ("tests/signaling/test_relay.py",),
    ),
    Mutant(
        "relay-to-everyone-redis",
        "an addressed frame from another process goes to every peer of the room here",
        "signaling/hubs.py",
        """        elif kind == "to":
            peer = self._local.get(meeting_id, {}).get(target)
            if peer is not None:
                await peer.conn.send(frame)""",
        """        elif kind == "to":
            await self._deliver_all(meeting_id, frame)""",
        ("tests/signaling/test_cluster.py",),
    ),
    Mutant(
        "upload-trusts-declared-type",
        "bytes no sniffer recognises are taken for the type the client declared",
        "booths/media.py",
        """        self.media_type = sniff(bytes(self.head[:SNIFF_BYTES]))""",
        """        declared = self.headers.get(b"content-type", b"").decode("latin-1").strip()
        self.media_type = sniff(bytes(self.head[:SNIFF_BYTES])) or ACCEPTED.get(declared)""",
        ("tests/booths/test_media.py",),
    ),
    Mutant(
        "dst-offset-at-midnight",
        "a booth's wall-clock hours are turned into UTC with the offset at local midnight",
        "meetings/slots.py",
        """    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)""",
        """    midnight = datetime.combine(day, time(0), tzinfo=zone)
    return (naive - midnight.utcoffset()).replace(tzinfo=UTC)""",
        ("tests/meetings/test_slots.py",),
    ),
    Mutant(
        "booking-guard-swallowed",
        "a hold already taken is ignored, so two bookings of one time both succeed",
        "meetings/booking.py",
        """    if len(written) < len(cells):
        raise SlotTaken()""",
        """    if len(written) < len(cells):
        pass""",
        ("tests/meetings/test_booking_api.py",),
    ),
    Mutant(
        "owner-check-any-exhibitor",
        "any exhibitor may manage any booth",
        "booths/service.py",
        """    return user is not None and user.id == booth.owner_id""",
        """    return user is not None and user.role == "exhibitor\"""",
        ("tests/security/test_authz_matrix.py",),
    ),
    Mutant(
        "conversion-over-booked",
        "the conversion rate divides contracts by booked meetings instead of held ones",
        "reports/figures.py",
        """        return ratio(self.contracts, self.held)""",
        """        return ratio(self.contracts, self.booked)""",
        ("tests/reports/test_conversion.py",),
    ),
    Mutant(
        "reminder-from-the-end",
        "reminders are timed from the meeting's end instead of its start",
        "meetings/jobs.py",
        """        when = meeting.starts_at - before""",
        """        when = meeting.ends_at - before""",
        ("tests/meetings/test_mails.py",),
    ),
    Mutant(
        "csrf-any-token",
        "a form's CSRF token is not compared with the browser's cookie",
        "fair/web.py",
        "    if not cookie or not isinstance(sent, str)"
        " or not secrets.compare_digest(cookie, sent):",
        "    if not isinstance(sent, str):",
        ("tests/security/test_web_security.py",),
    ),
    Mutant(
        "token-any-scope",
        "an API token may call any route whatever its scopes",
        "fair/api.py",
        """            if needed.value not in scopes:
                raise InsufficientScope(scope=needed.value)""",
        """            if not scopes:
                raise InsufficientScope(scope=needed.value)""",
        ("tests/fair/accounts/test_api_tokens.py",),
    ),
    Mutant(
        "token-never-expires",
        "an API token keeps working after its last day",
        "fair/accounts/api_tokens.py",
        """    return (ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)""",
        """    return (ApiToken.revoked_at.is_(None),)""",
        ("tests/fair/accounts/test_api_tokens.py",),
    ),
    Mutant(
        "token-manages-the-account",
        "an API token may read and make tokens like a cookie (the account's keys take it)",
        "fair/api.py",
        """        if self.cookie_only:
            return None
        if self.scope is None""",
        """        if self.scope is None""",
        ("tests/fair/accounts/test_api_tokens.py",),
    ),
)


def tracked_copy(target: Path) -> None:
    """The files git knows (and new ones it does not ignore), as they are in the work tree."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(  # noqa: S603 (a fixed command: git from PATH, as make finds it)
        command,
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = REPO / raw.decode()
        if source.is_file():
            destination = target / raw.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    # Compiled catalogs are built, not tracked; the pages need them.
    for catalog in (REPO / "fair/locale").rglob("*.mo"):
        destination = target / catalog.relative_to(REPO)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(catalog, destination)


def run(mutant: Mutant, copy: Path) -> str:
    path = copy / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.code) != 1:
        return "does not apply"
    path.write_text(original.replace(mutant.code, mutant.becomes), encoding="utf-8")
    try:
        # Run from the copy: pytest puts the copy's root first on sys.path, ahead of the
        # editable install of the work tree.
        result = subprocess.run(  # noqa: S603 (this Python's pytest on our own test files)
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests],
            cwd=copy,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "killed (timed out)"
    finally:
        path.write_text(original, encoding="utf-8")
    if result.returncode == 0:
        return "survived"
    if result.returncode == 1:
        return "killed"
    return f"error (pytest exit {result.returncode}): {result.stdout[-400:]}{result.stderr[-400:]}"


def main(words: list[str]) -> int:
    chosen = [m for m in MUTANTS if not words or any(w in m.name for w in words)]
    if not chosen:
        print(f"no mutant matches {words}; names: {', '.join(m.name for m in MUTANTS)}")
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="kakehashi-mutants-") as folder:
        copy = Path(folder)
        tracked_copy(copy)
        for mutant in chosen:
            started = time.monotonic()
            verdict = run(mutant, copy)
            took = time.monotonic() - started
            results.append((mutant, verdict))
            print(f"{verdict:<16} {mutant.name:<28} {took:5.0f} s  {mutant.bug}", flush=True)
    killed = sum(verdict.startswith("killed") for _, verdict in results)
    print(f"\n{killed} of {len(results)} mutants killed")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
