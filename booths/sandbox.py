"""Untrusted files are decoded in worker processes, never in the app's.

A worker (booths/sandbox_worker.py) is a fresh Python started with an empty environment (no
settings, no secrets), limited in memory, file size and CPU priority. ``Sandbox.run`` hands
it one task and waits at most ``seconds``; a worker that overruns is killed, one that dies
or runs out of memory is replaced, so a hostile file costs one worker, never the app, and the
next file gets a working one. At most ``workers`` run at once per app process; more wait.
Workers are kept for further tasks (starting one costs a Python start-up) up to
``TASKS_PER_WORKER``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fair.config import Settings
from fair.resources import Resources

TASKS_PER_WORKER = 50
ROOT = Path(__file__).resolve().parent.parent  # where ``booths`` is importable from
REPLY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # address space beyond what the worker's libraries take
    seconds: float  # per task
    workers: int
    max_image_bytes: int  # an image's pixels once decoded
    max_video_seconds: int

    @property
    def file_bytes(self) -> int:
        # The largest file a worker may write: a re-encoded image never needs more than
        # its raw pixels.
        return 2 * self.max_image_bytes + 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            memory_bytes=settings.media_worker_memory_bytes,
            seconds=settings.media_worker_seconds,
            workers=settings.media_workers,
            max_image_bytes=settings.max_image_memory_bytes,
            max_video_seconds=settings.max_video_seconds,
        )


class SandboxRefused(Exception):
    """The worker refused the file (``reason``: damaged, metadata, pixels, video, too_long),
    could not finish it (memory, time, crashed), or none could be started (unavailable)."""

    def __init__(self, reason: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params or {}


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.tasks = 0

    @classmethod
    async def start(cls, limits: Limits) -> _Worker:
        config = {**asdict(limits), "file_bytes": limits.file_bytes}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "booths.sandbox_worker",
            json.dumps(config),
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=REPLY_LIMIT,
        )
        return cls(process)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def ask(self, request: dict[str, Any], seconds: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.tasks += 1
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            await self.process.stdin.drain()
            line = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        except TimeoutError:
            raise SandboxRefused("time") from None
        except (ConnectionError, ValueError):  # a broken pipe, a reply line over the limit
            raise SandboxRefused("crashed") from None
        if not line:
            raise SandboxRefused("crashed")  # killed: the memory limit, a signal, a crash
        return json.loads(line)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()


class Sandbox:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.workers)
        self._idle: list[_Worker] = []
        self._killed: list[_Worker] = []  # to be waited for at the end

    async def run(self, task: str, **args: Any) -> dict[str, Any]:
        """Run ``task`` (booths/decoding.py) in a worker; its result, or ``SandboxRefused``."""
        async with self._slots:
            worker = await self._take()
            keep = False
            try:
                reply = await worker.ask({"task": task, "args": args}, self.limits.seconds)
                keep = not reply.get("exit") and worker.tasks < TASKS_PER_WORKER
            finally:
                # Killed unless it answered: also when the upload was abandoned mid-task.
                if keep:
                    self._idle.append(worker)
                else:
                    worker.kill()
                    self._killed = [w for w in self._killed if w.alive] + [worker]
        if "refused" in reply:
            raise SandboxRefused(reply["refused"], reply.get("params"))
        return reply["ok"]

    async def _take(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
        try:
            return await _Worker.start(self.limits)
        except OSError:  # no process to be had (out of memory, of process slots)
            raise SandboxRefused("unavailable") from None

    async def aclose(self) -> None:
        workers, self._idle, self._killed = [*self._idle, *self._killed], [], []
        for worker in workers:
            worker.kill()
            await worker.process.wait()

    def worker_pids(self) -> list[int]:
        """The idle workers' process ids (for operations and the tests)."""
        return [worker.process.pid for worker in self._idle if worker.alive]


def sandbox_of(res: Resources) -> Sandbox:
    """The process's media workers (the app's or the job worker's): made on first use,
    stopped with the process's resources."""
    return res.part(Sandbox, lambda: Sandbox(Limits.from_settings(res.settings)))
