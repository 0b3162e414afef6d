"""The signaling relay's connection loop: admit by token, then relay within the room.

The loop runs against a ``Transport``, the little it needs of an accepted WebSocket (receive
a frame, send text, close with a code, drop). Two adapters serve it:

- ``signaling.asgi``: a Starlette endpoint, mounted in the app (``fair serve``'s
  ``/ws/signaling``) with ``signaling_routes()``;
- ``signaling.standalone``: the ``websockets`` library's own asyncio server, for the relay as
  a process of its own (``fair signaling``, ``python -m kakehashi.relay``), without the ASGI
  stack's cost per frame.

Per connection: the first frame must be ``join`` with a valid, unspent token within
``join_timeout``; then frames are size-checked, rate-limited, parsed and relayed. The server
pings every ``ping_interval``; a client that sends nothing for two intervals is dead. The
connection ends when the grant's join window ends. Close codes: see ``signaling.protocol``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from signaling import protocol
from signaling.hubs import Hub, HubError, LocalHub, Member, RoomFull
from signaling.tokens import (
    CLOCK_SKEW_SECONDS,
    DEFAULT_MAX_AGE_SECONDS,
    Grant,
    MemoryLedger,
    TokenLedger,
    TokenRejected,
    verify,
)

log = logging.getLogger(__name__)

EventCallback = Callable[[str, Grant, str, datetime], Awaitable[None]]


async def no_event(kind: str, grant: Grant, peer_id: str, at: datetime) -> None:
    """The default attendance callback: records nothing."""


def utc_now() -> datetime:
    """The relay's clock when its host gives none (the app gives its one clock)."""
    return datetime.now(UTC)  # clock-ok: the library's default when its host gives no clock


