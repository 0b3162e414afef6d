"""The relay end to end, on both of its servers: ``websockets``' own (the relay's process,
``signaling.standalone``) and uvicorn with Starlette (the app's endpoint, ``signaling.asgi``),
each on 127.0.0.1 with real ``websockets`` clients. The behaviour tests take the ``kind``
fixture, so each runs against both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from kakehashi.relay import state_from_env
from signaling import protocol
from signaling.asgi import create_signaling_app
from signaling.hubs import LocalHub, RedisHub
from signaling.server import SignalingState, _Session, utc_now
from signaling.standalone import serving
from signaling.tokens import Grant, issue

SECRET = "relay-test-secret-" + "x" * 32
WAIT = 10.0  # seconds to wait for something that is expected to happen
UNTIL = utc_now() + timedelta(days=1)


@dataclass
class Events:
    """on_event calls, awaitable: tests wait for a record instead of sleeping."""

    records: list[tuple[str, str, str]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __call__(self, kind: str, grant: Grant, peer_id: str, at: datetime) -> None:
        assert at.tzinfo is not None
        async with self.changed:
            self.records.append((kind, grant.user_id, peer_id))
            self.changed.notify_all()

    async def wait_for(self, record: tuple[str, str, str]) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: record in self.records), WAIT)


@dataclass
class Relay:
    base: str  # http://127.0.0.1:port
    state: SignalingState
    events: Events

    @property
    def url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws/signaling"

    def token(self, user: str, meeting: str = "m1", **overrides: Any) -> str:
        fields: dict[str, Any] = {
            "user_id": user,
            "meeting_id": meeting,
            "role": "buyer",
            "name": f"Name {user}",
            "until": UNTIL,
        }
        fields.update(overrides)
        secret = fields.pop("secret", SECRET)
        return issue(secret, **fields)

    async def connect(self) -> Client:
        return Client(await websockets.connect(self.url, open_timeout=WAIT))

    async def join(self, user: str, meeting: str = "m1", **overrides: Any) -> Client:
        client = await self.connect()
        await client.send(type="join", token=self.token(user, meeting, **overrides))
        client.joined = await client.expect("joined")
        return client


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.joined: dict[str, Any] = {}

    @property
    def peer_id(self) -> str:
        return self.joined["peer_id"]

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, *, answer_pings: bool = False) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
            if answer_pings and frame["type"] == "ping":
                await self.send(type="pong")
                continue
            return frame

    async def expect(self, kind: str, *, answer_pings: bool = False) -> dict[str, Any]:
        frame = await self.recv(answer_pings=answer_pings)
        assert frame["type"] == kind, frame
        return frame

    async def closed(self) -> tuple[int, list[dict[str, Any]]]:
        """Wait for the server to close; the close code and the frames that came before it."""
        frames = []
        with contextlib.suppress(ConnectionClosed):
            while True:
                frames.append(json.loads(await asyncio.wait_for(self.ws.recv(), WAIT)))
        await asyncio.wait_for(self.ws.wait_closed(), WAIT)
        assert self.ws.close_code is not None
        return self.ws.close_code, frames

    async def close(self) -> None:
        await self.ws.close()


def _listening_socket() -> socket.socket:
    # Listening before the server starts: clients may connect at once, the backlog holds them.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextlib.asynccontextmanager
async def on_uvicorn(state: SignalingState, sock: socket.socket) -> AsyncIterator[None]:
    """The app's endpoint (Starlette) under uvicorn, as ``fair serve`` runs it."""
    app = create_signaling_app(state)
    config = uvicorn.Config(app, ws="websockets-sansio", log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)


KINDS = {
    "websockets": lambda state, sock: serving(state, sock=sock),
    "starlette": on_uvicorn,
}


@contextlib.asynccontextmanager
async def running(kind: str, **overrides: Any) -> AsyncIterator[Relay]:
    events = Events()
    state = SignalingState(secret=SECRET, on_event=events, **overrides)
    sock = _listening_socket()
    port = sock.getsockname()[1]
    try:
        async with KINDS[kind](state, sock):
            yield Relay(f"http://127.0.0.1:{port}", state, events)
    finally:
        sock.close()
    # Every connection ended, so every room is empty: no ghost participants anywhere.
    assert state.hub.connected() == 0


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def relay(kind: str) -> AsyncIterator[Relay]:
    async with running(kind) as relay:
        yield relay


