"""Issue 16, item 11: the connection test's echo peer can no longer be aimed at an address of
the sender's choice, nor held by a few accounts.

An offer naming ``127.0.0.1:<port>`` made the server send STUN requests there; now every
candidate that is not on the requester's own address is taken out before aiortc sees the
offer (meetings/candidates.py), and an offer left with none gets 400. Loopback and private
addresses pass only in development and tests (``FAIR_CONNECTION_TEST_LOCAL_CANDIDATES``),
where the browser shares the server's machine, and only the requester's own or, for a
requester on this machine, this machine's. The rule for public addresses is checked without
a network (``screen_offer``): no test sends anything beyond this machine.

Twenty accounts could take every echo peer for two minutes; now one client address holds
three at most, and once three quarters are taken every peer's hold shrinks to 30 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from helpers import login, make_client, make_user

from fair.config import Settings, load_settings
from fair.resources import of_app
from kakehashi.app import create_app
from meetings.candidates import CandidatePolicy, machine_addresses, relay_addresses, screen_offer
from meetings.echo import CROWDED_LIFETIME_SECONDS, PEER_LIFETIME_SECONDS, EchoPeers, echo_peers

TIMEOUT = 20.0
LOCAL = "127.0.0.1"  # the test's aiortc peers run on this machine
# Neither the requester's nor this machine's: every one must be taken out of the offer.
FOREIGN = [
    "a=candidate:9 1 udp 2130706431 10.123.45.67 3478 typ host",  # private, elsewhere
    "a=candidate:9 1 udp 2130706431 224.0.0.251 5353 typ host",  # multicast
    "a=candidate:9 1 udp 2130706431 fe80::1 3478 typ host",  # link-local
    "a=candidate:9 1 udp 2130706431 0.0.0.0 3478 typ host",  # unspecified
    "a=candidate:9 1 udp 2130706431 240.0.0.1 3478 typ host",  # reserved
    "a=candidate:9 1 udp 2130706431 4b2f0c0e-1d2a.local 3478 typ host",  # resolved where?
    "a=candidate:9 1 tcp 1518214911 10.123.45.68 9 typ host tcptype active",
]


@pytest.fixture
async def peers() -> AsyncIterator[list[RTCPeerConnection]]:
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


async def offer_of(peers: list[RTCPeerConnection]) -> tuple[RTCPeerConnection, Any, str]:
    """A data-channel offer of an aiortc peer on this machine (its own addresses only)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peers.append(pc)
    channel = pc.createDataChannel("probe")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, channel, pc.localDescription.sdp


def with_candidates(sdp: str, lines: list[str], *, own: bool = True) -> str:
    """The offer with ``lines`` added to its (only) media section, its own candidates kept
    or not."""
    kept = [line for line in sdp.split("\r\n") if own or not line.startswith("a=candidate:")]
    while kept and not kept[-1]:
        kept.pop()
    return "\r\n".join([*kept, *lines, ""])


async def post(client: httpx.AsyncClient, sdp: str) -> httpx.Response:
    return await client.post("/api/connection-test", json={"sdp": sdp, "type": "offer"})


