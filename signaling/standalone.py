"""The relay as a process of its own, on the ``websockets`` library's asyncio server.

No ASGI stack: uvicorn and Starlette around the same forwarding cost 1.1-1.45x the CPU per
frame of ``websockets`` alone (bench/signaling.py, "asgi"), and a relay process serves
nothing else. The connection loop is ``signaling.server``'s, the same as the app's endpoint; this
module only adapts the connection and answers the few plain HTTP requests (``GET /healthz``
and whatever routes the host adds, ``/metrics`` say) in ``process_request``.

    async with serving(state, host="0.0.0.0", port=8001, routes={...}):
        await stop.wait()

What the relay ran under uvicorn is kept: a 16 MiB message limit (over the relay's own 64 KiB
limit a frame still gets 4413), keepalive pings every 20 s (20 s to answer), permessage-deflate
when the client offers it, ``X-Forwarded-For`` believed from trusted proxies only
(``TrustedProxies``, uvicorn's ``FORWARDED_ALLOW_IPS`` rule), and at shutdown the connections
closed with 1012 (service restart), each leaving its room as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from signaling.server import SignalingState, serve_connection

log = logging.getLogger(__name__)

# uvicorn's ws_max_size, which the relay ran under: a frame over the relay's own limit
# (SignalingState.max_frame_bytes) and under this one is read and closed with 4413; beyond
# this the library closes with 1009 before reading it.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# How long a close handshake, and the shutdown, may take before the TCP connections are dropped.
CLOSE_TIMEOUT = 10.0


class WebsocketsTransport:
    """``signaling.server.Transport`` over a ``websockets`` server connection."""

    __slots__ = ("_closer", "_connection", "client", "origin", "receive", "send")
    gone = ConnectionClosed

    def __init__(self, connection: ServerConnection, client: str | None) -> None:
        self._connection = connection
        # The bound methods as they are: a call less per frame than methods that forward.
        self.receive = connection.recv
        self.send = connection.send
        self._closer: asyncio.Task[None] | None = None
        self.client = client
        origins = connection.request.headers.get_all("Origin") if connection.request else []
        self.origin = origins[0] if origins else None

    async def close(self, code: int, reason: str) -> None:
        # websockets' close() returns once the peer answered and the TCP connection ended;
        # the relay closes connections from other connections' tasks too (a replaced one, a
        # peer presumed dead), which must not wait for that. It runs on its own, and the
        # connection's handler waits for it (``finish``) before it returns.
        if self._closer is None:
            self._closer = asyncio.create_task(
                self._connection.close(code, reason), name="signaling-close"
            )

    def abort(self) -> None:
        self._connection.transport.abort()

    async def finish(self) -> None:
        """At the end of the connection's handler: the close handshake (1000 unless the relay
        sent its own code), and the TCP connection dropped if that takes too long (a peer that
        stopped reading never lets even the close frame through)."""
        if self._closer is None:
            self._closer = asyncio.create_task(self._connection.close(), name="signaling-close")
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                # Frames the peer sent meanwhile are read and dropped: unread, they would stop
                # websockets reading the socket (its flow control), and the peer's answer to
                # the close frame comes after them. recv() raises once the connection is gone.
                with contextlib.suppress(ConnectionClosed):
                    while True:
                        await self._connection.recv()
                await self._closer
        except TimeoutError:
            self.abort()


class TrustedProxies:
    """Whose ``X-Forwarded-For`` is believed: uvicorn's rule, so that the relay sees the same
    client address on its own as under uvicorn. ``spec`` is ``FORWARDED_ALLOW_IPS``'s value:
    addresses and networks, comma-separated, or ``*`` for any."""

    def __init__(self, spec: str = "127.0.0.1,::1") -> None:
        items = [item.strip() for item in spec.split(",") if item.strip()]
        self.everyone = "*" in items
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._names: set[str] = set()  # not addresses (a unix socket's name, say)
        for item in items:
            try:
                self._networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self._names.add(item)

    def trusts(self, host: str | None) -> bool:
        if self.everyone:
            return True
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self._names
        return any(address in network for network in self._networks)

    def client(self, peer: str | None, forwarded_for: list[str]) -> str | None:
        """The client's address: the peer's own, or when the peer is a trusted proxy, the
        nearest address in ``X-Forwarded-For`` that is not a trusted proxy."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [_host(hop.strip()) for hop in ",".join(forwarded_for).split(",")]
        if self.everyone:
            found = hops[0]
        else:
            # Each proxy appends the address it heard from: the nearest come last.
            found = next((hop for hop in reversed(hops) if not self.trusts(hop)), hops[0])
        return found or peer


