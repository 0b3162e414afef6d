"""What our request stack costs: GET /api/fairs on our app against a bare Starlette baseline.

Both servers run uvicorn in their own process (one at a time, so on a 2-core machine the
server has one core and this load generator the other). The baseline is a Starlette app with
a single route that renders the very JSON our endpoint returned, so the difference between the
two rows is our middleware (unit of work, identity, same-origin, security headers), the
database round trip and the ORM, not the payload or the JSON encoder.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/http_overhead.py [--requests 3000] [--concurrency 16]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import shlex
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import run_within, stopping

try:
    import sniffio  # noqa: F401
except ImportError:
    # httpcore retries ``import sniffio`` for every lock it makes; when it is absent each try
    # walks sys.path, which costs the client more than the baseline server spends per request.
    # Caching the miss keeps the load generator from being the bottleneck it measures.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

PATH = "/api/fairs"
SCRIPT = Path(__file__).resolve()
READY_SECONDS = 30.0
STOP_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 10.0


# --- the servers (run in a child process: ``--serve baseline|ours``) ---------------------------


def baseline_app(content: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def fairs(request: Any) -> JSONResponse:
        # Rendered per request, as ours is: the encoder's cost is on both sides.
        return JSONResponse(content)

    return Starlette(routes=[Route(PATH, fairs, methods=["GET"])])


def ours_app(database_url: str, tmp: Path) -> Any:
    from fair.config import Settings
    from kakehashi.app import create_app

    settings = Settings(
        env="test",
        database_url=database_url,
        inprocess_jobs=False,
        mail_dir=tmp / "mail",
    )
    return create_app(settings)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.serve == "baseline":
        app = baseline_app(json.loads(Path(args.body_file).read_bytes()))
    else:
        app = ours_app(args.database_url, Path(args.tmp))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    parent = os.getppid()
    deadline = time.monotonic() + args.lifetime

    def watchdog() -> None:
        # Never outlive the benchmark: stop when the parent is gone or the time is up.
        while not server.should_exit:
            if os.getppid() != parent or time.monotonic() > deadline:
                server.should_exit = True
                return
            time.sleep(0.5)

    threading.Thread(target=watchdog, daemon=True).start()
    server.run()


# --- the load generator ------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    database: str
    body_bytes: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float | None
    client_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.server_cpu is None:
            return None
        return self.server_cpu / self.requests * 1e6


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None where that isn't available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    client: httpx.AsyncClient, url: str, count: int, concurrency: int, body_bytes: int
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    remaining = count

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            try:
                response = await client.get(url)
                ok = response.status_code == 200 and len(response.content) == body_bytes
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


async def measure(
    label: str, database: str, base_url: str, pid: int, body_bytes: int, args: argparse.Namespace
) -> Result:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    url = base_url + PATH
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        await drive(client, url, args.warmup, args.concurrency, body_bytes)
        server_before = process_cpu_seconds(pid)
        client_before = time.process_time()
        started = time.perf_counter()
        latencies, errors = await drive(client, url, args.requests, args.concurrency, body_bytes)
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_before
        server_after = process_cpu_seconds(pid)
    server_cpu = None
    if server_before is not None and server_after is not None:
        server_cpu = server_after - server_before
    return Result(
        label=label,
        database=database,
        body_bytes=body_bytes,
        requests=args.requests,
        errors=errors,
        seconds=seconds,
        latencies=latencies,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
    )


# --- set-up: servers, databases ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running_server(
    kind: str, args: argparse.Namespace, **options: str
) -> AsyncIterator[tuple[str, int]]:
    """A uvicorn child process serving ``kind``; yields (base URL, pid) once it answers."""
    port = free_port()
    command = [
        sys.executable,
        str(SCRIPT),
        "--serve",
        kind,
        "--port",
        str(port),
        "--lifetime",
        str(args.timeout + 30),
    ]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", value]
    async with child_server(command, port, ready_path=PATH, name=f"{kind} server") as server:
        yield server


@contextlib.asynccontextmanager
async def child_server(
    command: list[str],
    port: int,
    *,
    ready_path: str,
    name: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Any = None,
    stderr: Any = None,
    ready_seconds: float = READY_SECONDS,
    stop_seconds: float = STOP_SECONDS,
) -> AsyncIterator[tuple[str, int]]:
    """Start ``command`` (a server on ``port``), wait until ``ready_path`` answers 200, yield
    (base URL, pid), and stop it with SIGTERM (then SIGKILL) at the end. The benchmarks'
    one way of running a server in a child process."""
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=stdout, stderr=stderr
    )
    base_url = f"http://127.0.0.1:{port}"
    async with stopping(proc, stop_seconds):
        deadline = time.monotonic() + ready_seconds
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(base_url + ready_path)).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer within {ready_seconds}s")
                await asyncio.sleep(0.1)
        yield base_url, proc.pid


async def prepare_database(url: str) -> int:
    """Migrate a fresh database and plan 2027's fairs in it; returns how many were created."""
    from fair.db import create_engine, create_sessionmaker
    from fair.fairs.service import plan_year
    from fair.fairs.themes import FAIR_THEMES
    from fair.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            fairs = await plan_year(session, year=2027, titles=FAIR_THEMES)
            await session.commit()
    finally:
        await engine.dispose()
    return len(fairs)