@contextlib.asynccontextmanager
async def signed_in(
    app: Any, session: Any, email: str, address: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A new buyer's client, signed in, its requests coming from ``address``."""
    async with make_client(app, address=address) as client:
        await make_user(session, "buyer", email)
        await login(client, email)
        yield client


def error_code(response: httpx.Response) -> str:
    error = response.json()["error"]
    assert error["message"]
    return error["code"]


# ---------- the offer's candidates ----------


async def test_an_offer_naming_another_address_is_refused(client, session, app, peers) -> None:
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")  # from 203.0.113.7
    _, _, sdp = await offer_of(peers)
    # The reported probe: the server's own loopback, a port of the sender's choice.
    aimed = with_candidates(sdp, ["a=candidate:1 1 udp 2130706431 127.0.0.1 6379 typ host"])
    response = await post(client, with_candidates(aimed, [], own=False))
    assert response.status_code == 400, response.text
    assert error_code(response) == "no_usable_candidate"
    # This machine's addresses are not the requester's either.
    response = await post(client, sdp)
    assert response.status_code == 400
    assert error_code(response) == "no_usable_candidate"
    assert len(echo_peers(of_app(app))) == 0  # nothing was started


async def test_foreign_candidates_never_reach_the_echo_peer(session, app, peers) -> None:
    async with signed_in(app, session, "lan@saigon.example", LOCAL) as client:
        pc, channel, sdp = await offer_of(peers)
        opened = asyncio.Event()
        channel.on("open", opened.set)
        response = await post(client, with_candidates(sdp, FOREIGN))
        assert response.status_code == 200, response.text
        await pc.setRemoteDescription(RTCSessionDescription(**response.json()))
        await asyncio.wait_for(opened.wait(), TIMEOUT)  # the real candidates still connect

        # What aiortc was given: the offer's own candidates, none of the foreign ones.
        (peer,) = echo_peers(of_app(app)).running()
        seen = {
            line.split()[4]
            for line in peer.pc.remoteDescription.sdp.splitlines()
            if line.startswith("a=candidate:")
        }
        assert seen and seen <= {str(a) for a in machine_addresses()}
        assert seen.isdisjoint(line.split()[4] for line in FOREIGN)


@pytest.fixture
async def production_app(settings: Any, engine: Any) -> AsyncIterator[Any]:
    """The app as in production: loopback and private candidates never pass."""
    application = create_app(settings.with_overrides(connection_test_local_candidates=False))
    async with application.router.lifespan_context(application):
        yield application


async def test_without_the_development_setting_local_addresses_are_refused(
    session, production_app, peers
) -> None:
    # Behind a proxy that does not pass the client's address on, every request comes from
    # the proxy (here 127.0.0.1): its own loopback must still be out of reach.
    async with signed_in(production_app, session, "lan@saigon.example", LOCAL) as client:
        _, _, sdp = await offer_of(peers)
        for offer in (
            sdp,
            with_candidates(sdp, ["a=candidate:1 1 udp 2130706431 127.0.0.1 6379 typ host"]),
        ):
            response = await post(client, offer)
            assert response.status_code == 400, response.text
            assert error_code(response) == "no_usable_candidate"
    assert len(echo_peers(of_app(production_app))) == 0


OFFER = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n{lines}\r\n"


@pytest.mark.parametrize(
    ("requester", "allow_local", "address", "kept"),
    [
        ("8.8.8.8", False, "8.8.8.8", True),  # a browser's own public address (srflx)
        ("8.8.8.8", False, "8.8.4.4", False),  # a third party's
        ("::ffff:8.8.8.8", False, "8.8.8.8", True),  # the same address, written as IPv6
        ("2606:4700::1111", False, "2606:4700::1111", True),
        ("2606:4700::1111", False, "2606:4700::1112", False),
        ("8.8.8.8", False, "127.0.0.1", False),
        ("8.8.8.8", True, "127.0.0.1", False),  # loopback of a requester elsewhere
        ("8.8.8.8", True, "10.0.0.5", False),
        ("10.0.0.5", False, "10.0.0.5", False),  # private: only with the setting
        ("10.0.0.5", True, "10.0.0.5", True),
        ("10.0.0.5", True, "10.0.0.6", False),
        ("127.0.0.1", False, "127.0.0.1", False),
        ("127.0.0.1", True, "127.0.0.1", True),
        ("127.0.0.1", True, "10.0.0.6", False),  # not one of this machine's addresses
        ("::1", True, "::1", True),
        ("8.8.8.8", True, "::1", False),
        ("224.0.0.251", True, "224.0.0.251", False),  # multicast, even as the requester
        ("unknown", True, "127.0.0.1", False),  # no client address: nothing passes
    ],
)
def test_the_candidate_rule(requester: str, allow_local: bool, address: str, kept: bool) -> None:
    policy = CandidatePolicy.for_request(requester, allow_local=allow_local)
    line = f"a=candidate:1 1 udp 2130706431 {address} 50000 typ srflx raddr 0.0.0.0 rport 0"
    screened, count = screen_offer(OFFER.format(lines=line), policy)
    assert (count, line in screened) == (int(kept), kept)
    assert screened.startswith("v=0\r\nm=application")  # the rest stays as it was


def test_this_machines_addresses_pass_for_a_request_from_this_machine() -> None:
    policy = CandidatePolicy.for_request(LOCAL, allow_local=True)
    lines = [
        f"a=candidate:1 1 udp 1 {a} 50000 typ host" for a in sorted(machine_addresses(), key=str)
    ]
    assert screen_offer(OFFER.format(lines="\r\n".join(lines)), policy)[1] == len(lines)
    # A malformed line or another transport is dropped, never passed on as it was.
    for line in ("a=candidate:1 1 udp 1 127.0.0.1", "a=candidate:1 1 tcp 1 127.0.0.1 9 typ host"):
        assert screen_offer(OFFER.format(lines=line), policy) == (OFFER.format(lines="")[:-2], 0)


async def test_a_relay_candidate_passes_only_on_our_own_turn_servers() -> None:
    """A browser behind a firewall that lets only TURN through offers nothing but relay
    candidates on our TURN server: those must pass (else the test fails exactly for the
    people who need TURN), while a "relay" on any other address is refused like any other."""
    relays = await relay_addresses(("turn:198.51.100.20:3478?transport=udp", "stun:x.example"))
    assert relays == {ipaddress.ip_address("198.51.100.20")}
    policy = CandidatePolicy.for_request("8.8.8.8", allow_local=False, relays=relays)
    ours = "a=candidate:1 1 udp 1 198.51.100.20 50000 typ relay raddr 8.8.8.8 rport 1"
    theirs = "a=candidate:1 1 udp 1 198.51.100.21 50000 typ relay raddr 8.8.8.8 rport 1"
    posing = "a=candidate:1 1 udp 1 198.51.100.20 50000 typ host"
    screened, kept = screen_offer(OFFER.format(lines="\r\n".join([ours, theirs, posing])), policy)
    assert kept == 1 and ours in screened and theirs not in screened and posing not in screened


# ---------- sharing the peers ----------


async def test_a_few_accounts_cannot_hold_every_peer(session, app, peers) -> None:
    of_app(app).replace_part(EchoPeers, EchoPeers(limit=4))
    manager = echo_peers(of_app(app))
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                signed_in(app, session, f"buyer{n}@example.com", address)
            )
            for n, address in enumerate([LOCAL, LOCAL, LOCAL, LOCAL, "::1", "::1"])
        ]

        async def offer(client: httpx.AsyncClient) -> httpx.Response:
            return await post(client, (await offer_of(peers))[2])

        assert (await offer(clients[0])).status_code == 200
        assert (await offer(clients[1])).status_code == 200
        assert [p.hold_seconds for p in manager.running()] == [PEER_LIFETIME_SECONDS] * 2

        # The third place of four: crowded, so every test is cut to the short hold.
        assert (await offer(clients[2])).status_code == 200
        assert {p.hold_seconds for p in manager.running()} == {CROWDED_LIFETIME_SECONDS}

        # A fourth account on the same address waits; someone elsewhere still gets a peer.
        refused = await offer(clients[3])
        assert refused.status_code == 429, refused.text
        assert error_code(refused) == "echo_busy_here"
        assert (await offer(clients[4])).status_code == 200
        full = await offer(clients[5])
        assert full.status_code == 503
        assert error_code(full) == "echo_busy"
        assert len(manager) == 4


def test_local_addresses_are_for_development_and_tests_unless_set() -> None:
    assert Settings(env="development").echo_reaches_local_addresses
    assert Settings(env="test").echo_reaches_local_addresses
    assert not Settings(env="production").echo_reaches_local_addresses
    # An intranet deployment may turn it on knowingly; a test deployment may turn it off.
    settings = load_settings(
        {
            "FAIR_ENV": "production",
            "FAIR_SECRET_KEY": "s" * 40,
            "FAIR_CONNECTION_TEST_LOCAL_CANDIDATES": "1",
        }
    )
    assert settings.echo_reaches_local_addresses
    assert not Settings(
        env="test", connection_test_local_candidates=False
    ).echo_reaches_local_addresses
