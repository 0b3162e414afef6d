"""Signaling relay: latency and throughput of ours against a bare ``websockets`` relay, and the
memory each connection costs.

For each room count N (``--rooms``, default 100,500,1000) and each relay, a fresh server child
process is started; one client process (this one) connects N rooms × 2 peers to it, then:

- **loaded**: every pair ping-pongs offer-shaped frames of about 1 KB at once (the newcomer
  sends an offer, the other answers, and so on), up to ``--messages`` messages in all or
  ``--seconds``, whichever comes first;
- **single**: one pair ping-pongs ``--single`` messages while the other rooms stay connected
  and idle, so the latency is the relay's own cost rather than queueing.

Latency is one-way: the sender puts ``time.perf_counter()`` in the frame and the receiver, in
the same process, subtracts it. Memory per connection is the server's VmRSS (``/proc``) after
connecting all clients minus before, divided by 2N.

"Ours" is the relay as ``fair signaling`` runs it: ``signaling.standalone.serving`` (LocalHub,
MemoryLedger) on ``websockets``' own asyncio server; token check at join, size check, rate
limiting (lifted to a very high rate here, still checked per frame), each offer and answer
checked and re-written with ``from``. "ours-uvicorn" is the same connection loop as the app's
endpoint (``signaling.asgi``, Starlette) under uvicorn with ``websockets-sansio``, as inside
``fair serve``. "Bare", the baseline, is a ``websockets.serve`` handler that forwards each
frame as it is to the other connection of its room. "asgi" is that same forwarding as a
Starlette endpoint under the same uvicorn: bare → asgi is the cost of the ASGI stack, bare →
ours and asgi → ours-uvicorn the cost of our relay. All see the same clients, frames and
compression setting (none unless ``--deflate``). A benchmark, not a test: it prints figures
and never asserts on timings.

    .venv/bin/python bench/signaling.py [--rooms 100,500,1000] [--quick]
        [--messages 20000] [--seconds 20] [--single 400] [--repeat 3] [--deflate]
        [--relays bare,asgi,ours,ours-uvicorn]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shlex
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import run_within
from http_overhead import child_server, free_port, process_cpu_seconds

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
WAIT_SECONDS = 30.0
CONNECT_CONCURRENCY = 50
PAD = "a" * 1000  # with the envelope a frame is about 1.1 KB, the size of a small SDP
# Frames laid out as the room's page sends them (static/js/room.js: JSON.stringify, no spaces).
dumps = json.JSONEncoder(separators=(",", ":")).encode
KINDS = ("bare", "asgi", "ours", "ours-uvicorn")


# --- the servers (child processes: ``--serve KIND``) -------------------------------------------


def serve_ours(args: argparse.Namespace) -> None:
    from signaling.server import SignalingState
    from signaling.standalone import serving

    state = SignalingState(secret=args.secret, rate_per_second=1e9, rate_burst=1e9)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)  # as fair signaling: gracefully
        watchdog(args.lifetime, lambda: loop.call_soon_threadsafe(stop.set))
        async with serving(state, host="127.0.0.1", port=args.port):
            await stop.wait()

    asyncio.run(main())


def serve_ours_uvicorn(args: argparse.Namespace) -> None:
    import uvicorn

    from signaling.asgi import create_signaling_app
    from signaling.server import SignalingState

    state = SignalingState(secret=args.secret, rate_per_second=1e9, rate_burst=1e9)
    config = uvicorn.Config(
        create_signaling_app(state),
        host="127.0.0.1",
        port=args.port,
        ws="websockets-sansio",
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    watchdog(args.lifetime, lambda: setattr(server, "should_exit", True))
    server.run()


def serve_bare(args: argparse.Namespace) -> None:
    from http import HTTPStatus

    from websockets.asyncio.server import serve

    rooms: dict[str, list[Any]] = {}

    def health(connection: Any, request: Any) -> Any:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async def relay(ws: Any) -> None:
        room = ws.request.path.rsplit("/", 1)[-1]
        peers = rooms.setdefault(room, [])
        peers.append(ws)
        if len(peers) == 2:
            for peer in peers:
                await peer.send('{"type":"ready"}')
        try:
            async for message in ws:
                for peer in peers:
                    if peer is not ws:
                        await peer.send(message)
        finally:
            peers.remove(ws)
            if not peers:
                del rooms[room]

    async def main() -> None:
        stop = asyncio.get_running_loop().create_future()
        watchdog(args.lifetime, lambda: stop.get_loop().call_soon_threadsafe(stop.cancel))
        async with serve(relay, "127.0.0.1", args.port, process_request=health):
            with contextlib.suppress(asyncio.CancelledError):
                await stop

    asyncio.run(main())


def serve_asgi(args: argparse.Namespace) -> None:
    """The bare relay's forwarding on our stack (uvicorn websockets-sansio + Starlette), to tell
    the stack's cost from the relay's."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    rooms: dict[str, list[WebSocket]] = {}

    async def relay(ws: WebSocket) -> None:
        await ws.accept()
        room = ws.path_params["room"]
        peers = rooms.setdefault(room, [])
        peers.append(ws)
        if len(peers) == 2:
            for peer in peers:
                await peer.send_text('{"type":"ready"}')
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                for peer in peers:
                    if peer is not ws:
                        with contextlib.suppress(Exception):
                            await peer.send_text(message["text"])
        finally:
            peers.remove(ws)
            if not peers:
                del rooms[room]

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    app = Starlette(routes=[WebSocketRoute("/room/{room}", relay), Route("/healthz", health)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, ws="websockets-sansio", log_level="warning"
    )
    server = uvicorn.Server(config)
    watchdog(args.lifetime, lambda: setattr(server, "should_exit", True))
    server.run()


def watchdog(lifetime: float, stop: Any) -> None:
    parent = os.getppid()
    deadline = time.monotonic() + lifetime

    def watch() -> None:
        # Never outlive the benchmark: stop when the parent is gone or the time is up.
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.5)
        stop()

    threading.Thread(target=watch, daemon=True).start()


