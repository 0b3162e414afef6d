"""Rooms shared through Redis: two relay processes, one meeting.

The process tests start the bare relay (``python -m kakehashi.relay``, on websockets' server)
twice against the test Redis; the in-process tests drive two ``RedisHub`` objects directly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from helpers import free_port
from websockets.exceptions import ConnectionClosed

from signaling import protocol
from signaling.hubs import HubError, Member, RedisHub, RoomFull
from signaling.server import utc_now
from signaling.tokens import issue

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cluster-test-secret-" + "x" * 32
WAIT = 15.0
READY_SECONDS = 30.0
UNTIL = utc_now() + timedelta(days=1)
# Short enough for the dead-process test, long enough that a busy test machine's pauses do not
# look like a dead process.
HEARTBEAT_SECONDS = 0.5
STALE_SECONDS = 3.0


def token(user: str, meeting: str = "m1") -> str:
    return issue(
        SECRET, user_id=user, meeting_id=meeting, role="buyer", name=f"Name {user}", until=UNTIL
    )


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.joined: dict[str, Any] = {}

    @property
    def peer_id(self) -> str:
        return self.joined["peer_id"]

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
            if frame["type"] == "ping":
                await self.send(type="pong")
                continue
            return frame

    async def expect(self, kind: str) -> dict[str, Any]:
        frame = await self.recv()
        assert frame["type"] == kind, frame
        return frame

    async def closed(self) -> int:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT)
        await asyncio.wait_for(self.ws.wait_closed(), WAIT)
        assert self.ws.close_code is not None
        return self.ws.close_code


@dataclass
class Node:
    url: str
    process: asyncio.subprocess.Process

    async def connect(self) -> Client:
        return Client(await websockets.connect(self.url, open_timeout=WAIT))

    async def join(self, user: str, meeting: str = "m1") -> Client:
        client = await self.connect()
        await client.send(type="join", token=token(user, meeting))
        client.joined = await client.expect("joined")
        return client


@contextlib.asynccontextmanager
async def relay_process(redis_url: str) -> AsyncIterator[Node]:
    port = free_port()
    env = {
        **os.environ,
        "FAIR_SECRET_KEY": SECRET,
        "FAIR_REDIS_URL": redis_url,
        "FAIR_SIGNALING_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "FAIR_SIGNALING_STALE_SECONDS": str(STALE_SECONDS),
    }
    command = [sys.executable, "-m", "kakehashi.relay", "--host", "127.0.0.1", "--port", str(port)]
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    try:
        # Readiness: poll /healthz until it answers (the project's way of starting servers).
        deadline = time.monotonic() + READY_SECONDS
        async with httpx.AsyncClient(timeout=2.0) as http:
            while True:
                assert process.returncode is None, "the relay process exited"
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the relay process did not start"
                await asyncio.sleep(0.05)
        yield Node(f"ws://127.0.0.1:{port}/ws/signaling", process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[tuple[Node, Node]]:
    async with relay_process(redis_url) as one, relay_process(redis_url) as two:
        yield one, two


# --- two processes ----------------------------------------------------------------------------


async def test_peers_on_two_processes_signal_each_other(nodes: tuple[Node, Node]) -> None:
    one, two = nodes
    alice = await one.join("alice")
    bob = await two.join("bob")
    assert [peer["peer_id"] for peer in bob.joined["peers"]] == [alice.peer_id]
    assert (await alice.expect("peer-joined"))["peer"] == {
        "peer_id": bob.peer_id,
        "role": "buyer",
        "name": "Name bob",
    }

    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 offer")
    assert await alice.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 offer"}
    await alice.send(type="answer", to=bob.peer_id, sdp="v=0 answer")
    assert await bob.recv() == {"type": "answer", "from": alice.peer_id, "sdp": "v=0 answer"}
    await alice.send(type="candidate", to=bob.peer_id, candidate=None)
    assert await bob.recv() == {"type": "candidate", "from": alice.peer_id, "candidate": None}
    await alice.send(type="offer", to="nobody", sdp="v=0")
    assert (await alice.expect("error"))["code"] == "unknown_peer"

    # Another meeting on the same two processes hears none of it.
    carol = await two.join("carol", "m2")
    assert carol.joined["peers"] == []
    await carol.send(type="offer", to=alice.peer_id, sdp="v=0")
    assert (await carol.expect("error"))["code"] == "unknown_peer"

    await bob.send(type="leave")
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob.peer_id}
    assert await bob.closed() == protocol.CLOSE_NORMAL
    await alice.ws.close()
    await carol.ws.close()


async def test_a_third_peer_hears_nothing_addressed_to_another_across_processes(
    nodes: tuple[Node, Node],
) -> None:
    """Alice and Ivy (the interpreter) on one process, Bob on the other: Bob's offer and
    candidate to Alice, and her answer, never reach Ivy; the frame Ivy gets next is the one
    addressed to her."""
    one, two = nodes
    alice = await one.join("alice")
    ivy = await one.join("ivy")
    bob = await two.join("bob")
    for client in (alice, alice, ivy):
        await client.expect("peer-joined")

    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 bob to alice")
    await bob.send(type="candidate", to=alice.peer_id, candidate=None)
    assert (await alice.recv())["sdp"] == "v=0 bob to alice"
    assert (await alice.recv())["type"] == "candidate"
    await alice.send(type="answer", to=bob.peer_id, sdp="v=0 alice to bob")
    assert (await bob.recv())["sdp"] == "v=0 alice to bob"
    await bob.send(type="offer", to=ivy.peer_id, sdp="v=0 bob to ivy")
    assert await ivy.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 bob to ivy"}
    for client in (alice, ivy, bob):
        await client.ws.close()


async def test_a_token_is_spent_on_every_process(nodes: tuple[Node, Node]) -> None:
    one, two = nodes
    shared = token("alice")
    first = await one.connect()
    await first.send(type="join", token=shared)
    await first.expect("joined")
    again = await two.connect()
    await again.send(type="join", token=shared)
    assert await again.closed() == protocol.CLOSE_UNAUTHORIZED
    await first.ws.close()


async def test_capacity_is_enforced_across_processes(nodes: tuple[Node, Node]) -> None:
    one, two = nodes
    four = [await one.join("a"), await two.join("b"), await one.join("c"), await two.join("d")]
    for node in (one, two):
        extra = await node.connect()
        await extra.send(type="join", token=token(f"extra-{node.url}"))
        assert await extra.closed() == protocol.CLOSE_ROOM_FULL
    a, b, c, d = four
    for _ in range(3):
        await a.expect("peer-joined")
    await d.send(type="offer", to=a.peer_id, sdp="v=0 from d")
    assert await a.recv() == {"type": "offer", "from": d.peer_id, "sdp": "v=0 from d"}
    await c.send(type="offer", to=b.peer_id, sdp="v=0 from c")
    got = await b.recv()
    while got["type"] == "peer-joined":
        got = await b.recv()
    assert got == {"type": "offer", "from": c.peer_id, "sdp": "v=0 from c"}
    for client in four:
        await client.ws.close()


async def test_reconnect_on_the_other_process_replaces(nodes: tuple[Node, Node]) -> None:
    one, two = nodes
    alice = await one.join("alice")
    bob_old = await one.join("bob")
    await alice.expect("peer-joined")
    bob_new = await two.join("bob")
    assert [peer["peer_id"] for peer in bob_new.joined["peers"]] == [alice.peer_id]
    assert await bob_old.closed() == protocol.CLOSE_REPLACED
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob_old.peer_id}
    assert (await alice.expect("peer-joined"))["peer"]["peer_id"] == bob_new.peer_id

    carol = await two.join("carol")
    assert sorted(peer["name"] for peer in carol.joined["peers"]) == ["Name alice", "Name bob"]
    await bob_new.send(type="offer", to=alice.peer_id, sdp="v=0")
    assert (await alice.expect("peer-joined"))["peer"]["peer_id"] == carol.peer_id
    assert await alice.recv() == {"type": "offer", "from": bob_new.peer_id, "sdp": "v=0"}
    for client in (alice, bob_new, carol):
        await client.ws.close()


async def test_members_of_a_dead_process_do_not_stay(nodes: tuple[Node, Node]) -> None:
    one, two = nodes
    alice = await one.join("alice")
    bob = await two.join("bob")
    await alice.expect("peer-joined")
    one.process.kill()  # no clean-up at all: its membership stays in Redis until judged stale
    await one.process.wait()
    # bob answers pings meanwhile; the other process's heartbeat sweeps alice out.
    assert await bob.recv() == {"type": "peer-left", "peer_id": alice.peer_id}
    carol = await two.join("carol")
    assert [peer["peer_id"] for peer in carol.joined["peers"]] == [bob.peer_id]
    await bob.ws.close()
    await carol.ws.close()


# --- two hubs in one process ------------------------------------------------------------------


class Inbox:
    """A Connection that records what the hub delivers."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closes: asyncio.Queue[int] = asyncio.Queue()

    async def send(self, text: str) -> None:
        await self.frames.put(json.loads(text))

    async def close(self, code: int, reason: str = "") -> None:
        await self.closes.put(code)

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.frames.get(), WAIT)