# --- the happy path ---------------------------------------------------------------------------


async def test_two_peers_join_relay_and_leave(relay: Relay) -> None:
    alice = await relay.join("alice", role="exhibitor", name="Sato Hanako")
    assert alice.joined["peers"] == []
    assert alice.joined["ping_interval"] == 15
    bob = await relay.join("bob")
    assert bob.joined["peers"] == [
        {"peer_id": alice.peer_id, "role": "exhibitor", "name": "Sato Hanako"}
    ]
    assert await alice.expect("peer-joined") == {
        "type": "peer-joined",
        "peer": {"peer_id": bob.peer_id, "role": "buyer", "name": "Name bob"},
    }

    # The newcomer offers; the other answers; candidates both ways, null ends them.
    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 offer")
    assert await alice.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 offer"}
    await alice.send(type="answer", to=bob.peer_id, sdp="v=0 answer")
    assert await bob.recv() == {"type": "answer", "from": alice.peer_id, "sdp": "v=0 answer"}
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host", "sdpMid": "0"}
    await alice.send(type="candidate", to=bob.peer_id, candidate=candidate)
    assert await bob.recv() == {"type": "candidate", "from": alice.peer_id, "candidate": candidate}
    await bob.send(type="candidate", to=alice.peer_id, candidate=None)
    assert await alice.recv() == {"type": "candidate", "from": bob.peer_id, "candidate": None}

    await alice.send(type="ping")
    assert await alice.recv() == {"type": "pong"}

    await bob.send(type="leave")
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob.peer_id}
    assert (await bob.closed())[0] == protocol.CLOSE_NORMAL
    await alice.close()

    await relay.events.wait_for(("leave", "alice", alice.peer_id))
    assert relay.events.records == [
        ("join", "alice", alice.peer_id),
        ("join", "bob", bob.peer_id),
        ("leave", "bob", bob.peer_id),
        ("leave", "alice", alice.peer_id),
    ]


async def test_an_addressed_frame_reaches_its_addressee_and_nobody_else(relay: Relay) -> None:
    """Three in the room (exhibitor, buyer, interpreter): the offer, candidates and answer
    between two of them never reach the third. The frame the third gets next is the first
    one addressed to it, sent after the others had arrived where they were addressed."""
    alice = await relay.join("alice", role="exhibitor")
    bob = await relay.join("bob", role="buyer")
    ivy = await relay.join("ivy", role="interpreter")
    for expected in (alice, alice, bob):
        await expected.expect("peer-joined")

    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 bob to alice")
    await bob.send(type="candidate", to=alice.peer_id, candidate=None)
    assert (await alice.recv())["sdp"] == "v=0 bob to alice"
    assert (await alice.recv())["type"] == "candidate"
    await alice.send(type="answer", to=bob.peer_id, sdp="v=0 alice to bob")
    assert (await bob.recv())["sdp"] == "v=0 alice to bob"

    await alice.send(type="offer", to=ivy.peer_id, sdp="v=0 alice to ivy")
    assert await ivy.recv() == {"type": "offer", "from": alice.peer_id, "sdp": "v=0 alice to ivy"}
    await bob.send(type="offer", to=ivy.peer_id, sdp="v=0 bob to ivy")
    assert await ivy.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 bob to ivy"}
    for client in (alice, bob, ivy):
        await client.close()


async def test_the_relay_counts_its_rooms_peers_and_relayed_frames(relay: Relay) -> None:
    """The counts a host turns into metrics (the app's /metrics): rooms with someone here,
    participants here, frames delivered (a frame to nobody is not counted)."""
    hub, state = relay.state.hub, relay.state
    alice = await relay.join("alice", meeting="m1")
    bob = await relay.join("bob", meeting="m1")
    carol = await relay.join("carol", meeting="m2")
    await alice.expect("peer-joined")
    assert (hub.rooms(), hub.connected(), state.relayed) == (2, 3, 0)
    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 offer")
    assert (await alice.recv())["type"] == "offer"
    await bob.send(type="candidate", to="nobody-here", candidate=None)
    assert (await bob.recv())["type"] == "error"
    await alice.send(type="answer", to=bob.peer_id, sdp="v=0 answer")
    assert (await bob.recv())["type"] == "answer"
    assert state.relayed == 2
    await carol.send(type="leave")
    await carol.closed()
    await relay.events.wait_for(("leave", "carol", carol.peer_id))
    assert (hub.rooms(), hub.connected()) == (1, 2)
    for client in (alice, bob):
        await client.close()


