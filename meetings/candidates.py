"""Which ICE candidates of a connection-test offer the echo peer may try.

The echo peer sends STUN connectivity checks to every candidate in the offer it answers, so
an unchecked offer makes the server send UDP wherever its sender names: ``127.0.0.1:6379``,
a host on the server's own network, or a third party's address. Before aiortc sees an
offer, every candidate that is not on the requester's own address is taken out of it.

The rule, for each ``a=candidate`` line:

- the address must be an IP literal: an mDNS name (``….local``) or any other host name
  would be resolved on the server's network;
- the transport must be UDP (the only one aiortc's ICE checks);
- multicast, unspecified, link-local and reserved addresses never pass;
- a public address passes when it is the requester's own (the client address the app sees:
  ``request.client.host``, which uvicorn takes from ``X-Forwarded-For`` when the proxy is
  trusted, see docs/running-at-scale.md); a browser's server-reflexive candidate is that;
- a loopback or private address passes only when ``allow_local`` is on (development and
  tests: ``FAIR_CONNECTION_TEST_LOCAL_CANDIDATES``) and it is the requester's own, or the
  requester is this machine (a browser on the developer's machine offers the machine's own
  addresses, while its request comes from 127.0.0.1) and the address is one of this
  machine's. In production it is off: behind a proxy that does not pass the client's address
  on, every request would come from a private address, and the rule would let anyone aim the
  echo peer at this machine's ports.

- a relay candidate (``typ relay``) passes when its address is one of our own TURN servers'
  (the hosts of ``FAIR_TURN_URLS``, resolved): a browser behind a firewall that lets only
  TURN through offers nothing else, and checks sent there reach our relay, which forwards
  them only to the allocation's owner, the requester, who holds our short-lived credential.

Candidates learned later from incoming checks (peer-reflexive) come from aioice itself; the
offer is the only list a client can write.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from aioice.ice import get_host_addresses

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CANDIDATE_PREFIX = "a=candidate:"


def parse_address(text: str) -> IPAddress | None:
    """The IP address ``text`` names (IPv4-mapped IPv6 as IPv4), else None."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _never(address: IPAddress) -> bool:
    if address.is_loopback:
        return False  # ::1 lies in the reserved ::/8; loopback has its own rule
    return (
        address.is_multicast
        or address.is_unspecified
        or address.is_link_local
        or address.is_reserved
    )


def _is_local(address: IPAddress) -> bool:
    """Loopback, private, shared (carrier NAT) and documentation ranges: not the internet."""
    return not address.is_global


@cache
def machine_addresses() -> frozenset[IPAddress]:
    """This machine's own addresses, loopback included: those aioice gathers the echo peer's
    own candidates from (read once)."""
    texts = ["127.0.0.1", "::1", *get_host_addresses(use_ipv4=True, use_ipv6=True)]
    return frozenset(a for a in map(parse_address, texts) if a is not None)


def turn_host(url: str) -> str | None:
    """The host of a ``turn:``/``turns:`` URL (RFC 7065: ``turn:host[:port][?transport=…]``)."""
    scheme, _, rest = url.partition(":")
    if scheme not in {"turn", "turns"} or not rest:
        return None
    return urlsplit(f"//{rest}").hostname


_RELAYS: dict[str, frozenset[IPAddress]] = {}
RESOLVE_SECONDS = 2.0


async def relay_addresses(urls: Iterable[str]) -> frozenset[IPAddress]:
    """The addresses our TURN servers' hosts resolve to (looked up once per host and kept:
    the relay's address does not move while the app runs)."""
    found: set[IPAddress] = set()
    loop = asyncio.get_running_loop()
    for host in filter(None, map(turn_host, urls)):
        if host not in _RELAYS:
            try:
                async with asyncio.timeout(RESOLVE_SECONDS):
                    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
            except (OSError, TimeoutError):
                continue  # not resolvable now: no relay candidate there; asked again next time
            addresses = frozenset(a for a in (parse_address(i[4][0]) for i in infos) if a)
            if not addresses:
                continue
            _RELAYS[host] = addresses
        found.update(_RELAYS[host])
    return frozenset(found)


@dataclass(frozen=True)
class CandidatePolicy:
    """Whose addresses an offer from ``requester`` may name."""

    requester: IPAddress | None
    allow_local: bool
    machine: frozenset[IPAddress] = frozenset()
    # Our own TURN servers' addresses, where a relay candidate may be.
    relays: frozenset[IPAddress] = frozenset()

    @classmethod
    def for_request(
        cls, requester: str, *, allow_local: bool, relays: frozenset[IPAddress] = frozenset()
    ) -> CandidatePolicy:
        return cls(
            requester=parse_address(requester),
            allow_local=allow_local,
            machine=machine_addresses() if allow_local else frozenset(),
            relays=relays,
        )

    def allows(self, address: IPAddress, kind: str = "host") -> bool:
        if self.requester is None or _never(address):
            return False
        if kind == "relay" and address in self.relays:
            return True
        if not _is_local(address):
            return address == self.requester
        if not self.allow_local:
            return False
        if address == self.requester:
            return True
        on_this_machine = self.requester.is_loopback or self.requester in self.machine
        return on_this_machine and (address.is_loopback or address in self.machine)


def _candidate_address(line: str) -> tuple[str, str, str] | None:
    """(transport, address, type) of an ``a=candidate:`` line, None when it is malformed.

    ``a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>``
    """
    fields = line[len(CANDIDATE_PREFIX) :].split()
    if len(fields) < 8 or fields[6] != "typ":
        return None
    return fields[2].lower(), fields[4], fields[7].lower()


def screen_offer(sdp: str, policy: CandidatePolicy) -> tuple[str, int]:
    """The offer without the candidates ``policy`` refuses, and how many it kept."""
    newline = "\r\n" if "\r\n" in sdp else "\n"
    kept_lines: list[str] = []
    kept = 0
    for line in sdp.split(newline):
        if line.startswith(CANDIDATE_PREFIX):
            parsed = _candidate_address(line)
            address = parse_address(parsed[1]) if parsed and parsed[0] == "udp" else None
            if address is None or not policy.allows(address, parsed[2] if parsed else "host"):
                continue
            kept += 1
        kept_lines.append(line)
    return newline.join(kept_lines), kept