# --- the clients -------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass
class Pair:
    first: Any  # joined first: answers
    second: Any  # joined second: offers
    first_id: str = ""
    second_id: str = ""


@dataclass
class Row:
    kind: str
    rooms: int
    connections: int
    rss_before_kib: int
    rss_after_kib: int
    loaded: list[float] = field(default_factory=list)
    loaded_seconds: float = 0.0
    loaded_server_cpu: float | None = None
    loaded_client_cpu: float = 0.0
    single: list[float] = field(default_factory=list)
    single_server_cpu: float | None = None
    load: float = 0.0  # 1-minute load average at the end (the highest of pooled runs)

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.connections

    @property
    def rate(self) -> float:
        return len(self.loaded) / self.loaded_seconds if self.loaded_seconds else float("nan")

    @property
    def cpu_us_per_message(self) -> float | None:
        if self.loaded_server_cpu is None or not self.loaded:
            return None
        return self.loaded_server_cpu / len(self.loaded) * 1e6

    @property
    def single_cpu_us_per_message(self) -> float | None:
        """One frame at a time, so each wakes the server: unlike the loaded figure, it does
        not depend on how many frames a busy server finds per wakeup (fewer when other
        processes take the CPUs). /proc counts in 10 ms ticks: give --single a few thousand."""
        if self.single_server_cpu is None or not self.single:
            return None
        return self.single_server_cpu / len(self.single) * 1e6


