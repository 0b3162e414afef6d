"""Whose X-Forwarded-For the relay's own server believes: uvicorn's rule (FORWARDED_ALLOW_IPS),
so a request has the same client address whether the relay runs under uvicorn or alone."""

from __future__ import annotations

import pytest

from signaling.standalone import TrustedProxies


@pytest.mark.parametrize(
    ("spec", "peer", "forwarded", "client"),
    [
        # The default trusts this machine (a proxy beside the relay).
        ("127.0.0.1,::1", "127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1,::1", "::1", ["203.0.113.7:5123"], "203.0.113.7"),
        # Anyone else's header is ignored.
        ("127.0.0.1,::1", "198.51.100.2", ["127.0.0.1"], "198.51.100.2"),
        ("10.0.0.1", "127.0.0.1", ["203.0.113.7"], "127.0.0.1"),
        # No header: the peer itself.
        ("127.0.0.1", "127.0.0.1", [], "127.0.0.1"),
        # Through two proxies: the nearest address that is not a trusted proxy.
        (
            "127.0.0.1,10.0.0.0/8",
            "127.0.0.1",
            ["198.51.100.9, 203.0.113.7, 10.1.2.3"],
            "203.0.113.7",
        ),
        ("127.0.0.1,10.0.0.0/8", "127.0.0.1", ["203.0.113.7", "10.1.2.3"], "203.0.113.7"),
        # Every hop trusted: the first one.
        ("127.0.0.1,10.0.0.0/8", "127.0.0.1", ["10.9.9.9, 10.1.2.3"], "10.9.9.9"),
        # "*": any peer is a proxy, and the first address is the client's.
        ("*", "198.51.100.2", ["203.0.113.7, 10.1.2.3"], "203.0.113.7"),
        ("*", "198.51.100.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        # An empty header changes nothing.
        ("127.0.0.1", "127.0.0.1", [""], "127.0.0.1"),
    ],
)
def test_the_client_address(spec: str, peer: str, forwarded: list[str], client: str) -> None:
    assert TrustedProxies(spec).client(peer, forwarded) == client


def test_names_that_are_not_addresses_are_trusted_as_written() -> None:
    proxies = TrustedProxies("unix:/run/proxy.sock, 127.0.0.1")
    assert proxies.trusts("unix:/run/proxy.sock")
    assert proxies.trusts("127.0.0.1")
    assert not proxies.trusts("127.0.0.2")
    assert not proxies.trusts(None)