async def test_a_dropped_connection_is_a_leave(relay: Relay) -> None:
    alice = await relay.join("alice")
    bob = await relay.join("bob")
    await alice.expect("peer-joined")
    bob.ws.transport.abort()  # gone without a close handshake
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob.peer_id}
    await relay.events.wait_for(("leave", "bob", bob.peer_id))
    await alice.close()


async def test_server_pings_and_a_peer_that_answers_stays(kind: str) -> None:
    async with running(kind, ping_interval=0.2) as fast:
        alice = await fast.join("alice")
        # Five pings answered means five ping intervals, well past the dead-peer limit.
        for _ in range(5):
            await alice.expect("ping")
            await alice.send(type="pong")
        await alice.send(type="ping")
        assert await alice.recv(answer_pings=True) == {"type": "pong"}
        await alice.close()


async def test_a_binary_frame_gets_an_error_frame_and_the_connection_stays(relay: Relay) -> None:
    alice = await relay.join("alice")
    await alice.ws.send(b"\x00binary")
    assert await alice.recv() == {
        "type": "error",
        "code": "bad_frame",
        "message": "frames are JSON text",
    }
    await alice.send(type="ping")
    assert await alice.recv() == {"type": "pong"}
    await alice.close()


async def test_shutdown_closes_1012_and_everyone_leaves(kind: str) -> None:
    """A restart: the server says so (1012, service restart) and each participant leaves its
    room as if it had gone, so attendance records the leave."""
    async with running(kind) as relay:
        alice = await relay.join("alice")
        bob = await relay.join("bob")
        await alice.expect("peer-joined")
    for client in (alice, bob):
        assert (await client.closed())[0] == 1012
    assert sorted(relay.events.records[2:]) == [
        ("leave", "alice", alice.peer_id),
        ("leave", "bob", bob.peer_id),
    ]


async def test_the_health_route_and_plain_requests(relay: Relay) -> None:
    async with httpx.AsyncClient(base_url=relay.base, timeout=WAIT) as http:
        health = await http.get("/healthz")
        elsewhere = await http.get("/no-such-path")
        no_upgrade = await http.get("/ws/signaling")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert elsewhere.status_code == 404
    # A plain GET of the WebSocket's path is refused as a client error, never a 500.
    assert 400 <= no_upgrade.status_code < 500


async def test_a_websocket_elsewhere_is_refused(relay: Relay) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(relay.url.replace("/ws/signaling", "/ws/other"))
    assert 400 <= refused.value.response.status_code < 500


# --- refusals at join -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        json.dumps({"type": "ping"}),
        json.dumps({"type": "offer", "to": "x", "sdp": "v=0"}),
        json.dumps({"type": "join"}),
        json.dumps({"type": "join", "token": ""}),
        "{not json",
        b"\x00binary",
    ],
    ids=["ping", "offer", "join-without-token", "empty-token", "bad-json", "binary"],
)
async def test_first_frame_must_be_a_join_with_a_token(relay: Relay, first: str | bytes) -> None:
    client = await relay.connect()
    await client.ws.send(first)
    assert (await client.closed())[0] == protocol.CLOSE_UNAUTHORIZED


async def test_no_join_frame_in_time_closes_4408(kind: str) -> None:
    async with running(kind, join_timeout=0.2) as relay:
        client = await relay.connect()
        assert (await client.closed())[0] == protocol.CLOSE_TIMEOUT


async def test_an_unreachable_shared_store_closes_1013(kind: str) -> None:
    async with running(kind, hub=RedisHub("redis://127.0.0.1:1/0")) as relay:
        client = await relay.connect()
        await client.send(type="join", token=relay.token("alice"))
        assert (await client.closed())[0] == protocol.CLOSE_TRY_AGAIN


async def test_expired_token_is_refused(relay: Relay) -> None:
    client = await relay.connect()
    stale = relay.token("alice", now=utc_now() - timedelta(minutes=5))
    await client.send(type="join", token=stale)
    assert (await client.closed())[0] == protocol.CLOSE_UNAUTHORIZED