@contextlib.asynccontextmanager
async def temporary_postgres(admin_url: str) -> AsyncIterator[str]:
    """A ``kk_bench_<random>`` database created on the admin DSN, dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kk_bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(admin_dsn, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def fetch_body(base_url: str) -> bytes:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
        response = await client.get(base_url + PATH)
        response.raise_for_status()
        return response.content


# --- the run -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> tuple[list[Result], int]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kk_bench_") as tmp_name:
        tmp = Path(tmp_name)
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        fair_count = await prepare_database(sqlite_url)

        async with running_server("ours", args, database_url=sqlite_url, tmp=str(tmp)) as (
            base_url,
            pid,
        ):
            body = await fetch_body(base_url)
            ours_sqlite = await measure("ours", "SQLite", base_url, pid, len(body), args)
        body_file = tmp / "body.json"
        body_file.write_bytes(body)

        async with running_server("baseline", args, body_file=str(body_file)) as (base_url, pid):
            if await fetch_body(base_url) != body:
                raise RuntimeError("the baseline does not return our exact body")
            results.append(await measure("baseline", "none", base_url, pid, len(body), args))
        results.append(ours_sqlite)

        if args.postgres:
            async with temporary_postgres(args.postgres) as pg_url:
                await prepare_database(pg_url)
                async with running_server("ours", args, database_url=pg_url, tmp=str(tmp)) as (
                    base_url,
                    pid,
                ):
                    pg_body = await fetch_body(base_url)
                    results.append(
                        await measure("ours", "PostgreSQL", base_url, pid, len(pg_body), args)
                    )
    return results, fair_count


def ratio(ours: float | None, baseline: float | None) -> str:
    if ours is None or baseline is None or baseline == 0:
        return "n/a"
    return f"{ours / baseline:.2f}×"


def table(results: list[Result]) -> str:
    baseline = results[0]
    lines = [
        "| stack | database | body bytes | req/s | p50 ms | p99 ms | errors "
        "| server CPU µs/req | client CPU % | req/s ratio | p50 ratio | p99 ratio "
        "| CPU/req ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu = r.cpu_us_per_request
        is_base = r is baseline
        lines.append(
            f"| {r.label} | {r.database} | {r.body_bytes} | {r.rps:,.0f} "
            f"| {r.percentile_ms(50):.2f} | {r.percentile_ms(99):.2f} | {r.errors} "
            f"| {'n/a' if cpu is None else f'{cpu:,.0f}'} "
            f"| {100 * r.client_cpu / r.seconds:.0f} "
            f"| {'—' if is_base else ratio(r.rps, baseline.rps)} "
            f"| {'—' if is_base else ratio(r.percentile_ms(50), baseline.percentile_ms(50))} "
            f"| {'—' if is_base else ratio(r.percentile_ms(99), baseline.percentile_ms(99))} "
            f"| {'—' if is_base else ratio(cpu, baseline.cpu_us_per_request)} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per stack")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="also run ours on PostgreSQL, in a temporary database made via this admin URL, "
        "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up after this many seconds in all"
    )
    # Internal: how the benchmark starts its own server processes.
    parser.add_argument("--serve", choices=["baseline", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=330.0, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--body-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is None and (args.requests < 1 or args.warmup < 0 or args.concurrency < 1):
        parser.error("--requests and --concurrency must be positive, --warmup not negative")
    return args


def main() -> int:
    args = parse_args()
    if args.serve:
        serve(args)
        return 0
    import starlette
    import uvicorn

    outcome = run_within(run(args), args.timeout)
    if outcome is None:
        return 1
    results, fair_count = outcome
    print(f"## HTTP overhead: GET {PATH} ({fair_count} fairs)\n")
    print(f"Command: `{shlex.join(sys.orig_argv)}`\n")
    print(
        f"Python {platform.python_version()}, starlette {starlette.__version__}, "
        f"uvicorn {uvicorn.__version__}, httpx {httpx.__version__}; {os.cpu_count()} CPUs; "
        f"{args.requests} requests per row after {args.warmup} warm-up, "
        f"concurrency {args.concurrency}, keep-alive; ratios are ours/baseline.\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