class Transport(Protocol):
    """One accepted WebSocket as the connection loop sees it (an adapter per server)."""

    client: str | None  # the peer's address, the trusted proxy's X-Forwarded-For applied
    origin: str | None  # the Origin header of the opening handshake, if any
    # What ``receive`` raises once the connection is gone (each server has its own): caught
    # by the loop, so that receive may be the server's own method, without a call around it.
    gone: type[Exception]

    async def receive(self) -> str | bytes:
        """The next frame: text, or bytes for a binary frame."""

    async def send(self, text: str) -> None:
        """Send a text frame; raises when the connection is gone. Waits only while the
        peer's buffers are full (the send guard bounds that)."""

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame with ``code``; returns without waiting for the peer's answer
        (closes come from other connections' tasks too, which must not wait on this one)."""

    def abort(self) -> None:
        """Drop the connection without a close handshake, when the server can (a socket that
        stopped reading cannot even take a close frame)."""


class SendGuard:
    """Bounds how long a send may wait on a socket that stopped reading.

    A send only waits when the receiver's buffers are full; the waiting task is then the
    sender's (a peer relaying, or Redis delivery), which must not hang with it. One coarse timer
    for the whole process cancels sends older than ``timeout``: a timer per frame
    (``asyncio.timeout``) cost about a quarter of the relay's CPU in bench/signaling.py. Without
    ``start()`` sends are simply not bounded.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # Keyed by the sending task: a task awaits one send at a time.
        self._inflight: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # once started

    def start(self) -> None:
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(self._watch(), name="signaling-send-guard")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def enter(self) -> asyncio.Task[Any] | None:
        loop = self._loop
        if loop is None:
            return None  # not started: sends are not bounded
        # The loop passed in: current_task() would look it up again, on every send.
        task = asyncio.current_task(loop)
        if task is not None:
            self._inflight[task] = loop.time() + self.timeout
        return task

    def leave(self, key: asyncio.Task[Any] | None) -> bool:
        """Forget a send; True when it had run out of time (its task was cancelled for it)."""
        self._inflight.pop(key, None)  # type: ignore[arg-type]
        if self._expired and key in self._expired:
            self._expired.discard(key)  # type: ignore[arg-type]
            return True
        return False

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 2))
            now = asyncio.get_running_loop().time()
            for task, deadline in list(self._inflight.items()):
                if deadline <= now and task not in self._expired:
                    self._expired.add(task)
                    task.cancel()


@dataclass(slots=True)
class SignalingState:
    """Everything the endpoint needs; the app puts one in ``app.state.signaling``."""

    secret: str
    hub: Hub = field(default_factory=LocalHub)
    ledger: TokenLedger = field(default_factory=MemoryLedger)
    # on_event(kind "join" | "leave", grant, peer_id, at): attendance, awaited in order per
    # connection; its errors are logged, never end a call.
    on_event: EventCallback = no_event
    ping_interval: float = 15.0
    join_timeout: float = 10.0
    rate_per_second: float = 30.0  # sustained frames a second per connection
    rate_burst: float = 60.0  # frames allowed at once
    max_frame_bytes: int = protocol.MAX_FRAME_BYTES
    token_max_age: int = DEFAULT_MAX_AGE_SECONDS
    # A socket whose send does not complete in this time is not reading: it is dropped so that
    # it cannot hold up the peers relaying to it.
    send_timeout: float = 5.0
    clock: Callable[[], datetime] = utc_now
    guard: SendGuard = field(init=False)
    # Frames (offers, answers, candidates) relayed from this process's connections since it
    # started: a count for the host's metrics, kept here so the library needs none of them.
    relayed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.guard = SendGuard(self.send_timeout)

    async def start(self) -> None:
        """Call before serving (the app's lifespan, or the standalone server, does)."""
        self.guard.start()
        await self.hub.start()

    async def close(self) -> None:
        await self.guard.close()
        await self.hub.close()
        await self.ledger.close()


class _Bucket:
    """Token bucket: ``rate`` frames a second on average, ``burst`` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True


def _too_large(text: str, limit: int) -> bool:
    # A character is 1 to 4 bytes in UTF-8: encode only when the length alone cannot tell.
    size = len(text)
    if size > limit:
        return True
    return size * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit


class _Session:
    """One participant's connection; also the ``Connection`` the hub delivers to."""

    __slots__ = (
        "abandoned",
        "closing",
        "grant",
        "last_seen",
        "member",
        "state",
        "task",
        "transport",
        "watcher",
    )

    def __init__(self, transport: Transport, state: SignalingState) -> None:
        self.transport = transport
        self.state = state
        self.grant: Grant | None = None
        self.member: Member | None = None
        self.closing = False
        self.abandoned = False
        self.last_seen = 0.0
        self.task: asyncio.Task[Any] | None = asyncio.current_task()
        self.watcher: asyncio.Task[None] | None = None

    # --- Connection -----------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        if self.closing:
            return
        guard = self.state.guard
        key = guard.enter()
        try:
            await self.transport.send(text)
        except asyncio.CancelledError:
            if not guard.leave(key):
                raise
            # The guard's cancellation, meant for this send only; anyone else's still stands.
            task = asyncio.current_task()
            if task is not None and task.uncancel() > 0:
                raise
            log.info("signaling: dropping a connection that stopped reading")
            self._abandon()
        except Exception:
            # Gone already (disconnected, or closed meanwhile); its own task cleans up.
            self.closing = True
        finally:
            guard.leave(key)

    async def close(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        try:
            async with asyncio.timeout(self.state.send_timeout):
                await self.transport.close(code, reason)
        except TimeoutError:
            self._abandon()
        except Exception:
            log.debug("signaling: closing an already closed socket", exc_info=True)

    def _abandon(self) -> None:
        """Stop serving a socket that cannot even take a close frame: end its task, whose
        clean-up then tells the room."""
        self.closing = True
        self.abandoned = True
        self.transport.abort()
        # Also when this is the connection's own task: the cancellation lands at its next
        # await, which may otherwise be a receive that never returns.
        if self.task is not None:
            self.task.cancel()

    # --- the connection's life -----------------------------------------------------------------

    async def run(self) -> None:
        try:
            if not await self._admit():
                return
            await self._serve()
        finally:
            if self.watcher is not None:
                self.watcher.cancel()
            await self._leave()

    async def _admit(self) -> bool:
        state = self.state
        try:
            async with asyncio.timeout(state.join_timeout):
                text = await self.transport.receive()
        except TimeoutError:
            await self.close(protocol.CLOSE_TIMEOUT, "no join frame in time")
            return False
        except self.transport.gone:
            return False
        if type(text) is not str:
            await self.close(protocol.CLOSE_UNAUTHORIZED, "the first frame must be a join frame")
            return False
        if _too_large(text, state.max_frame_bytes):
            await self.close(protocol.CLOSE_TOO_LARGE, "frame too large")
            return False
        try:
            frame = protocol.parse(text)
        except protocol.BadFrame:
            frame = None
        if not isinstance(frame, protocol.Join):
            await self.close(protocol.CLOSE_UNAUTHORIZED, "the first frame must be a join frame")
            return False
        try:
            grant = verify(
                state.secret, frame.token, max_age_seconds=state.token_max_age, now=state.clock()
            )
        except TokenRejected as exc:
            await self.close(exc.code, exc.message)
            return False
        try:
            fresh = await state.ledger.spend(
                grant.jti, state.token_max_age + CLOCK_SKEW_SECONDS + 1
            )
        except Exception:
            log.exception("signaling: the token ledger failed")
            await self.close(protocol.CLOSE_TRY_AGAIN, "try again later")
            return False
        if not fresh:
            await self.close(protocol.CLOSE_UNAUTHORIZED, "token already used")
            return False

        interval = state.ping_interval

        def welcome(member: Member, peers: Sequence[Member]) -> str:
            return protocol.joined(member.peer_id, [peer.public() for peer in peers], interval)

        try:
            joined = await state.hub.join(
                grant.meeting_id,
                user_id=grant.user_id,
                role=grant.role,
                name=grant.name,
                conn=self,
                welcome=welcome,
            )
        except RoomFull:
            await self.close(protocol.CLOSE_ROOM_FULL, "the room is full")
            return False
        except Exception:
            # HubError or a store that could not even be reached: not the client's fault.
            log.exception("signaling: the hub failed")
            await self.close(protocol.CLOSE_TRY_AGAIN, "try again later")
            return False
        self.grant = grant
        self.member = joined.member
        self.last_seen = asyncio.get_running_loop().time()
        await self._record("join")
        self.watcher = asyncio.create_task(self._watch(), name="signaling-watch")
        return True

    async def _serve(self) -> None:
        state = self.state
        assert self.grant is not None and self.member is not None
        meeting_id = self.grant.meeting_id
        me = self.member.peer_id
        receive, gone = self.transport.receive, self.transport.gone
        now = asyncio.get_running_loop().time
        bucket = _Bucket(state.rate_per_second, state.rate_burst, now())
        limit = state.max_frame_bytes
        parse = protocol.parse
        plain_sdp = protocol.plain_sdp
        relay_sdp = protocol.relay_sdp
        hub_relay = state.hub.relay
        relay_types = {"offer", "answer", "candidate"}
        while True:
            try:
                frame = await receive()
            except gone:
                return
            if self.closing:
                return
            self.last_seen = stamp = now()
            binary = type(frame) is not str
            if binary:
                text, too_large = "", len(frame) > limit
            else:
                # The length alone clears most frames, without a call.
                text, too_large = frame, len(frame) * 4 > limit and _too_large(frame, limit)
            if too_large:
                await self.close(protocol.CLOSE_TOO_LARGE, "frame too large")
                return
            if not bucket.take(stamp):
                await self.close(protocol.CLOSE_RATE_LIMITED, "too many frames")
                return
            if binary:
                await self.send(protocol.error("bad_frame", "frames are JSON text"))
                continue
            sdp = plain_sdp(text)
            if sdp is not None and sdp[1] != me:
                # The common frame, checked without a model: straight to the peer.
                kind, to, sdp_json = sdp
                try:
                    delivered = await hub_relay(meeting_id, me, to, relay_sdp(kind, me, sdp_json))
                except HubError:
                    log.exception("signaling: relay failed")
                    await self.send(protocol.error("unavailable", "could not relay, try again"))
                    continue
                if delivered:
                    state.relayed += 1
                else:
                    await self.send(protocol.error("unknown_peer", "no such peer in this meeting"))
                continue
            try:
                frame = parse(text)
            except protocol.BadFrame as exc:
                await self.send(protocol.error(exc.code, exc.message))
                continue
            kind = frame.type
            if kind in relay_types:
                await self._relay(meeting_id, me, frame)  # type: ignore[arg-type]
            elif kind == "ping":
                await self.send(protocol.PONG)
            elif kind == "leave":
                await self._leave()
                await self.close(protocol.CLOSE_NORMAL, "left")
                return
            elif kind == "join":
                await self.send(protocol.error("bad_frame", "already joined"))
            # pong: nothing to do, last_seen is already updated

    async def _relay(self, meeting_id: str, me: str, frame: protocol.Relayed) -> None:
        if frame.to == me:
            await self.send(protocol.error("unknown_peer", "cannot send to yourself"))
            return
        try:
            delivered = await self.state.hub.relay(
                meeting_id, me, frame.to, protocol.relay(frame, me)
            )
        except HubError:
            log.exception("signaling: relay failed")
            await self.send(protocol.error("unavailable", "could not relay, try again"))
            return
        if delivered:
            self.state.relayed += 1
        else:
            await self.send(protocol.error("unknown_peer", "no such peer in this meeting"))

    async def _watch(self) -> None:
        """Ping every interval; end a dead connection and one whose join window is over."""
        state = self.state
        grant = self.grant
        assert grant is not None
        loop = asyncio.get_running_loop()
        interval = state.ping_interval
        dead_after = 2 * interval + min(1.0, interval / 2)
        next_ping = loop.time() + interval
        while not self.closing:
            remaining = (grant.until - state.clock()).total_seconds()
            await asyncio.sleep(max(0.0, min(next_ping - loop.time(), remaining)))
            if self.closing:
                return
            if state.clock() > grant.until:
                await self.close(protocol.CLOSE_FORBIDDEN, "the meeting's join window is over")
                return
            moment = loop.time()
            if moment - self.last_seen > dead_after:
                await self.close(protocol.CLOSE_TIMEOUT, "no frames: connection presumed dead")
                return
            if moment >= next_ping:
                next_ping = moment + interval
                await self.send(protocol.PING)

    async def _leave(self) -> None:
        """Out of the room (once), then the attendance record."""
        member, grant = self.member, self.grant
        if member is None or grant is None:
            return
        self.member = None
        try:
            await self.state.hub.leave(grant.meeting_id, member.peer_id)
        except Exception:
            log.exception("signaling: leaving the room failed")
        await self._record("leave", member.peer_id, grant)

    async def _record(self, kind: str, peer_id: str = "", grant: Grant | None = None) -> None:
        grant = grant or self.grant
        peer_id = peer_id or (self.member.peer_id if self.member else "")
        assert grant is not None
        try:
            await self.state.on_event(kind, grant, peer_id, self.state.clock())
        except Exception:
            log.exception("signaling: recording attendance (%s) failed", kind)


async def serve_connection(transport: Transport, state: SignalingState) -> None:
    """Serve one accepted WebSocket until it ends; the adapters' handlers call this."""
    session = _Session(transport, state)
    try:
        await session.run()
    except asyncio.CancelledError:
        if not session.abandoned:
            raise
        # We cancelled ourselves to drop a socket that stopped reading: a normal end.
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    except Exception:
        # A bug, never bad input (that is answered above): say so and close cleanly.
        log.exception("signaling: unexpected error")
        await session.close(protocol.CLOSE_INTERNAL, "internal error")
