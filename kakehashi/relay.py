"""The video relay from the settings: its state for the app (``fair serve``'s own
``/ws/signaling``), and running the relay as a process of its own on ``websockets``' server
(``signaling.standalone``): ``fair signaling`` (``kakehashi.app.relay_server``: attendance
recorded, ``GET /metrics``), and the bare relay ``python -m kakehashi.relay [--host]
[--port]`` from ``FAIR_*`` variables, without a database, so without attendance (the cluster
tests run it). This module stays light: the bare relay imports none of the features.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from fair import clock, logs
from fair.config import Settings, load_settings
from signaling.hubs import LocalHub, RedisHub
from signaling.server import EventCallback, SignalingState, no_event
from signaling.standalone import TrustedProxies, serving
from signaling.tokens import MemoryLedger, RedisLedger

log = logging.getLogger("kakehashi.relay")  # also when run as __main__

PATH = "/ws/signaling"


def relay_state(settings: Settings, on_event: EventCallback = no_event) -> SignalingState:
    """The rooms in this process, or shared through Redis by every process of the app."""
    if settings.redis_url:
        hub: LocalHub | RedisHub = RedisHub(
            settings.redis_url,
            settings.signaling_capacity,
            heartbeat_seconds=settings.signaling_heartbeat_seconds,
            stale_after_seconds=settings.signaling_stale_seconds,
        )
        ledger: MemoryLedger | RedisLedger = RedisLedger.from_url(settings.redis_url)
    else:
        hub, ledger = LocalHub(settings.signaling_capacity), MemoryLedger()
    return SignalingState(
        secret=settings.secret_key,
        hub=hub,
        ledger=ledger,
        on_event=on_event,
        ping_interval=settings.signaling_ping_interval,
        clock=clock.now,
    )


def trusted_proxies(environ: Mapping[str, str] | None = None) -> TrustedProxies:
    """uvicorn's ``FORWARDED_ALLOW_IPS`` (default this machine), read the same way for the
    relay's own process: the client address that ``/metrics`` judges comes from it."""
    environ = os.environ if environ is None else environ
    return TrustedProxies(environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"))


def state_from_env(environ: Mapping[str, str] | None = None) -> SignalingState:
    """The bare relay's state from ``FAIR_*`` variables. It must share the app's
    ``FAIR_SECRET_KEY``, so that one is required here."""
    settings = load_settings(environ)
    if not (os.environ if environ is None else environ).get("FAIR_SECRET_KEY"):
        raise RuntimeError("FAIR_SECRET_KEY is required")
    return relay_state(settings)


async def _until_signalled(server: contextlib.AbstractAsyncContextManager[Any], where: str) -> None:
    """Serve until SIGTERM or SIGINT, then leave the block (the graceful shutdown)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        log.info("signaling relay serving %s", where)
        await stop.wait()
        log.info("signaling relay shutting down")


def quiet_websockets() -> None:
    """websockets logs every connection opened and closed at INFO: a line for each
    participant's every visit, which uvicorn's settings (no access log) never wrote."""
    logging.getLogger("websockets").setLevel(logging.WARNING)


def serve_until_signalled(server: contextlib.AbstractAsyncContextManager[Any], where: str) -> int:
    """Run ``server`` (``signaling.standalone.serving`` or one built on it) in this process
    until SIGTERM or SIGINT."""
    quiet_websockets()
    asyncio.run(_until_signalled(server, where))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kakehashi.relay``: the bare relay."""
    parser = argparse.ArgumentParser(description="the bare signaling relay (no database)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    try:
        state = state_from_env()
    except RuntimeError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(load_settings().log_format, logging.INFO)
    return serve_until_signalled(
        serving(state, host=args.host, port=args.port, path=PATH, proxies=trusted_proxies()),
        f"ws://{args.host}:{args.port}{PATH}",
    )


if __name__ == "__main__":
    sys.exit(main())
