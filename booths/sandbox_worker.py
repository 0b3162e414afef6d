"""A media worker process: ``python -m booths.sandbox_worker LIMITS`` (started by
booths/sandbox.py, never by hand).

It limits itself before it reads a request: its address space to what its libraries already
take plus ``memory_bytes``, the files it writes, no core dumps, a lower CPU priority than the
app. Then it answers one JSON request a line (``{"task", "args"}``) with one JSON reply a
line (``{"ok": ...}`` or ``{"refused": reason, "params": ...}``) until its input closes: when
the app process ends, so do its workers. After running out of memory it answers and exits, so
the next file gets a fresh process.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path
from typing import IO, Any

from booths.decoding import TASKS, Refused, configure

PAGE = os.sysconf("SC_PAGE_SIZE")


def address_space() -> int:
    """Bytes of address space this process has mapped now (its libraries, Python's heap)."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[0]) * PAGE


def _lower(which: int, limit: int) -> None:
    """Lower a limit (soft and hard), never above a hard limit set from outside (a
    container's); where the system refuses, say so and go on with the time limit alone."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(which, (limit, limit))
    except (ValueError, OSError) as exc:
        print(f"media worker: cannot set resource limit {which}: {exc}", file=sys.stderr)


def limit_self(memory_bytes: int, file_bytes: int) -> None:
    _lower(resource.RLIMIT_AS, address_space() + memory_bytes)
    _lower(resource.RLIMIT_FSIZE, file_bytes)
    _lower(resource.RLIMIT_CORE, 0)
    os.nice(10)


def answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": TASKS[request["task"]](**request["args"])}
    except Refused as refused:
        return {"refused": refused.reason, "params": refused.params}
    except MemoryError:
        return {"refused": "memory", "params": {}, "exit": True}
    except Exception:  # anything a hostile file makes a decoder raise is a damaged file
        return {"refused": "damaged", "params": {}}


def serve(requests: IO[str], replies: IO[str]) -> None:
    for line in requests:
        reply = answer(json.loads(line))
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if reply.get("exit"):
            return


def main() -> None:
    limits = json.loads(sys.argv[1])
    configure(limits["max_image_bytes"])
    # Replies get a descriptor of their own; anything a library prints goes to stderr.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    limit_self(limits["memory_bytes"], limits["file_bytes"])
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
