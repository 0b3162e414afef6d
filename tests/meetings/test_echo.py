"""The connection test's echo peer, through the real app: an aiortc client offers over HTTP,
then data and video flow over real UDP on this machine and come back."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from helpers import login, make_client, make_user

from fair.resources import of_app
from meetings.echo import EchoPeers, echo_peers
from signaling.ice import ice_servers

TIMEOUT = 20.0
BUYER = "lan.nguyen@saigon-trading.example"
# The test's peers run on this machine, as a developer's browser does: they offer this
# machine's addresses, which the echo peer may reach from a request of this machine in
# development and tests (FAIR_CONNECTION_TEST_LOCAL_CANDIDATES, meetings/candidates.py).
LOCAL = "127.0.0.1"


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, address=LOCAL) as c:
        yield c


@pytest.fixture
async def peers() -> AsyncIterator[list[RTCPeerConnection]]:
    """Client peers, closed after the test whatever happens."""
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


def new_peer(peers: list[RTCPeerConnection]) -> RTCPeerConnection:
    # No STUN: the machine's own addresses are enough, and there is no network here.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peers.append(pc)
    return pc


async def offer_of(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def post_offer(client: httpx.AsyncClient, sdp: str) -> httpx.Response:
    return await client.post("/api/connection-test", json={"sdp": sdp, "type": "offer"})


async def signed_in(client: httpx.AsyncClient, session: Any, email: str = BUYER) -> Any:
    user = await make_user(session, "buyer", email)
    await login(client, email)
    return user


async def connect(client: httpx.AsyncClient, pc: RTCPeerConnection) -> None:
    response = await post_offer(client, await offer_of(pc))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "answer"
    assert "a=candidate:" in answer["sdp"]  # aiortc does not trickle: all are in the answer
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]


async def test_data_channel_messages_come_back(client, session, peers):
    await signed_in(client, session)
    pc = new_peer(peers)
    # The browser's probe channel: unordered, never retransmitted.
    channel = pc.createDataChannel("probe", ordered=False, maxRetransmits=0)
    opened = asyncio.Event()
    echoed: asyncio.Queue[str | bytes] = asyncio.Queue()
    channel.on("open", opened.set)
    channel.on("message", echoed.put_nowait)

    await connect(client, pc)
    await asyncio.wait_for(opened.wait(), TIMEOUT)
    sent = [f'{{"seq": {n}, "t": {n * 50}}}' for n in range(20)] + [b"\x00\x01binary"]
    for message in sent:
        channel.send(message)
    back = [await asyncio.wait_for(echoed.get(), TIMEOUT) for _ in sent]
    assert sorted(back, key=repr) == sorted(sent, key=repr)


async def test_video_comes_back(client, session, peers):
    await signed_in(client, session)
    pc = new_peer(peers)
    pc.addTrack(VideoStreamTrack())  # aiortc's test source: green frames
    returned: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
    pc.on("track", lambda track: returned.done() or returned.set_result(track))

    await connect(client, pc)
    track = await asyncio.wait_for(returned, TIMEOUT)
    assert track.kind == "video"
    frame = await asyncio.wait_for(track.recv(), TIMEOUT)
    assert frame.width > 0 and frame.height > 0


async def test_anonymous_gets_401(client, peers):
    response = await post_offer(client, await offer_of(with_channel(new_peer(peers))))
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def with_channel(pc: RTCPeerConnection) -> RTCPeerConnection:
    pc.createDataChannel("probe")
    return pc


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
        ({"content": b"v=0", "headers": {"content-type": "text/plain"}}, 415),
        ({"json": ["offer"]}, 422),
        ({"json": {"type": "offer"}}, 422),
        ({"json": {"sdp": "v=0\r\n", "type": "answer"}}, 422),
        ({"json": {"sdp": 42, "type": "offer"}}, 422),
        ({"json": {"sdp": "", "type": "offer"}}, 422),
        ({"json": {"sdp": "v=0\r\n" + "a=x\r\n" * 8000, "type": "offer"}}, 422),
        ({"json": {"sdp": "x" * (1024 * 1024), "type": "offer"}}, 413),
        ({"json": {"sdp": "hello", "type": "offer"}}, 400),
        ({"json": {"sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "type": "offer"}}, 400),
        # A media section aiortc cannot use: no ICE credentials, no fingerprint.
        ({"json": {"sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "type": "offer"}}, 400),
        ({"json": {"sdp": "v=0\r\nm=\x00\xff\r\n\r\n", "type": "offer"}}, 400),
    ],
)
async def test_bad_offers_get_a_clear_4xx(client, session, kwargs, status):
    await signed_in(client, session)
    response = await client.post("/api/connection-test", **kwargs)
    assert response.status_code == status, response.text
    error_of(response)


async def test_a_new_offer_replaces_the_users_old_peer(app, client, session, peers):
    user = await signed_in(client, session)
    await connect(client, with_channel(new_peer(peers)))
    manager: EchoPeers = echo_peers(of_app(app))
    first = manager.peer_of(user.id)
    assert first is not None

    await connect(client, with_channel(new_peer(peers)))
    second = manager.peer_of(user.id)
    assert second is not None and second is not first
    await asyncio.wait_for(first.done.wait(), TIMEOUT)
    assert first.pc.connectionState == "closed"
    assert len(manager) == 1


async def test_the_global_cap_answers_503(app, client, session, peers):
    of_app(app).replace_part(EchoPeers, EchoPeers(limit=1))
    await signed_in(client, session)
    async with make_client(app, address=LOCAL) as other:
        await signed_in(other, session, "liu.ting@yunshang-cbec.example")
        await connect(client, with_channel(new_peer(peers)))

        response = await post_offer(other, await offer_of(with_channel(new_peer(peers))))
        assert response.status_code == 503
        assert error_of(response)["code"] == "echo_busy"
        # The first user's new offer replaces their own peer: it is not refused.
        await connect(client, with_channel(new_peer(peers)))
        assert len(echo_peers(of_app(app))) == 1


async def test_a_peer_is_closed_when_its_time_is_up(app, client, session, peers):
    of_app(app).replace_part(EchoPeers, EchoPeers(lifetime_seconds=0.1))
    user = await signed_in(client, session)
    await connect(client, with_channel(new_peer(peers)))
    peer = echo_peers(of_app(app)).peer_of(user.id)
    await asyncio.wait_for(peer.done.wait(), TIMEOUT)
    assert echo_peers(of_app(app)).peer_of(user.id) is None


async def test_a_peer_is_closed_when_the_browser_hangs_up(app, client, session, peers):
    user = await signed_in(client, session)
    pc = new_peer(peers)
    channel = pc.createDataChannel("probe")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await connect(client, pc)
    await asyncio.wait_for(opened.wait(), TIMEOUT)
    peer = echo_peers(of_app(app)).peer_of(user.id)

    await pc.close()
    await asyncio.wait_for(peer.done.wait(), TIMEOUT)
    assert echo_peers(of_app(app)).peer_of(user.id) is None


async def test_shutdown_closes_every_peer(app, client, session, peers):
    user = await signed_in(client, session)
    await connect(client, with_channel(new_peer(peers)))
    peer = echo_peers(of_app(app)).peer_of(user.id)
    await echo_peers(of_app(app)).aclose()
    assert peer.done.is_set() and len(echo_peers(of_app(app))) == 0


async def test_the_page_needs_a_user_and_carries_the_test_settings(client, session, settings):
    anonymous = await client.get("/connection-test", headers={"accept": "text/html"})
    assert anonymous.status_code == 401

    user = await signed_in(client, session)
    response = await client.get("/connection-test")
    assert response.status_code == 200
    block = re.search(
        r'<script type="application/json" id="ct-config">(.*?)</script>', response.text
    )
    assert block is not None
    config = json.loads(block.group(1))
    assert config["api"] == "/api/connection-test"
    assert config["iceServers"] == ice_servers(settings, user.id)
    assert config["texts"]["ready"] == "Your connection is ready for video meetings"
    script = r'<script src="/static/js/connection-test\.js\?v=\w+" defer></script>'
    assert re.search(script, response.text)