def _welcome(member: Member, peers: Any) -> str:
    return protocol.joined(member.peer_id, [peer.public() for peer in peers], 15)


@pytest.fixture
async def hubs(redis_url: str) -> AsyncIterator[tuple[RedisHub, RedisHub]]:
    one = RedisHub(redis_url, heartbeat_seconds=HEARTBEAT_SECONDS, stale_after_seconds=60)
    two = RedisHub(redis_url, heartbeat_seconds=HEARTBEAT_SECONDS, stale_after_seconds=60)
    await one.start()
    await two.start()
    try:
        yield one, two
    finally:
        await one.close()
        await two.close()


async def _join(hub: RedisHub, user: str, meeting: str = "m1") -> tuple[Inbox, str]:
    inbox = Inbox()
    joined = await hub.join(
        meeting, user_id=user, role="buyer", name=user, conn=inbox, welcome=_welcome
    )
    assert (await inbox.next())["type"] == "joined"
    return inbox, joined.member.peer_id


async def test_hubs_relay_through_redis(hubs: tuple[RedisHub, RedisHub]) -> None:
    one, two = hubs
    alice, alice_id = await _join(one, "alice")
    bob, bob_id = await _join(two, "bob")
    assert (await alice.next())["peer"]["peer_id"] == bob_id
    assert await two.relay("m1", bob_id, alice_id, '{"type":"offer"}') is True
    assert await alice.next() == {"type": "offer"}
    assert await two.relay("m1", bob_id, "nobody", "{}") is False
    assert await two.relay("m2", bob_id, alice_id, "{}") is True  # not bob's room: dropped
    assert await one.leave("m1", alice_id) is True
    assert await bob.next() == {"type": "peer-left", "peer_id": alice_id}
    assert await one.leave("m1", alice_id) is False  # once only
    assert [m.peer_id for m in await one.members("m1")] == [bob_id]


