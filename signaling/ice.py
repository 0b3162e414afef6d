"""ICE servers for a participant, in RTCIceServer JSON shape, with short-lived TURN credentials.

TURN credentials follow coturn's REST API scheme (``use-auth-secret`` / ``static-auth-secret``):
the username is ``"<expiry unix time>:<user id>"`` and the password is
base64(HMAC-SHA1(secret, username)), so coturn checks them without asking us, and they stop
working at the expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any


def turn_credentials(
    secret: str, user_id: str, ttl: int, now: datetime | None = None
) -> tuple[str, str]:
    """(username, password) valid for ``ttl`` seconds from ``now``."""
    # coturn checks the expiry against its own (real) clock.
    moment = now if now is not None else datetime.now(UTC)  # clock-ok: coturn's time
    expiry = int(moment.timestamp()) + int(ttl)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(settings: Any, user_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """``iceServers`` for RTCPeerConnection: the STUN urls, and the TURN urls with credentials
    (left out when no TURN secret is configured: TURN without credentials is useless)."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        username, credential = turn_credentials(
            settings.turn_secret, user_id, settings.turn_ttl_seconds, now
        )
        servers.append(
            {"urls": list(settings.turn_urls), "username": username, "credential": credential}
        )
    return servers
