"""Meeting rooms: who is connected to which meeting, and delivering frames between them.

A ``Hub`` keeps the rooms. ``LocalHub`` keeps them in this process; ``RedisHub`` shares them
between relay processes through Redis, so two participants of one meeting may be connected to
two different processes.

Rules, the same for both:

- a room holds at most ``capacity`` participants (default 4, a mesh); one more is ``RoomFull``;
- peer ids are random strings made here, never chosen by a client;
- the same user joining again replaces the old connection: the old socket is closed with 4000,
  the others get ``peer-left`` for the old peer id and then ``peer-joined`` for the new one
  (the newcomer offers to everyone, so the others must drop the old RTCPeerConnection first);
  no ghost of the old connection remains;
- a frame is only ever delivered inside the sender's room; a relay to a peer id that is not in
  the room returns False (the server answers ``unknown_peer``);
- the joiner gets its ``joined`` frame before any other frame, because the hub sends it before
  anyone else learns the new peer id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from signaling import protocol

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 4


class Connection(Protocol):
    """One participant's socket as the hub sees it. Neither method raises: a connection that is
    gone is the receiver's problem, never the sender's."""

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class Member:
    peer_id: str
    user_id: str
    role: str
    name: str

    def public(self) -> dict[str, str]:
        """What the other participants are told (the user id stays on the server)."""
        return {"peer_id": self.peer_id, "role": self.role, "name": self.name}


@dataclass(frozen=True, slots=True)
class Joined:
    member: Member
    peers: tuple[Member, ...]  # the others already in the room
    replaced: tuple[Member, ...]  # this user's older connections, now closed


Welcome = Callable[[Member, Sequence[Member]], str]


class RoomFull(Exception):
    """The room already holds ``capacity`` participants."""


class HubError(Exception):
    """The shared store behind the hub failed; the join or relay did not happen."""


def new_peer_id() -> str:
    return secrets.token_urlsafe(9)


@dataclass(slots=True)
class _Local:
    member: Member
    conn: Connection


class Hub(ABC):
    """Rooms of one relay. Subclasses decide where membership lives; this class holds the
    participants connected to this process and delivers frames to them."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._local: dict[str, dict[str, _Local]] = {}

    async def start(self) -> None:  # noqa: B027 (nothing to start for a local hub)
        """Open connections and background tasks, if any."""

    async def close(self) -> None:  # noqa: B027
        """Release them."""

    async def join(
        self,
        meeting_id: str,
        *,
        user_id: str,
        role: str,
        name: str,
        conn: Connection,
        welcome: Welcome,
    ) -> Joined:
        """Add a participant; sends ``welcome(member, peers)`` to ``conn`` first, then tells the
        others. Raises ``RoomFull`` (and ``HubError`` for a shared hub)."""
        member = Member(peer_id=new_peer_id(), user_id=user_id, role=role, name=name)
        return await self._admit(meeting_id, member, conn, welcome)

    @abstractmethod
    async def _admit(
        self, meeting_id: str, member: Member, conn: Connection, welcome: Welcome
    ) -> Joined:
        """``join`` once the new member has its peer id: where membership lives decides."""

    @abstractmethod
    async def leave(self, meeting_id: str, peer_id: str) -> bool:
        """Remove a participant and tell the others; False when it was no longer there
        (already left, or replaced), in which case nobody is told again."""

    @abstractmethod
    async def relay(self, meeting_id: str, sender: str, to: str, text: str) -> bool:
        """Deliver ``text`` to peer ``to`` of the sender's room; False when no such peer."""

    async def members(self, meeting_id: str) -> list[Member]:
        """Who is in the room (all processes); for tests and diagnostics."""
        return [peer.member for peer in self._local.get(meeting_id, {}).values()]

    def connected(self) -> int:
        """Participants connected to this process (for metrics, and tests checking for leaks)."""
        return sum(len(room) for room in self._local.values())

    def rooms(self) -> int:
        """Rooms with a participant connected to this process (for metrics)."""
        return len(self._local)

    # --- delivery to this process's participants ----------------------------------------------

    async def _deliver_all(self, meeting_id: str, text: str, skip: str = "") -> None:
        room = self._local.get(meeting_id)
        if not room:
            return
        # A snapshot: sending yields, and joins and leaves may change the room meanwhile.
        for peer in list(room.values()):
            if peer.member.peer_id != skip:
                await peer.conn.send(text)

    async def _relay_here(self, meeting_id: str, sender: str, to: str, text: str) -> bool:
        """True when the frame is dealt with in this process; False when ``to`` is not
        connected here."""
        room = self._local.get(meeting_id)
        if room is None or sender not in room:
            return True  # the sender was replaced or left: its frames go nowhere, quietly
        target = room.get(to)
        if target is None:
            return False
        await target.conn.send(text)
        return True

    def _drop_local(self, meeting_id: str, peer_id: str) -> _Local | None:
        room = self._local.get(meeting_id)
        if room is None:
            return None
        peer = room.pop(peer_id, None)
        if not room:
            del self._local[meeting_id]
        return peer


