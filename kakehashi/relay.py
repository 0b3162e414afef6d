"""The video relay's state from the settings, for the app (``fair serve``), ``fair
signaling`` and the bare relay (``uvicorn kakehashi.relay:app_from_env --factory``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from starlette.applications import Starlette

from fair import clock
from fair.config import Settings, load_settings
from signaling.hubs import LocalHub, RedisHub
from signaling.server import EventCallback, SignalingState, create_signaling_app, no_event
from signaling.tokens import MemoryLedger, RedisLedger


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


def app_from_env(environ: Mapping[str, str] | None = None) -> Starlette:
    """The bare relay from ``FAIR_*`` variables: no database, so no attendance is recorded
    (in production run ``fair signaling``, which records it). It must share the app's
    ``FAIR_SECRET_KEY``, so that one is required here."""
    settings = load_settings(environ)
    if not (os.environ if environ is None else environ).get("FAIR_SECRET_KEY"):
        raise RuntimeError("FAIR_SECRET_KEY is required")
    return create_signaling_app(relay_state(settings))