async def test_a_frame_addressed_across_processes_reaches_only_its_addressee(
    hubs: tuple[RedisHub, RedisHub],
) -> None:
    """Alice and the interpreter on one process, Bob on the other: what Bob addresses to Alice
    through Redis is not delivered to the interpreter beside her. Her next frame is the one
    Bob addresses to her afterwards (one publisher, one channel: Redis keeps the order)."""
    one, two = hubs
    alice, alice_id = await _join(one, "alice")
    ivy, ivy_id = await _join(one, "ivy")
    _bob, bob_id = await _join(two, "bob")
    assert (await alice.next())["peer"]["peer_id"] == ivy_id
    assert (await alice.next())["peer"]["peer_id"] == bob_id
    assert (await ivy.next())["peer"]["peer_id"] == bob_id

    for frame in ('{"type":"offer","sdp":"to alice"}', '{"type":"candidate","candidate":null}'):
        assert await two.relay("m1", bob_id, alice_id, frame) is True
    assert (await alice.next())["sdp"] == "to alice"
    assert (await alice.next())["type"] == "candidate"
    assert await two.relay("m1", bob_id, ivy_id, '{"type":"offer","sdp":"to ivy"}') is True
    assert await ivy.next() == {"type": "offer", "sdp": "to ivy"}


async def test_capacity_holds_under_concurrent_joins(hubs: tuple[RedisHub, RedisHub]) -> None:
    one, two = hubs

    async def attempt(hub: RedisHub, user: str) -> bool:
        try:
            await hub.join(
                "m1", user_id=user, role="buyer", name=user, conn=Inbox(), welcome=_welcome
            )
        except RoomFull:
            return False
        return True

    results = await asyncio.gather(
        *(attempt(one if i % 2 else two, f"user-{i}") for i in range(10))
    )
    assert sum(results) == 4
    assert len(await one.members("m1")) == 4


async def test_a_hub_starts_without_redis_and_refuses_joins_until_it_is_back() -> None:
    hub = RedisHub("redis://127.0.0.1:1/0")
    await hub.start()  # the app starts while Redis is away
    try:
        with pytest.raises(HubError):
            await hub.join(
                "m1", user_id="u", role="buyer", name="u", conn=Inbox(), welcome=_welcome
            )
    finally:
        await hub.close()