class LocalHub(Hub):
    """Rooms in this process only: meeting id → {peer id: participant}."""

    async def _admit(
        self, meeting_id: str, member: Member, conn: Connection, welcome: Welcome
    ) -> Joined:
        # No await until the new member is in the room: the check and the add are one step.
        room = self._local.setdefault(meeting_id, {})
        same = [peer for peer in room.values() if peer.member.user_id == member.user_id]
        if len(room) - len(same) >= self.capacity:
            raise RoomFull(meeting_id)
        for old in same:
            del room[old.member.peer_id]
        peers = tuple(peer.member for peer in room.values())
        room[member.peer_id] = _Local(member, conn)
        try:
            await conn.send(welcome(member, peers))
            for old in same:
                await old.conn.close(protocol.CLOSE_REPLACED, "replaced by a newer connection")
                left = protocol.peer_left(old.member.peer_id)
                await self._deliver_all(meeting_id, left, member.peer_id)
            hello = protocol.peer_joined(member.public())
            await self._deliver_all(meeting_id, hello, member.peer_id)
        except BaseException:
            # Interrupted (the caller was cancelled): no member without a connection behind it.
            await self.leave(meeting_id, member.peer_id)
            raise
        return Joined(member, peers, tuple(old.member for old in same))

    async def leave(self, meeting_id: str, peer_id: str) -> bool:
        if self._drop_local(meeting_id, peer_id) is None:
            return False
        await self._deliver_all(meeting_id, protocol.peer_left(peer_id))
        return True

    # In one process, delivering here is the whole relay: the method itself, one coroutine
    # less per frame than a method that awaits it.
    relay = Hub._relay_here


# --- shared rooms -----------------------------------------------------------------------------

# Membership: one hash per room, peer id → {peer_id, user_id, role, name, node, seen}. ``seen``
# is Redis's clock (TIME), refreshed by the owning process's heartbeat, so an entry left by a
# process that died is recognised as stale and removed by the next join or heartbeat in that
# room. The scripts make each check-and-change atomic.

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS[1] room hash; ARGV: peer_id, user_id, entry json, capacity, stale_after, key ttl.
# Returns {admitted 0/1, stale peer ids removed, replaced entries, other entries}.
_JOIN = (
    _NOW
    + """
local stale, same, others = {}, {}, {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local ok, entry = pcall(cjson.decode, entries[i + 1])
  local seen = ok and type(entry) == 'table' and tonumber(entry.seen or 0) or 0
  if now - seen > tonumber(ARGV[5]) then
    table.insert(stale, entries[i])
    redis.call('HDEL', KEYS[1], entries[i])
  elseif entry.user_id == ARGV[2] then
    table.insert(same, entries[i + 1])
  else
    table.insert(others, entries[i + 1])
  end
end
if #others >= tonumber(ARGV[4]) then
  return {0, stale, same, others}
end
for _, raw in ipairs(same) do
  redis.call('HDEL', KEYS[1], cjson.decode(raw).peer_id)
end
local entry = cjson.decode(ARGV[3])
entry.seen = now
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {1, stale, same, others}
"""
)