async def test_forged_token_is_refused(relay: Relay) -> None:
    client = await relay.connect()
    await client.send(type="join", token=relay.token("alice", secret="another-secret-" + "y" * 32))
    assert (await client.closed())[0] == protocol.CLOSE_UNAUTHORIZED


async def test_token_is_single_use(relay: Relay) -> None:
    token = relay.token("alice")
    first = await relay.connect()
    await first.send(type="join", token=token)
    await first.expect("joined")
    again = await relay.connect()
    await again.send(type="join", token=token)
    assert (await again.closed())[0] == protocol.CLOSE_UNAUTHORIZED
    await first.send(type="ping")
    assert await first.recv() == {"type": "pong"}
    await first.close()


async def test_past_the_join_window_is_forbidden(relay: Relay) -> None:
    client = await relay.connect()
    await client.send(type="join", token=relay.token("alice", until=utc_now()))
    assert (await client.closed())[0] == protocol.CLOSE_FORBIDDEN


async def test_the_join_window_ending_closes_the_connection(kind: str) -> None:
    now = [utc_now()]
    async with running(kind, ping_interval=0.2, clock=lambda: now[0]) as relay:
        alice = await relay.join("alice", until=now[0] + timedelta(minutes=30))
        bob = await relay.join("bob", until=now[0] + timedelta(hours=2))
        await alice.expect("peer-joined")
        now[0] += timedelta(hours=1)
        code, _frames = await alice.closed()
        assert code == protocol.CLOSE_FORBIDDEN
        assert await bob.recv(answer_pings=True) == {"type": "peer-left", "peer_id": alice.peer_id}
        await bob.close()


async def test_token_for_another_meeting_lands_there(relay: Relay) -> None:
    alice = await relay.join("alice", "m1")
    bob = await relay.join("bob", "m1")
    await alice.expect("peer-joined")
    carol = await relay.join("carol", "m2")
    assert carol.joined["peers"] == []
    dave = await relay.join("dave", "m2")
    assert [peer["peer_id"] for peer in dave.joined["peers"]] == [carol.peer_id]
    assert (await carol.expect("peer-joined"))["peer"]["peer_id"] == dave.peer_id

    # Across rooms a peer id is unknown, even a real one.
    await carol.send(type="offer", to=alice.peer_id, sdp="v=0")
    assert (await carol.expect("error"))["code"] == "unknown_peer"
    # Inside each room frames still flow, and only there: alice's next frame is bob's offer.
    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 m1")
    assert await alice.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 m1"}
    await dave.send(type="offer", to=carol.peer_id, sdp="v=0 m2")
    assert await carol.recv() == {"type": "offer", "from": dave.peer_id, "sdp": "v=0 m2"}
    await alice.send(type="ping")
    assert await alice.recv() == {"type": "pong"}
    for client in (alice, bob, carol, dave):
        await client.close()


async def test_fifth_participant_is_refused_and_the_four_stay(relay: Relay) -> None:
    four = [await relay.join(user) for user in ("a", "b", "c", "d")]
    fifth = await relay.connect()
    await fifth.send(type="join", token=relay.token("e"))
    assert (await fifth.closed())[0] == protocol.CLOSE_ROOM_FULL

    first, last = four[0], four[-1]
    await last.send(type="offer", to=first.peer_id, sdp="v=0")
    # first saw b, c, d arrive and nobody else (the refused fifth never joined).
    arrivals = [(await first.expect("peer-joined"))["peer"]["name"] for _ in range(3)]
    assert arrivals == ["Name b", "Name c", "Name d"]
    assert await first.recv() == {"type": "offer", "from": last.peer_id, "sdp": "v=0"}
    assert len(await relay.state.hub.members("m1")) == 4
    for client in four:
        await client.close()


# --- bad frames after join --------------------------------------------------------------------


