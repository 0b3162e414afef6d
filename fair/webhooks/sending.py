"""One HTTP attempt of a delivery: a POST to the checked address, a bounded answer, no
redirects followed, no proxy from the environment (it would connect where it likes)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlunsplit

import httpx

from fair.webhooks.addresses import UnsafeUrl, resolve

TIMEOUT_SECONDS = 10.0
# Only the start of an answer is read: enough to show the receiver's error, not more.
MAX_ANSWER_BYTES = 4096
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Attempt:
    """What one attempt got: the status code when an answer came, else why not."""

    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _short(text: str) -> str:
    return " ".join(text.split())[:MAX_ERROR_CHARS]


async def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    wait_seconds: float = TIMEOUT_SECONDS,
) -> Attempt:
    """POST ``body`` to ``url``; a refused URL, an error or a non-2xx answer is a failed
    attempt, never an exception."""
    try:
        target = await resolve(url, allow_private=allow_private)
    except UnsafeUrl as exc:
        return Attempt(None, _short(str(exc)))
    parts = target.url
    host = f"[{target.address}]" if ":" in target.address else target.address
    # The connection goes to the address checked; the Host header and TLS (SNI and the
    # certificate's name) keep the name the organizer registered.
    pinned = urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))
    sent_headers = {**headers, "host": parts.netloc}
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    try:
        async with (
            httpx.AsyncClient(
                timeout=wait_seconds, follow_redirects=False, trust_env=False
            ) as client,
            client.stream(
                "POST", pinned, content=body, headers=sent_headers, extensions=extensions
            ) as response,
        ):
            answer = b""
            async for chunk in response.aiter_bytes():
                answer += chunk
                if len(answer) >= MAX_ANSWER_BYTES:
                    break
    except httpx.TimeoutException:
        return Attempt(None, f"timed out after {wait_seconds:g} s")
    except httpx.HTTPError as exc:
        return Attempt(None, _short(f"{type(exc).__name__}: {exc}"))
    attempt = Attempt(response.status_code, None)
    if attempt.succeeded:
        return attempt
    text = answer[:MAX_ANSWER_BYTES].decode("utf-8", "replace")
    return Attempt(response.status_code, _short(f"HTTP {response.status_code} {text}"))