# KEYS[1] room hash; ARGV: stale_after, key ttl, then this process's peer ids in the room.
# Refreshes them, removes stale entries of others. Returns {stale removed, own ids missing}.
_TOUCH = (
    _NOW
    + """
local mine, missing, stale = {}, {}, {}
for i = 3, #ARGV do
  mine[ARGV[i]] = true
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local entry = cjson.decode(raw)
    entry.seen = now
    redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(entry))
  else
    table.insert(missing, ARGV[i])
  end
end
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if not mine[entries[i]] then
    local ok, entry = pcall(cjson.decode, entries[i + 1])
    local seen = ok and type(entry) == 'table' and tonumber(entry.seen or 0) or 0
    if now - seen > tonumber(ARGV[1]) then
      table.insert(stale, entries[i])
      redis.call('HDEL', KEYS[1], entries[i])
    end
  end
end
if #entries > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {stale, missing}
"""
)

# KEYS[1] room hash; ARGV: peer id, channel, envelope. Publishes only when the peer was there.
_LEAVE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
"""

# KEYS[1] room hash; ARGV: target peer id, channel, envelope.
_RELAY = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
"""

# Envelopes on a room's channel: node \0 kind \0 target \0 skip \0 frame. The frame is JSON,
# which never holds a raw NUL, and it comes last. Kinds: "to" one peer, "all" everyone but
# ``skip``, "kick" close ``target`` as replaced.
_SEP = "\0"


def _envelope(node: str, kind: str, frame: str, target: str = "", skip: str = "") -> str:
    return _SEP.join((node, kind, target, skip, frame))