def percentile_ms(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


async def recv_frame(ws: Any) -> dict[str, Any]:
    while True:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for makes a task per call, client
        # overhead that would blur the difference between the two relays.
        async with asyncio.timeout(WAIT_SECONDS):
            text = await ws.recv()
        frame = json.loads(text)
        if frame.get("type") != "ping":  # our server's heartbeat: any traffic answers it
            return frame


async def connect_ours(
    url: str, secret: str, room: int, compression: str | None, sem: asyncio.Semaphore
) -> Pair:
    from websockets.asyncio.client import connect

    from signaling.server import utc_now
    from signaling.tokens import issue

    until = utc_now() + timedelta(hours=2)  # the bare relay's own (library default) clock

    async def join(user: str) -> tuple[Any, dict[str, Any]]:
        ws = await connect(url, compression=compression, open_timeout=WAIT_SECONDS)
        token = issue(
            secret, user_id=user, meeting_id=f"room-{room}", role="buyer", name=user, until=until
        )
        await ws.send(json.dumps({"type": "join", "token": token}))
        joined = await recv_frame(ws)
        if joined.get("type") != "joined":
            raise RuntimeError(f"join refused: {joined}")
        return ws, joined

    async with sem:
        first, first_joined = await join(f"a{room}")
        second, second_joined = await join(f"b{room}")
        hello = await recv_frame(first)
        if hello.get("type") != "peer-joined":
            raise RuntimeError(f"expected peer-joined, got {hello}")
    return Pair(first, second, first_joined["peer_id"], second_joined["peer_id"])


async def connect_bare(
    url: str, room: int, compression: str | None, sem: asyncio.Semaphore
) -> Pair:
    from websockets.asyncio.client import connect

    async with sem:
        first = await connect(f"{url}/{room}", compression=compression)
        second = await connect(f"{url}/{room}", compression=compression)
        for ws in (first, second):
            if (await recv_frame(ws)).get("type") != "ready":
                raise RuntimeError("bare relay did not pair the room")
    return Pair(first, second, "first", "second")


async def ping_pong(pair: Pair, messages: int, deadline: float, latencies: list[float]) -> None:
    """``messages`` one-way messages through the relay, alternating direction; the first
    round trip warms up and is not recorded."""
    offer_to, answer_to = pair.first_id, pair.second_id
    sent = 0
    while sent < messages + 2 and time.perf_counter() < deadline:
        for sender, receiver, kind, to in (
            (pair.second, pair.first, "offer", offer_to),
            (pair.first, pair.second, "answer", answer_to),
        ):
            stamp = time.perf_counter()
            await sender.send(dumps({"type": kind, "to": to, "sdp": f"{stamp!r} {PAD}"}))
            frame = await recv_frame(receiver)
            arrived = time.perf_counter()
            if frame.get("type") != kind:
                raise RuntimeError(f"expected {kind}, got {frame}")
            sent += 1
            if sent > 2:
                latencies.append(arrived - float(frame["sdp"].split(" ", 1)[0]))


@contextlib.asynccontextmanager
async def server(
    kind: str, args: argparse.Namespace, secret: str
) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    command = [
        sys.executable,
        str(SCRIPT),
        "--serve",
        kind,
        "--port",
        str(port),
        # One word with "=": a random secret may start with "-", which argparse would take
        # for an option ("argument --secret: expected one argument").
        f"--secret={secret}",
        "--lifetime",
        str(args.timeout + 30),
    ]
    async with child_server(command, port, ready_path="/healthz", name=f"{kind} relay") as (
        _base,
        pid,
    ):
        path = "/ws/signaling" if kind.startswith("ours") else "/room"
        yield f"ws://127.0.0.1:{port}{path}", pid


async def measure(kind: str, rooms: int, args: argparse.Namespace) -> Row:
    secret = secrets.token_urlsafe(32)
    compression = "deflate" if args.deflate else None
    async with server(kind, args, secret) as (url, pid):
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)  # a connect storm is not what we measure
        before = rss_kib(pid)
        if kind.startswith("ours"):
            connecting = [connect_ours(url, secret, i, compression, sem) for i in range(rooms)]
        else:
            connecting = [connect_bare(url, i, compression, sem) for i in range(rooms)]
        pairs = await asyncio.gather(*connecting)
        row = Row(kind, rooms, 2 * rooms, before, rss_kib(pid))
        try:
            # Loaded: all pairs at once.
            per_pair = max(2, args.messages // rooms)
            cpu_before = process_cpu_seconds(pid)
            client_before = time.process_time()
            started = time.perf_counter()
            deadline = started + args.seconds
            await asyncio.gather(*(ping_pong(p, per_pair, deadline, row.loaded) for p in pairs))
            row.loaded_seconds = time.perf_counter() - started
            row.loaded_client_cpu = time.process_time() - client_before
            cpu_after = process_cpu_seconds(pid)
            if cpu_before is not None and cpu_after is not None:
                row.loaded_server_cpu = cpu_after - cpu_before
            # Single: one pair, the others connected and idle.
            single_deadline = time.perf_counter() + args.seconds
            cpu_before = process_cpu_seconds(pid)
            await ping_pong(pairs[0], args.single, single_deadline, row.single)
            cpu_after = process_cpu_seconds(pid)
            if cpu_before is not None and cpu_after is not None:
                row.single_server_cpu = cpu_after - cpu_before
            row.load = os.getloadavg()[0]
        finally:
            await asyncio.gather(
                *(ws.close() for p in pairs for ws in (p.first, p.second)),
                return_exceptions=True,
            )
    return row


def pooled(rows: list[Row]) -> Row:
    """One row from repeated runs: the samples, messages, seconds and CPU pooled; memory from
    the median run."""
    middle = sorted(rows, key=lambda row: row.kib_per_connection)[len(rows) // 2]
    cpus = [row.loaded_server_cpu for row in rows]
    single_cpus = [row.single_server_cpu for row in rows]
    return Row(
        kind=middle.kind,
        rooms=middle.rooms,
        connections=middle.connections,
        rss_before_kib=middle.rss_before_kib,
        rss_after_kib=middle.rss_after_kib,
        loaded=[value for row in rows for value in row.loaded],
        loaded_seconds=sum(row.loaded_seconds for row in rows),
        loaded_server_cpu=None if None in cpus else sum(cpus),  # type: ignore[arg-type]
        loaded_client_cpu=sum(row.loaded_client_cpu for row in rows),
        single=[value for row in rows for value in row.single],
        single_server_cpu=None if None in single_cpus else sum(single_cpus),  # type: ignore[arg-type]
        load=max(row.load for row in rows),
    )


async def run(args: argparse.Namespace) -> list[Row]:
    rows = []
    for rooms in args.rooms:
        kinds = args.relays
        runs: dict[str, list[Row]] = {kind: [] for kind in kinds}
        for attempt in range(args.repeat):
            # Rotating the order spreads whatever else the machine does over all relays.
            shift = attempt % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                runs[kind].append(await measure(kind, rooms, args))
                cpu = runs[kind][-1].cpu_us_per_message
                print(
                    f"  measured {kind} with {rooms} rooms ({attempt + 1}): "
                    f"{'n/a' if cpu is None else f'{cpu:,.0f}'} µs/msg",
                    file=sys.stderr,
                )
        rows += [pooled(runs[kind]) for kind in kinds]
    return rows


def ratio(ours: float | None, base: float | None) -> str:
    if ours is None or base is None or base == 0:
        return "n/a"
    return f"{ours / base:.2f}×"


def table(rows: list[Row]) -> str:
    lines = [
        "| rooms | conns | relay | msgs | msg/s | p50 ms | p99 ms | server CPU µs/msg "
        "| client CPU % | single p50 ms | single p99 ms | single CPU µs/msg | KiB/conn "
        "| CPU ratio | single CPU ratio | p50 ratio | msg/s ratio | single p50 ratio | load |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base: Row | None = None
    for row in rows:
        if row.kind == "bare":
            base = row
        cpu, single_cpu = row.cpu_us_per_message, row.single_cpu_us_per_message
        p50, single_p50 = percentile_ms(row.loaded, 50), percentile_ms(row.single, 50)
        if row is base or base is None:
            ratios = "| — | — | — | — | — "
        else:
            ratios = (
                f"| {ratio(cpu, base.cpu_us_per_message)} "
                f"| {ratio(single_cpu, base.single_cpu_us_per_message)} "
                f"| {ratio(p50, percentile_ms(base.loaded, 50))} | {ratio(row.rate, base.rate)} "
                f"| {ratio(single_p50, percentile_ms(base.single, 50))} "
            )
        lines.append(
            f"| {row.rooms} | {row.connections} | {row.kind} | {len(row.loaded)} "
            f"| {row.rate:,.0f} | {p50:.2f} | {percentile_ms(row.loaded, 99):.2f} "
            f"| {'n/a' if cpu is None else f'{cpu:,.0f}'} "
            f"| {100 * row.loaded_client_cpu / row.loaded_seconds:.0f} "
            f"| {single_p50:.3f} | {percentile_ms(row.single, 99):.3f} "
            f"| {'n/a' if single_cpu is None else f'{single_cpu:,.0f}'} "
            f"| {row.kib_per_connection:.1f} " + ratios + f"| {row.load:.1f} |"
        )
    return "\n".join(lines)


def raise_fd_limit(connections: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", default=None, help="room counts, comma-separated")
    parser.add_argument("--quick", action="store_true", help="100 rooms, fewer messages")
    parser.add_argument("--messages", type=int, default=None, help="loaded messages per row")
    parser.add_argument("--seconds", type=float, default=20.0, help="cap on each phase")
    parser.add_argument("--single", type=int, default=None, help="messages of the single pair")
    parser.add_argument("--deflate", action="store_true", help="permessage-deflate on clients")
    parser.add_argument(
        "--relays", default=",".join(KINDS), help=f"which, comma-separated ({','.join(KINDS)})"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per relay and room count, pooled (3)"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up after this many seconds in all"
    )
    # Internal: how the benchmark starts its own server processes.
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=930.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rooms = args.rooms or ("100" if args.quick else "100,500,1000")
    try:
        args.rooms = [int(part) for part in rooms.split(",") if part.strip()]
    except ValueError:
        parser.error("--rooms takes whole numbers, e.g. 100,500")
    if not args.rooms or min(args.rooms) < 1:
        parser.error("--rooms must be positive")
    # In the table's order; the ratios are to bare, so it is always measured.
    asked = {part.strip() for part in args.relays.split(",") if part.strip()}
    if not asked <= set(KINDS):
        parser.error(f"--relays takes some of {', '.join(KINDS)}")
    args.relays = tuple(kind for kind in KINDS if kind in asked | {"bare"})
    if args.messages is None:
        args.messages = 4000 if args.quick else 20000
    if args.single is None:
        args.single = 100 if args.quick else 400
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    servers = {
        "bare": serve_bare,
        "asgi": serve_asgi,
        "ours": serve_ours,
        "ours-uvicorn": serve_ours_uvicorn,
    }
    if args.serve is not None:
        servers[args.serve](args)
        return 0
    raise_fd_limit(2 * max(args.rooms))
    import uvicorn
    import websockets

    rows = run_within(run(args), args.timeout)
    if rows is None:
        return 1
    print("## Signaling relay: ours against a bare websockets relay (and on the ASGI stack)\n")
    print(f"Command: `{shlex.join(sys.orig_argv)}`\n")
    print(
        f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} (websockets-sansio), "
        f"websockets {websockets.__version__}; {os.cpu_count()} CPUs, shared by the server "
        f"process and this one client process (all 2×N connections), so the client's own "
        f"work is in every figure, equally for both relays. Frames ≈1.1 KB, "
        f"compression {'deflate' if args.deflate else 'off'}; loaded: all pairs ping-pong, "
        f"≤{args.messages} messages or {args.seconds:g} s per row (first round trip of each "
        f"pair not counted); single: one pair, {args.single} messages, the other rooms idle. "
        f"Each row pools {args.repeat} run(s), a fresh server each, the relays in rotating order "
        f"(msgs is the pooled count; memory is the median run). "
        f"Latency is one-way. KiB/conn = server VmRSS growth ÷ connections. "
        f"Ratios are to bare at the same N. load = the machine's 1-minute load average "
        f"after the row (above 2, other processes were competing for the CPUs).\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