async def test_malformed_json_gets_an_error_frame_and_the_connection_stays(relay: Relay) -> None:
    alice = await relay.join("alice")
    bob = await relay.join("bob")
    await alice.expect("peer-joined")
    await alice.ws.send("{not json")
    assert await alice.recv() == {"type": "error", "code": "bad_json", "message": "not valid JSON"}
    await alice.send(type="warp", to=bob.peer_id)
    assert (await alice.expect("error"))["code"] == "unknown_type"
    await alice.send(type="offer", to=bob.peer_id, sdp="v=0", extra=1)
    assert (await alice.expect("error"))["code"] == "bad_frame"
    await alice.send(type="offer", to=bob.peer_id, sdp="v=0")
    assert await bob.recv() == {"type": "offer", "from": alice.peer_id, "sdp": "v=0"}
    await alice.close()
    await bob.close()


async def test_a_1mb_frame_closes_4413_and_the_others_carry_on(relay: Relay) -> None:
    alice = await relay.join("alice")
    bob = await relay.join("bob")
    carol = await relay.join("carol")
    await alice.expect("peer-joined")
    await alice.expect("peer-joined")
    await bob.expect("peer-joined")
    await bob.send(type="offer", to=alice.peer_id, sdp="v" * 1_000_000)
    assert (await bob.closed())[0] == protocol.CLOSE_TOO_LARGE
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob.peer_id}
    assert await carol.recv() == {"type": "peer-left", "peer_id": bob.peer_id}
    await carol.send(type="offer", to=alice.peer_id, sdp="v=0")
    assert await alice.recv() == {"type": "offer", "from": carol.peer_id, "sdp": "v=0"}
    await alice.close()
    await carol.close()


async def test_relay_to_an_unknown_peer_is_an_error_frame(relay: Relay) -> None:
    alice = await relay.join("alice")
    await alice.send(type="offer", to="nobody-here", sdp="v=0")
    error = await alice.expect("error")
    assert error["code"] == "unknown_peer"
    await alice.send(type="candidate", to=alice.peer_id, candidate=None)
    assert (await alice.expect("error"))["code"] == "unknown_peer"
    await alice.send(type="ping")
    assert await alice.recv() == {"type": "pong"}
    await alice.close()


async def test_a_flood_closes_4429_for_the_flooder_only(relay: Relay) -> None:
    alice = await relay.join("alice")
    bob = await relay.join("bob")
    flooder = await relay.join("mallory")
    await alice.expect("peer-joined")
    await alice.expect("peer-joined")
    await bob.expect("peer-joined")
    carol = await relay.join("carol", "m2")
    dave = await relay.join("dave", "m2")
    await carol.expect("peer-joined")

    frame = json.dumps({"type": "offer", "to": alice.peer_id, "sdp": "v=0 flood"})
    with contextlib.suppress(ConnectionClosed):
        for _ in range(1000):
            await flooder.ws.send(frame)
    code, _frames = await flooder.closed()
    assert code == protocol.CLOSE_RATE_LIMITED

    # alice got about a burst of offers, then mallory's peer-left; then bob's frame.
    got = [await alice.recv()]
    while got[-1]["type"] == "offer":
        got.append(await alice.recv())
    assert got[-1] == {"type": "peer-left", "peer_id": flooder.peer_id}
    # The burst (60), plus the little the bucket refills while the server works through them.
    assert len(got) - 1 < 200
    await bob.send(type="offer", to=alice.peer_id, sdp="v=0 bob")
    assert await alice.recv() == {"type": "offer", "from": bob.peer_id, "sdp": "v=0 bob"}
    await dave.send(type="offer", to=carol.peer_id, sdp="v=0 dave")
    assert await carol.recv() == {"type": "offer", "from": dave.peer_id, "sdp": "v=0 dave"}
    for client in (alice, bob, carol, dave):
        await client.close()


# --- reconnects and dead peers ----------------------------------------------------------------


