"""ICE servers and coturn REST-API TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from fair.config import Settings
from signaling.ice import ice_servers, turn_credentials

NOW = datetime(2027, 3, 9, 1, 0, tzinfo=UTC)  # 1804554000 in Unix time
STUN = ("stun:stun.kakehashi.example:3478",)
TURN = (
    "turn:turn.kakehashi.example:3478?transport=udp",
    "turn:turn.kakehashi.example:3478?transport=tcp",
    "turns:turn.kakehashi.example:443?transport=tcp",
)


def test_turn_credentials_follow_coturn_rest_api() -> None:
    assert int(NOW.timestamp()) == 1804554000
    username, password = turn_credentials("s3cret", "user-42", 3600, NOW)
    assert username == "1804557600:user-42"  # expiry = now + ttl, then the user id
    # What coturn computes with static-auth-secret=s3cret: base64(HMAC-SHA1(secret, username)).
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1804557600:user-42", hashlib.sha1).digest()
    ).decode()
    assert password == expected
    assert len(base64.b64decode(password)) == 20  # a SHA-1 digest


def test_turn_credentials_known_value() -> None:
    # Computed independently with: printf %s '1804557600:user-42' |
    #   openssl dgst -sha1 -hmac s3cret -binary | base64
    assert turn_credentials("s3cret", "user-42", 3600, NOW)[1] == "CAZleqaUjyoWOqOAAsJGBG0CTBY="


def test_ice_servers_with_stun_and_turn() -> None:
    settings = Settings(stun_urls=STUN, turn_urls=TURN, turn_secret="s3cret", turn_ttl_seconds=600)
    servers = ice_servers(settings, "user-42", NOW)
    username, credential = turn_credentials("s3cret", "user-42", 600, NOW)
    assert servers == [
        {"urls": list(STUN)},
        {"urls": list(TURN), "username": username, "credential": credential},
    ]
    assert username == "1804554600:user-42"


def test_no_turn_without_a_secret() -> None:
    settings = Settings(stun_urls=STUN, turn_urls=TURN, turn_secret=None)
    assert ice_servers(settings, "user-42", NOW) == [{"urls": list(STUN)}]


def test_nothing_configured_is_an_empty_list() -> None:
    assert ice_servers(Settings(), "user-42", NOW) == []


def test_turn_only() -> None:
    settings = Settings(turn_urls=TURN[:1], turn_secret="s3cret")
    (server,) = ice_servers(settings, "user-42", NOW)
    assert server["urls"] == [TURN[0]]
    assert server["username"].endswith(":user-42")