class RedisHub(Hub):
    """Rooms shared by relay processes through Redis.

    Each process subscribes to the channels of the rooms its participants are in and delivers
    the frames addressed to them; frames between two participants of one process never leave
    it. A process refreshes its members' ``seen`` every ``heartbeat_seconds``; an entry not
    refreshed for ``stale_after_seconds`` belongs to a dead process and is removed (and its
    peer-left sent) by the next join or heartbeat in that room. Frames published while this
    process's subscription is reconnecting are lost; clients recover by rejoining.
    """

    def __init__(
        self,
        redis_url: str,
        capacity: int = DEFAULT_CAPACITY,
        *,
        prefix: str = "kakehashi:signaling:",
        heartbeat_seconds: float = 10.0,
        stale_after_seconds: float = 30.0,
        subscribe_timeout: float = 5.0,
    ) -> None:
        super().__init__(capacity)
        if stale_after_seconds <= heartbeat_seconds:
            raise ValueError("stale_after_seconds must be longer than heartbeat_seconds")
        self.redis_url = redis_url
        self.node = secrets.token_hex(8)
        self._prefix = prefix
        self._heartbeat_seconds = heartbeat_seconds
        self._stale_after = stale_after_seconds
        self._key_ttl = max(1, round(stale_after_seconds * 2))
        self._subscribe_timeout = subscribe_timeout
        self._redis: Any = None
        self._pubsub: Any = None
        self._scripts: dict[str, Any] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._start_lock = asyncio.Lock()
        # Subscribing and unsubscribing one at a time: two first subscribes at once would each
        # open a connection for the same PubSub object.
        self._pubsub_lock = asyncio.Lock()
        # meeting id → future resolved when Redis confirmed the subscription to its channel.
        self._subscribed: dict[str, asyncio.Future[None]] = {}
        self._joining: dict[str, int] = {}

    def _key(self, meeting_id: str) -> str:
        return f"{self._prefix}members:{meeting_id}"

    def _channel(self, meeting_id: str) -> str:
        return f"{self._prefix}room:{meeting_id}"

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the reader and the heartbeat. Redis need not be up: the reader connects when
        it can, and a join meanwhile fails with HubError (the client hears 1013)."""
        async with self._start_lock:
            if self._redis is not None:
                return
            self._redis = aioredis.from_url(self.redis_url, decode_responses=True)
            self._scripts = {
                name: self._redis.register_script(body)
                for name, body in (
                    ("join", _JOIN),
                    ("touch", _TOUCH),
                    ("leave", _LEAVE),
                    ("relay", _RELAY),
                )
            }
            self._pubsub = self._redis.pubsub()
            self._tasks = [
                asyncio.create_task(self._read(), name="signaling-redis-reader"),
                asyncio.create_task(self._beat(), name="signaling-redis-heartbeat"),
            ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        self._subscribed.clear()

    # --- the hub ------------------------------------------------------------------------------

    async def _admit(
        self, meeting_id: str, member: Member, conn: Connection, welcome: Welcome
    ) -> Joined:
        await self.start()
        entry = json.dumps({**member.public(), "user_id": member.user_id, "node": self.node})
        self._joining[meeting_id] = self._joining.get(meeting_id, 0) + 1
        try:
            # Subscribed before anyone can learn the new peer id, so no frame for it is lost.
            await self._subscribe(meeting_id)
            admitted, stale, same_raw, others_raw = await self._scripts["join"](
                keys=[self._key(meeting_id)],
                args=[
                    member.peer_id,
                    member.user_id,
                    entry,
                    self.capacity,
                    self._stale_after,
                    self._key_ttl,
                ],
            )
        except (OSError, RedisError) as exc:
            raise HubError(str(exc)) from exc
        finally:
            self._joining[meeting_id] -= 1
            if not self._joining[meeting_id]:
                del self._joining[meeting_id]
        same = [json.loads(raw) for raw in same_raw]
        peers = tuple(_member(json.loads(raw)) for raw in others_raw)
        replaced_here: list[_Local | None] = []
        if admitted:
            room = self._local.setdefault(meeting_id, {})
            replaced_here = [room.pop(old["peer_id"], None) for old in same]
            room[member.peer_id] = _Local(member, conn)
        try:
            for peer_id in stale:
                # Not to the newcomer: its peer list never held them, and its joined frame
                # must come first.
                await self._announce_left(meeting_id, peer_id, skip=member.peer_id)
            if not admitted:
                raise RoomFull(meeting_id)
            await conn.send(welcome(member, peers))
            for old_here in replaced_here:
                if old_here is not None:
                    await old_here.conn.close(
                        protocol.CLOSE_REPLACED, "replaced by a newer connection"
                    )
            await self._announce_joined(meeting_id, member, same)
        except BaseException:
            if admitted:
                # Interrupted (the caller was cancelled): no member without a connection.
                with contextlib.suppress(HubError):
                    await self.leave(meeting_id, member.peer_id)
            raise
        return Joined(member, peers, tuple(_member(old) for old in same))

    async def leave(self, meeting_id: str, peer_id: str) -> bool:
        self._drop_local(meeting_id, peer_id)
        left = protocol.peer_left(peer_id)
        try:
            removed = await self._scripts["leave"](
                keys=[self._key(meeting_id)],
                args=[peer_id, self._channel(meeting_id), _envelope(self.node, "all", left)],
            )
        except (OSError, RedisError) as exc:
            raise HubError(str(exc)) from exc
        if not removed:
            return False
        await self._deliver_all(meeting_id, left)
        return True

    async def relay(self, meeting_id: str, sender: str, to: str, text: str) -> bool:
        if await self._relay_here(meeting_id, sender, to, text):
            return True
        try:
            sent = await self._scripts["relay"](
                keys=[self._key(meeting_id)],
                args=[to, self._channel(meeting_id), _envelope(self.node, "to", text, to)],
            )
        except (OSError, RedisError) as exc:
            raise HubError(str(exc)) from exc
        return bool(sent)

    async def members(self, meeting_id: str) -> list[Member]:
        await self.start()
        entries = await self._redis.hgetall(self._key(meeting_id))
        return [_member(json.loads(raw)) for raw in entries.values()]

    # --- Redis side ---------------------------------------------------------------------------

    async def _subscribe(self, meeting_id: str) -> None:
        ready = self._subscribed.get(meeting_id)
        if ready is None:
            ready = asyncio.get_running_loop().create_future()
            self._subscribed[meeting_id] = ready
            try:
                async with self._pubsub_lock:
                    await self._pubsub.subscribe(self._channel(meeting_id))
            except BaseException:
                del self._subscribed[meeting_id]
                raise
        try:
            await asyncio.wait_for(asyncio.shield(ready), self._subscribe_timeout)
        except TimeoutError:
            if self._subscribed.get(meeting_id) is ready:
                del self._subscribed[meeting_id]
            raise HubError("no subscription confirmation from Redis") from None

    async def _announce_left(self, meeting_id: str, peer_id: str, skip: str = "") -> None:
        left = protocol.peer_left(peer_id)
        envelope = _envelope(self.node, "all", left, skip=skip)
        try:
            await self._redis.publish(self._channel(meeting_id), envelope)
        except (OSError, RedisError) as exc:
            log.warning("signaling: announcing a stale peer's leave failed: %s", exc)
        await self._deliver_all(meeting_id, left, skip)

    async def _announce_joined(
        self, meeting_id: str, member: Member, replaced: list[dict[str, Any]]
    ) -> None:
        """peer-left for the replaced connections, then peer-joined, to every process."""
        channel = self._channel(meeting_id)
        me = member.peer_id
        hello = protocol.peer_joined(member.public())
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for old in replaced:
                    if old.get("node") != self.node:
                        pipe.publish(channel, _envelope(self.node, "kick", "", old["peer_id"]))
                    left = protocol.peer_left(old["peer_id"])
                    pipe.publish(channel, _envelope(self.node, "all", left, skip=me))
                pipe.publish(channel, _envelope(self.node, "all", hello, skip=me))
                await pipe.execute()
        except (OSError, RedisError) as exc:
            log.warning("signaling: announcing a join to other processes failed: %s", exc)
        for old in replaced:
            await self._deliver_all(meeting_id, protocol.peer_left(old["peer_id"]), me)
        await self._deliver_all(meeting_id, hello, me)

    async def _read(self) -> None:
        room_prefix = f"{self._prefix}room:"
        # A channel of our own keeps the subscription connection open even while this process
        # has no rooms, so there is always something to read from.
        own = f"{self._prefix}node:{self.node}"
        failing = False
        while True:
            try:
                if self._pubsub.connection is None:
                    async with self._pubsub_lock:
                        await self._pubsub.subscribe(own)
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis is away; redis-py reconnects and resubscribes on a later read.
                if not failing:
                    log.warning("signaling: Redis subscription failed (%s); retrying", exc)
                failing = True
                await asyncio.sleep(1.0)
                continue
            if failing:
                log.warning("signaling: Redis subscription restored")
                failing = False
            if message is None:
                continue
            channel = message.get("channel") or ""
            if not channel.startswith(room_prefix):
                continue
            meeting_id = channel[len(room_prefix) :]
            if message["type"] == "subscribe":
                ready = self._subscribed.get(meeting_id)
                if ready is not None and not ready.done():
                    ready.set_result(None)
            elif message["type"] == "message":
                try:
                    await self._dispatch(meeting_id, message["data"])
                except Exception:
                    log.exception("signaling: could not deliver a frame from Redis")

    async def _dispatch(self, meeting_id: str, data: str) -> None:
        node, kind, target, skip, frame = data.split(_SEP, 4)
        if node == self.node:
            return  # ours: already delivered here directly
        if kind == "all":
            await self._deliver_all(meeting_id, frame, skip)
        elif kind == "to":
            peer = self._local.get(meeting_id, {}).get(target)
            if peer is not None:
                await peer.conn.send(frame)
        elif kind == "kick":
            peer = self._drop_local(meeting_id, target)
            if peer is not None:
                await peer.conn.close(protocol.CLOSE_REPLACED, "replaced by a newer connection")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                await self._heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("signaling: heartbeat failed: %s", exc)

    async def _heartbeat(self) -> None:
        """Refresh our members, sweep stale ones, and drop subscriptions of empty rooms."""
        for meeting_id, room in list(self._local.items()):
            stale, missing = await self._scripts["touch"](
                keys=[self._key(meeting_id)],
                args=[self._stale_after, self._key_ttl, *room],
            )
            for peer_id in stale:
                await self._announce_left(meeting_id, peer_id)
            for peer_id in missing:
                # Another process judged us dead (we could not reach Redis for too long): the
                # others were told this peer left, so end its connection; it can rejoin.
                peer = self._drop_local(meeting_id, peer_id)
                if peer is not None:
                    await peer.conn.close(protocol.CLOSE_TIMEOUT, "membership expired")
        # Unsubscribing lazily (a beat after a room empties) spares Redis the churn of
        # reconnects and keeps a subscription confirmation from being mistaken for a newer one.
        idle = [
            meeting_id
            for meeting_id, ready in self._subscribed.items()
            if ready.done() and meeting_id not in self._local and meeting_id not in self._joining
        ]
        for meeting_id in idle:
            del self._subscribed[meeting_id]
        if idle:
            async with self._pubsub_lock:
                await self._pubsub.unsubscribe(*(self._channel(m) for m in idle))


def _member(entry: dict[str, Any]) -> Member:
    return Member(
        peer_id=entry["peer_id"], user_id=entry["user_id"], role=entry["role"], name=entry["name"]
    )