async def test_reconnect_replaces_the_old_connection(relay: Relay) -> None:
    alice = await relay.join("alice")
    bob_old = await relay.join("bob")
    await alice.expect("peer-joined")
    bob_new = await relay.join("bob")
    assert [peer["peer_id"] for peer in bob_new.joined["peers"]] == [alice.peer_id]
    assert (await bob_old.closed())[0] == protocol.CLOSE_REPLACED
    assert await alice.recv() == {"type": "peer-left", "peer_id": bob_old.peer_id}
    assert (await alice.expect("peer-joined"))["peer"]["peer_id"] == bob_new.peer_id

    carol = await relay.join("carol")
    names = [peer["name"] for peer in carol.joined["peers"]]
    assert sorted(names) == ["Name alice", "Name bob"]
    members = await relay.state.hub.members("m1")
    assert [m.peer_id for m in members if m.user_id == "bob"] == [bob_new.peer_id]
    assert (await alice.expect("peer-joined"))["peer"]["peer_id"] == carol.peer_id
    await bob_new.send(type="offer", to=alice.peer_id, sdp="v=0")
    assert await alice.recv() == {"type": "offer", "from": bob_new.peer_id, "sdp": "v=0"}

    await relay.events.wait_for(("leave", "bob", bob_old.peer_id))
    bob_records = [r for r in relay.events.records if r[1] == "bob"]
    assert bob_records[0] == ("join", "bob", bob_old.peer_id)
    assert set(bob_records[1:]) == {
        ("join", "bob", bob_new.peer_id),
        ("leave", "bob", bob_old.peer_id),
    }
    for client in (alice, bob_new, carol):
        await client.close()


async def test_a_silent_peer_is_dead_and_the_others_hear_it(kind: str) -> None:
    async with running(kind, ping_interval=0.2) as relay:
        silent = await relay.join("alice")
        bob = await relay.join("bob")
        # bob answers every ping; alice answers none.
        assert await bob.recv(answer_pings=True) == {"type": "peer-left", "peer_id": silent.peer_id}
        code, frames = await silent.closed()
        assert code == protocol.CLOSE_TIMEOUT
        assert {frame["type"] for frame in frames} <= {"ping", "peer-joined"}
        await relay.events.wait_for(("leave", "alice", silent.peer_id))
        await bob.close()


class Stuck:
    """A transport whose sends and closes never complete, like a WebSocket whose client
    stopped reading."""

    client = origin = None
    gone = ConnectionError

    def __init__(self) -> None:
        self.aborted = False

    async def receive(self) -> str | bytes:
        await asyncio.Event().wait()
        raise ConnectionError

    async def send(self, text: str) -> None:
        await asyncio.Event().wait()

    async def close(self, code: int, reason: str) -> None:
        await asyncio.Event().wait()

    def abort(self) -> None:
        self.aborted = True


async def test_a_socket_that_stops_reading_is_dropped() -> None:
    state = SignalingState(secret=SECRET, send_timeout=0.05)
    await state.start()  # starts the guard that bounds sends
    created: asyncio.Future[_Session] = asyncio.get_running_loop().create_future()

    stuck = Stuck()

    async def connection_task() -> None:
        created.set_result(_Session(stuck, state))
        await asyncio.Event().wait()  # stands for its receive loop, waiting for a frame

    task = asyncio.create_task(connection_task())
    session = await created
    # A peer relaying to it is not held up for longer than the send timeout...
    await asyncio.wait_for(session.send('{"type":"offer"}'), WAIT)
    assert session.closing and session.abandoned
    assert stuck.aborted  # the server drops the TCP connection, where it can
    # ...and the stuck connection's own task is ended, so its clean-up tells the room.
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    await session.send("{}")  # a closed session swallows frames
    await session.close(protocol.CLOSE_NORMAL)
    await state.close()


async def test_the_send_guard_leaves_other_cancellations_alone() -> None:
    state = SignalingState(secret=SECRET, send_timeout=0.05)
    await state.start()

    created: asyncio.Future[_Session] = asyncio.get_running_loop().create_future()

    async def sender() -> None:
        session = _Session(Stuck(), state)
        created.set_result(session)
        await session.send("{}")

    task = asyncio.create_task(sender())
    await created  # resumes once the sender waits inside its send
    task.cancel()  # someone else's cancellation (a shutdown, say): it must not be swallowed
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    await state.close()


def test_state_from_env() -> None:
    state = state_from_env({"FAIR_SECRET_KEY": SECRET, "FAIR_SIGNALING_PING_INTERVAL": "5"})
    assert (state.secret, state.ping_interval, state.hub.capacity) == (SECRET, 5.0, 4)
    assert isinstance(state.hub, LocalHub)
    shared = state_from_env({"FAIR_SECRET_KEY": SECRET, "FAIR_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert isinstance(shared.hub, RedisHub)
    with pytest.raises(RuntimeError):
        state_from_env({})
