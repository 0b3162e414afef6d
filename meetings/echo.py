"""The far end of "Test my connection": an aiortc peer per user that echoes what it receives.

Data-channel messages go back on the same channel (the browser times its probes by them) and
received audio and video are sent back, so media makes the whole round trip. Each peer decodes
and re-encodes video, so there are few of them and none lives long.

The peers are shared fairly: one per account, ``MAX_PEERS_PER_ADDRESS`` per client address
(an IPv6 client's /64, what one subscriber gets), ``MAX_PEERS`` in all; and once three
quarters are taken, every peer holds its place ``CROWDED_LIFETIME_SECONDS`` at most instead
of ``PEER_LIFETIME_SECONDS``, so a few accounts cannot keep everyone else out for long.
Which addresses a peer may reach is decided before (meetings.candidates).

aiortc gathers every candidate inside ``setLocalDescription`` and never trickles: the answer
carries all of them. It is given ``iceServers`` explicitly, because its default is a public
STUN server this deployment may not reach.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)

from fair.errors import BadRequest, Conflict, ServiceUnavailable, TooManyRequests
from fair.i18n import lazy
from fair.resources import Resources

log = logging.getLogger(__name__)

MAX_PEERS = 20
MAX_PEERS_PER_ADDRESS = 3  # a family or a small office testing at once
PEER_LIFETIME_SECONDS = 120.0
# The test takes about 15 s (10 s of probes, the connection before them).
CROWDED_LIFETIME_SECONDS = 30.0
# With STUN or TURN configured, gathering waits on those servers; a dead one must not hang
# the request.
GATHER_TIMEOUT_SECONDS = 20.0


class EchoBusy(ServiceUnavailable):
    code = "echo_busy"
    message = lazy(
        "Too many connection tests are running right now. Please try again in a few minutes."
    )


class EchoBusyHere(TooManyRequests):
    code = "echo_busy_here"
    message = lazy(
        "Several connection tests are already running from your network. Please try again "
        "in a minute."
    )


class EchoFailed(ServiceUnavailable):
    code = "echo_failed"
    message = lazy("The test server could not answer. Please try again in a few minutes.")


class EchoReplaced(Conflict):
    code = "echo_replaced"
    message = lazy("A newer connection test from you replaced this one.")


class BadOffer(BadRequest):
    code = "bad_offer"
    message = lazy("The offer is not a WebRTC session description this server can answer.")


def rtc_ice_servers(servers: list[dict[str, Any]]) -> list[RTCIceServer]:
    """RTCIceServer JSON (as given to browsers) as aiortc's configuration objects."""
    return [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in servers
    ]