def _host(hop: str) -> str:
    """An address without its port: ``[::1]:80`` → ``::1``, ``10.0.0.1:80`` → ``10.0.0.1``."""
    if hop.startswith("["):
        end = hop.find("]")
        return hop[1:end] if end > 0 else hop
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A plain HTTP request to the relay (``GET``; websockets' server reads no other)."""

    path: str  # without the query
    headers: Mapping[str, str]  # lower-case names; the first value of a repeated header
    client: str | None


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = field(default=())


HttpRoute = Callable[[HttpRequest], Awaitable[HttpAnswer]]


def json_answer(status: int, data: Any) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(data, separators=(",", ":")).encode())


async def healthz(request: HttpRequest) -> HttpAnswer:
    return json_answer(200, {"status": "ok"})


NOT_FOUND = json_answer(404, {"error": {"code": "not_found", "message": "no such path"}})


def _headers(request: Request) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in request.headers.raw_items():
        found.setdefault(name.lower(), value)
    return found


@contextlib.asynccontextmanager
async def serving(
    state: SignalingState,
    *,
    host: str | None = None,
    port: int | None = None,
    sock: Any = None,
    path: str = "/ws/signaling",
    routes: Mapping[str, HttpRoute] | None = None,
    proxies: TrustedProxies | None = None,
) -> AsyncIterator[Server]:
    """Serve the relay on ``path`` (on ``host``:``port``, or a listening ``sock``) until the
    block ends, then shut down: connections closed with 1012, each leaving its room, and
    ``state`` closed. ``routes``: plain GET paths the host answers besides ``/healthz``."""
    http: dict[str, HttpRoute] = {"/healthz": healthz, **(routes or {})}
    trusted = proxies or TrustedProxies()
    live: set[WebsocketsTransport] = set()

    def client_of(connection: ServerConnection, request: Request) -> str | None:
        remote = connection.remote_address
        peer = str(remote[0]) if remote else None
        return trusted.client(peer, request.headers.get_all("X-Forwarded-For"))

    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        route_path = request.path.partition("?")[0]
        if route_path == path:
            return None  # the WebSocket handshake (426 for a request that is no upgrade)
        route = http.get(route_path)
        if route is None:
            answer = NOT_FOUND
        else:
            answer = await route(
                HttpRequest(route_path, _headers(request), client_of(connection, request))
            )
        response = connection.respond(answer.status, "")
        del response.headers["Content-Type"]
        del response.headers["Content-Length"]
        response.headers["Content-Type"] = answer.content_type
        response.headers["Content-Length"] = str(len(answer.body))
        for name, value in answer.headers:
            response.headers[name] = value
        response.body = answer.body
        return response

    async def handler(connection: ServerConnection) -> None:
        assert connection.request is not None  # the handshake is done
        transport = WebsocketsTransport(connection, client_of(connection, connection.request))
        live.add(transport)
        try:
            await serve_connection(transport, state)
        finally:
            await transport.finish()
            live.discard(transport)

    await state.start()
    try:
        server = await serve(
            handler,
            host,
            port,
            sock=sock,
            process_request=process_request,
            server_header=None,
            max_size=MAX_MESSAGE_BYTES,
            close_timeout=CLOSE_TIMEOUT,
        )
        try:
            yield server
        finally:
            await _shut_down(server, live)
    finally:
        await state.close()


async def _shut_down(server: Server, live: set[WebsocketsTransport]) -> None:
    # 1012 (service restart), as uvicorn says at shutdown; each connection then leaves its
    # room as usual. Sent here, not by server.close() (which says 1001): its frame goes out
    # first, and the server no longer finds these connections open.
    for transport in list(live):
        await transport.close(CloseCode.SERVICE_RESTART, "")
    server.close()
    try:
        # A little over the close handshake's own limit, after which websockets drops the
        # connection itself.
        async with asyncio.timeout(CLOSE_TIMEOUT + 2.0):
            await server.wait_closed()
    except TimeoutError:
        # Peers that never answered the close (or stopped reading): drop them.
        log.warning("signaling: dropping %d connections at shutdown", len(live))
        for transport in list(live):
            transport.abort()
        await server.wait_closed()
