"""``GET /metrics``: the process's counters (``fair.metrics``) and what is read at scrape time
(the outbox's backlog, the database pool, the video rooms), in the Prometheus text format.

Not public: it answers requests from this machine (loopback), and from elsewhere only those
carrying ``Authorization: Bearer <FAIR_METRICS_TOKEN>``; anyone else gets the 404 of a path
that does not exist. The counters are this process's: each app process (and each worker,
``fair worker --metrics-port``) is scraped on its own.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, outbox
from fair.resources import Resources

log = logging.getLogger(__name__)

# The outbox query's limit: a scrape answers in bounded time even with the database slow;
# the outbox's series are then left out (and the line logged) rather than the scrape failing.
OUTBOX_TIMEOUT_SECONDS = 2.0


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(host: str | None, authorization: str | None, token: str | None) -> bool:
    """From this machine, or with ``Bearer <token>`` when a token is set."""
    if is_loopback(host):
        return True
    if not token or not authorization:
        return False
    scheme, _, credentials = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    )


class _Snapshot:
    """Metric families read at this scrape, for ``generate_latest``."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def pool_families(res: Resources) -> list[Metric]:
    """The database connection pool: its size (it opens up to 10 more when busy), the
    connections in use and those open and idle."""
    pool = res.engine.sync_engine.pool
    families: list[Metric] = []
    for name, method, documentation in (
        ("kakehashi_db_pool_size", "size", "Connections the pool keeps (10 more when busy)."),
        ("kakehashi_db_pool_checked_out", "checkedout", "Connections in use now."),
        ("kakehashi_db_pool_idle", "checkedin", "Connections open and waiting for a request."),
    ):
        read = getattr(pool, method, None)  # a pool without a size (SQLite in memory) has none
        if read is not None:
            families.append(_gauge(name, documentation, float(read())))
    return families


async def outbox_families(res: Resources) -> list[Metric]:
    try:
        async with (
            asyncio.timeout(OUTBOX_TIMEOUT_SECONDS),
            res.sessionmaker(bind=res.reader) as session,
        ):
            backlog = await outbox.backlog(session, clock.now())
    except Exception as exc:  # the scrape still answers; the series' absence tells
        log.warning("metrics: could not read the outbox (%s)", type(exc).__name__)
        return []
    return [
        _gauge(
            "kakehashi_outbox_due",
            "Outbox rows due and not yet handed to the job queue (or run, without Redis).",
            backlog.due,
        ),
        _gauge(
            "kakehashi_outbox_lag_seconds",
            "How long the oldest of those rows has been due (0 when there is none).",
            backlog.oldest_due_seconds,
        ),
        _gauge(
            "kakehashi_outbox_given_up",
            "Outbox rows given up after 8 failed attempts (jobs run without Redis).",
            backlog.given_up,
        ),
    ]


def signaling_families(state: Any) -> list[Metric]:
    """The video rooms of this process, from the counts the signaling library keeps."""
    relayed = CounterMetricFamily(
        "kakehashi_signaling_messages_relayed",
        "Signaling frames (offers, answers, candidates) relayed from this process's peers.",
        value=state.relayed,
    )
    return [
        _gauge(
            "kakehashi_signaling_rooms",
            "Meeting rooms with a participant connected to this process.",
            state.hub.rooms(),
        ),
        _gauge(
            "kakehashi_signaling_peers",
            "Participants connected to this process.",
            state.hub.connected(),
        ),
        relayed,
    ]


def exposition(families: Sequence[Metric]) -> bytes:
    """The process's counters and ``families`` read now, in the Prometheus text format."""
    return generate_latest(REGISTRY) + generate_latest(_Snapshot(families))  # type: ignore[arg-type]


async def metrics(request: Request) -> Response:
    """The exposition, or 404 for a request neither local nor carrying the token."""
    app_state = request.app.state
    res: Resources | None = getattr(app_state, "resources", None)
    token = (
        res.settings.metrics_token if res is not None else getattr(app_state, "metrics_token", None)
    )
    client = request.client.host if request.client else None
    if not allowed(client, request.headers.get("authorization"), token):
        raise HTTPException(404)
    families: list[Metric] = []
    if res is not None:
        families += pool_families(res)
        families += await outbox_families(res)
    signaling = getattr(app_state, "signaling", None)
    if signaling is not None:
        families += signaling_families(signaling)
    return Response(
        exposition(families), media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"}
    )


routes = [Route("/metrics", metrics, methods=["GET"])]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access lines: Prometheus scrapes every few seconds."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def worker_wsgi_app(token: str | None) -> Callable[..., Iterable[bytes]]:
    """``/metrics`` of a process without a web app (the job worker): its counters, under the
    same rule as the app's (this machine, or the token); 404 for anything else."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or not allowed(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"), token
        ):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found"]
        body = generate_latest(REGISTRY)
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")]
        )
        return [body]

    return app


def serve_in_thread(host: str, port: int, token: str | None) -> WSGIServer:
    """Serve ``worker_wsgi_app`` on ``host:port`` from a daemon thread; returns the server
    (``shutdown()`` stops it)."""
    server = make_server(
        host, port, worker_wsgi_app(token), _ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