def network_of(address: str) -> str:
    """Whose address it is, for the per-address cap: an IPv4 address, or an IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def looks_like_sdp(sdp: str) -> bool:
    # aiortc answers "hello" with an empty session; an offer without a media section is no offer.
    lines = sdp.replace("\r\n", "\n").split("\n")
    return lines[0].strip() == "v=0" and any(line.startswith("m=") for line in lines)


class EchoPeer:
    """One browser's test peer; closes itself when its connection ends or its time is up."""

    def __init__(
        self,
        user_id: str,
        ice_servers: list[RTCIceServer],
        on_closed: Callable[[EchoPeer], None],
        network: str = "",
    ) -> None:
        self.user_id = user_id
        self.network = network  # ``network_of`` the requester's address
        self.hold_seconds: float | None = None  # how long it may live, once answered
        self._deadline: float | None = None  # loop time it closes at
        # An empty list means "no STUN/TURN"; None would mean aiortc's public default.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=list(ice_servers)))
        self._on_closed = on_closed
        self._closed = False
        # Set once closed: lets callers (and tests) await the end instead of polling.
        self.done = asyncio.Event()
        self._expiry: asyncio.Task[None] | None = None
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    @property
    def closed(self) -> bool:
        return self._closed

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        def echo(message: str | bytes) -> None:
            if channel.readyState == "open":
                channel.send(message)

        channel.on("message", echo)

    def _on_track(self, track: MediaStreamTrack) -> None:
        # The received track is sent back as it is: one consumer needs no MediaRelay. Added
        # during setRemoteDescription, it turns the offer's transceiver into sendrecv.
        self.pc.addTrack(track)

    async def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close()

    async def answer(self, offer_sdp: str) -> str:
        """The answer SDP, with all local candidates; ``BadOffer`` for what aiortc cannot use."""
        if not looks_like_sdp(offer_sdp):
            raise BadOffer()
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            answer = await self.pc.createAnswer()
        except Exception as exc:
            # aiortc's parser raises assorted errors (ValueError, KeyError, IndexError, its own)
            # for SDP it cannot use; all of them mean the client sent something unusable.
            log.info("echo peer refused an offer: %r", exc)
            raise BadOffer() from None
        try:
            await asyncio.wait_for(
                self.pc.setLocalDescription(answer), timeout=GATHER_TIMEOUT_SECONDS
            )
        except Exception:
            log.exception("echo peer could not gather candidates")
            raise EchoFailed() from None
        return self.pc.localDescription.sdp

    def hold_for(self, seconds: float) -> None:
        """Close in ``seconds`` (from now), whatever was set before."""
        if self._closed:
            return
        if self._expiry is not None:
            self._expiry.cancel()
        self.hold_seconds = seconds
        self._deadline = asyncio.get_running_loop().time() + seconds
        self._expiry = asyncio.create_task(self._expire(seconds), name="echo-peer-expiry")

    def hold_at_most(self, seconds: float) -> None:
        """Close in ``seconds`` unless it closes sooner anyway (a peer still gathering has
        no hold yet: it gets one when answered)."""
        if self._deadline is None or self._closed:
            return
        if self._deadline - asyncio.get_running_loop().time() > seconds:
            self.hold_for(seconds)

    async def _expire(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        expiry = self._expiry
        if expiry is not None and expiry is not asyncio.current_task():
            expiry.cancel()
        self._on_closed(self)
        try:
            await self.pc.close()
        except Exception:
            log.exception("closing an echo peer failed")
        finally:
            self.done.set()


class EchoPeers:
    """The running echo peers: at most one per user, ``per_address`` per client address and
    ``limit`` in all; shorter holds once three quarters are taken."""

    def __init__(
        self,
        limit: int = MAX_PEERS,
        lifetime_seconds: float = PEER_LIFETIME_SECONDS,
        *,
        per_address: int = MAX_PEERS_PER_ADDRESS,
        crowded_lifetime_seconds: float = CROWDED_LIFETIME_SECONDS,
    ) -> None:
        self.limit = limit
        self.lifetime_seconds = lifetime_seconds
        self.per_address = per_address
        self.crowded_lifetime_seconds = crowded_lifetime_seconds
        self.crowded_at = max(1, (limit * 3) // 4)
        self._peers: dict[str, EchoPeer] = {}

    def __len__(self) -> int:
        return len(self._peers)

    def peer_of(self, user_id: str) -> EchoPeer | None:
        return self._peers.get(user_id)

    def running(self) -> list[EchoPeer]:
        return list(self._peers.values())

    def _forget(self, peer: EchoPeer) -> None:
        if self._peers.get(peer.user_id) is peer:
            del self._peers[peer.user_id]

    async def answer(
        self,
        user_id: str,
        offer_sdp: str,
        ice_servers: list[dict[str, Any]],
        *,
        address: str,
    ) -> str:
        """Start a peer for ``user_id`` (closing the one it had) and return its answer SDP.

        Raises ``EchoBusy`` when ``limit`` peers are running, ``EchoBusyHere`` when
        ``per_address`` run for the requester's ``address``, ``BadOffer`` for unusable SDP.
        """
        # No await until the new peer holds its place, so two offers cannot both take the
        # last one.
        previous = self._peers.pop(user_id, None)
        network = network_of(address)
        refusal: Exception | None = None
        if len(self._peers) >= self.limit:
            refusal = EchoBusy()
        elif sum(1 for p in self._peers.values() if p.network == network) >= self.per_address:
            refusal = EchoBusyHere()
        if refusal is not None:
            if previous is not None:
                await previous.close()
            raise refusal
        peer = EchoPeer(user_id, rtc_ice_servers(ice_servers), self._forget, network)
        self._peers[user_id] = peer
        if previous is not None:
            await previous.close()
        try:
            sdp = await peer.answer(offer_sdp)
        except BaseException:
            await peer.close()
            raise
        if peer.closed:
            # A newer offer from the same user replaced this one while it was gathering.
            raise EchoReplaced()
        self._hold(peer)
        return sdp

    def _hold(self, peer: EchoPeer) -> None:
        if len(self._peers) < self.crowded_at:
            peer.hold_for(self.lifetime_seconds)
            return
        # Crowded: everyone's test is done within the short hold; nobody keeps a place longer.
        for other in list(self._peers.values()):
            other.hold_at_most(self.crowded_lifetime_seconds)
        peer.hold_for(self.crowded_lifetime_seconds)

    async def aclose(self) -> None:
        peers = list(self._peers.values())
        self._peers.clear()
        await asyncio.gather(*(peer.close() for peer in peers), return_exceptions=True)


def echo_peers(res: Resources) -> EchoPeers:
    """The app's manager, made on first use; closed with the app's resources at shutdown,
    so no UDP socket or task outlives the app."""
    return res.part(EchoPeers, EchoPeers)
