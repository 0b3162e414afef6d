"""TURN with a real coturn on 127.0.0.1 and coturn REST credentials (signaling.ice): a peer
that may use only relay candidates reaches the echo peer through it, and expired credentials
gather no relay candidate at all (aiortc says nothing), which the connection test relies on."""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from helpers import free_port, login, make_user, missing

from fair import clock
from fair.config import Settings
from signaling.ice import turn_credentials

TURNSERVER = Path("/usr/bin/turnserver")
READY_TIMEOUT_SECONDS = 10.0
TIMEOUT = 20.0
REALM = "kakehashi"


@dataclass(frozen=True)
class Coturn:
    url: str
    secret: str
    log: Path


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    if not TURNSERVER.exists():
        missing("coturn is not installed (/usr/bin/turnserver): run scripts/install-chromium")
    folder = tmp_path_factory.mktemp("coturn")
    port = free_port()
    secret = secrets.token_hex(16)
    log = folder / "turnserver.log"
    args = [
        str(TURNSERVER),
        "-n",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        f"--realm={REALM}",
        "--listening-ip=127.0.0.1",
        f"--listening-port={port}",
        "--relay-ip=127.0.0.1",
        "--allow-loopback-peers",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--log-file=stdout",
        "--simple-log",
        # Its own files, not the system's /var/run/turnserver.pid and /var/lib/turn/turndb.
        f"--pidfile={folder / 'turnserver.pid'}",
        f"--db={folder / 'turndb'}",
    ]
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _listening(port):
            if process.poll() is not None:
                pytest.fail(f"turnserver exited {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"turnserver not listening after {READY_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.05)  # polling a child process's readiness, not timing a result
        yield Coturn(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def settings(settings: Settings, coturn: Coturn) -> Settings:
    """The app hands out this coturn, so its echo peer gathers a relay candidate too."""
    return settings.with_overrides(turn_urls=(coturn.url,), turn_secret=coturn.secret)


@pytest.fixture
async def peers() -> AsyncIterator[list[RTCPeerConnection]]:
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


def turn_peer(
    peers: list[RTCPeerConnection],
    coturn: Coturn,
    *,
    ttl: int,
    policy: RTCIceTransportPolicy,
) -> RTCPeerConnection:
    username, password = turn_credentials(coturn.secret, "buyer-1", ttl, clock.real_now())
    server = RTCIceServer(urls=coturn.url, username=username, credential=password)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[server], iceTransportPolicy=policy))
    peers.append(pc)
    return pc


def candidate_types(sdp: str) -> list[str]:
    return [
        line.split(" typ ", 1)[1].split()[0]
        for line in sdp.splitlines()
        if line.startswith("a=candidate:")
    ]


async def test_a_relay_only_peer_reaches_the_echo_peer_through_coturn(
    client: httpx.AsyncClient, session, coturn: Coturn, peers
):
    await make_user(session, "buyer", "lan.nguyen@saigon-trading.example")
    await login(client, "lan.nguyen@saigon-trading.example")
    # Relay policy: the peer's only candidates are on coturn, so whatever connects went
    # through it.
    pc = turn_peer(peers, coturn, ttl=600, policy=RTCIceTransportPolicy.RELAY)
    channel = pc.createDataChannel("probe", ordered=False, maxRetransmits=0)
    opened = asyncio.Event()
    echoed: asyncio.Queue[str] = asyncio.Queue()
    channel.on("open", opened.set)
    channel.on("message", echoed.put_nowait)

    await pc.setLocalDescription(await pc.createOffer())
    offered = candidate_types(pc.localDescription.sdp)
    assert offered and set(offered) == {"relay"}, offered

    response = await client.post(
        "/api/connection-test", json={"sdp": pc.localDescription.sdp, "type": "offer"}
    )
    assert response.status_code == 200, response.text
    answer = response.json()["sdp"]
    assert "relay" in candidate_types(answer)  # the echo peer got credentials from the app too
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    await asyncio.wait_for(opened.wait(), TIMEOUT)
    channel.send('{"seq": 1, "t": 0}')
    assert await asyncio.wait_for(echoed.get(), TIMEOUT) == '{"seq": 1, "t": 0}'
    assert pc.connectionState == "connected"


async def test_expired_credentials_gather_no_relay_candidate(coturn: Coturn, peers):
    expired = turn_peer(peers, coturn, ttl=-60, policy=RTCIceTransportPolicy.ALL)
    expired.createDataChannel("probe")
    await expired.setLocalDescription(await expired.createOffer())
    types = candidate_types(expired.localDescription.sdp)
    assert "relay" not in types, types
    assert "host" in types  # gathering itself worked; only TURN refused

    # The same server with fresh credentials does give one: the difference is the expiry.
    fresh = turn_peer(peers, coturn, ttl=600, policy=RTCIceTransportPolicy.ALL)
    fresh.createDataChannel("probe")
    await fresh.setLocalDescription(await fresh.createOffer())
    assert "relay" in candidate_types(fresh.localDescription.sdp)


def test_credentials_expire_at_the_ttl():
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    username, _ = turn_credentials("s", "user-1", -60, now)
    assert int(username.split(":")[0]) == int((now - timedelta(seconds=60)).timestamp())
