"""Where a webhook may go: http(s) URLs without credentials in them, to hosts whose every
address is public. Checked when an endpoint is registered and again, after resolving the
name, before each delivery, whose connection then goes to the address checked (a name that
resolves to something else the second time, DNS rebinding, reaches nothing inside)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from fair.i18n import lazy

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """A URL we do not deliver to; ``str(exc)`` is an English msgid (``fair.i18n.lazy``)."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address its connection goes to."""

    url: SplitResult
    address: str
    port: int


def parse_url(url: str) -> SplitResult:
    """The URL's parts, or UnsafeUrl when it is no http(s) URL we deliver to."""
    if len(url) > MAX_URL_LENGTH or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise UnsafeUrl(lazy("Enter a web address (http:// or https://) without spaces."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl(lazy("Enter a web address (http:// or https://).")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(lazy("Enter a web address (http:// or https://)."))
    if "@" in parts.netloc:
        raise UnsafeUrl(lazy("The address may not contain a user name or password."))
    if port == 0:
        raise UnsafeUrl(lazy("Enter a web address (http:// or https://)."))
    return parts


def is_public(address: IPAddress) -> bool:
    """False for loopback, link-local, private, multicast, unspecified and reserved
    addresses (and the shared, documentation and other special ranges ``is_global`` knows);
    an IPv4 address inside IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeUrl(lazy("The address's host name could not be found.")) from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeUrl(lazy("The address's host name could not be found."))
    return found


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and its host's addresses; the target to connect to. Every address the
    name has must be public (unless ``allow_private``), not only the first."""
    parts = parse_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _addresses(parts.hostname or "", port)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeUrl(
            lazy("Webhooks are not sent to local, private or reserved network addresses.")
        )
    return Target(url=parts, address=str(addresses[0]), port=port)
