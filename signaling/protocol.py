"""The signaling protocol's frames: what a client may send, and the frames the server sends.

JSON text frames, one WebSocket per participant (DESIGN.md, "Signaling protocol"). The server
checks size and shape only; SDP and candidates are relayed as they came.

Close codes:

| code | name                | when                                                            |
| ---- | ------------------- | --------------------------------------------------------------- |
| 1000 | CLOSE_NORMAL        | the client sent ``leave``                                       |
| 1011 | CLOSE_INTERNAL      | a bug in the relay (never for bad input)                        |
| 1013 | CLOSE_TRY_AGAIN     | the relay's shared store (Redis) failed; join again later       |
| 4000 | CLOSE_REPLACED      | replaced by a newer connection of the same participant          |
| 4401 | CLOSE_UNAUTHORIZED  | missing, forged, expired, malformed or reused token; or a first |
|      |                     | frame that is not ``join``                                      |
| 4403 | CLOSE_FORBIDDEN     | outside the meeting's join window, at join or when it ends      |
| 4408 | CLOSE_TIMEOUT       | no join frame within the join timeout; or nothing received for  |
|      |                     | two ping intervals (a dead peer); or a socket that stopped      |
|      |                     | reading; or the membership expired on the shared store          |
| 4409 | CLOSE_ROOM_FULL     | the room already holds its capacity of participants             |
| 4413 | CLOSE_TOO_LARGE     | a frame over MAX_FRAME_BYTES                                    |
| 4429 | CLOSE_RATE_LIMITED  | more frames than the rate limit allows                          |

Error frames (the connection stays open): ``bad_json``, ``bad_frame``, ``unknown_type``,
``unknown_peer``, ``unavailable``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import from_json

MAX_FRAME_BYTES = 64 * 1024
MAX_SDP_CHARS = 32 * 1024
MAX_PEER_ID_CHARS = 64
MAX_TOKEN_CHARS = 4096

CLOSE_NORMAL = 1000
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013
CLOSE_REPLACED = 4000
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TIMEOUT = 4408
CLOSE_ROOM_FULL = 4409
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429

PeerId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PEER_ID_CHARS)]


class _Frame(BaseModel):
    # strict: JSON types must match (no "1" for 1); forbid: a typo in a field name is an error
    # the client hears about instead of a frame that silently loses data.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Join(_Frame):
    type: Literal["join"]
    token: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_CHARS)]


class Offer(_Frame):
    type: Literal["offer"]
    to: PeerId
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class Answer(_Frame):
    type: Literal["answer"]
    to: PeerId
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class IceCandidate(BaseModel):
    """RTCIceCandidateInit. Members a browser may add later are dropped, not refused, so a new
    browser does not break calls; the receiver reads only these four."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    # "" is how some browsers say end-of-candidates for one m-line.
    candidate: Annotated[str, StringConstraints(max_length=2048)]
    sdpMid: Annotated[str, StringConstraints(max_length=256)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=65535)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


class Candidate(_Frame):
    type: Literal["candidate"]
    to: PeerId
    candidate: IceCandidate | None  # null = end of candidates


class Ping(_Frame):
    type: Literal["ping"]


class Pong(_Frame):
    type: Literal["pong"]


class Leave(_Frame):
    type: Literal["leave"]


Frame = Annotated[
    Join | Offer | Answer | Candidate | Ping | Pong | Leave, Field(discriminator="type")
]
Relayed = Offer | Answer | Candidate
_frame = TypeAdapter(Frame)


class BadFrame(Exception):
    """A client frame that cannot be used; ``code`` goes into the error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _describe(error: ValidationError) -> str:
    # Say where and what, never echo the input back (it may be 32 KiB of SDP).
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or "frame"
    return f"{where}: {first['msg']}"[:200]


def parse(text: str | bytes) -> Frame:
    """The frame in ``text``; raises ``BadFrame`` with bad_json, unknown_type or bad_frame."""
    try:
        return _frame.validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        kind, top = first["type"], first["loc"] == ()
        if kind == "json_invalid":
            raise BadFrame("bad_json", "not valid JSON") from None
        if kind == "union_tag_invalid":
            raise BadFrame("unknown_type", "unknown frame type") from None
        if top and kind in {"dict_type", "model_type", "model_attributes_type"}:
            raise BadFrame("bad_frame", "a frame is a JSON object") from None
        if kind == "union_tag_not_found":
            raise BadFrame("bad_frame", "a frame needs a type") from None
        raise BadFrame("bad_frame", _describe(exc)) from None


_SDP_TYPES = frozenset(("offer", "answer"))


# How JSON.stringify({type, to, sdp}) begins, as the room's page sends offers and answers.
_BROWSER_HEADS = (('{"type":"offer","to":"', "offer"), ('{"type":"answer","to":"', "answer"))
_SDP_KEY = '","sdp":'


def plain_sdp(text: str) -> tuple[str, str, str] | None:
    """(type, to, the SDP as JSON) when ``text`` is a well-formed offer or answer, else None.

    The relay's hot path: most frames are offers and answers, and checking the three fields by
    hand costs a fraction of validating them into a model. It accepts only what ``parse``
    accepts (the same JSON parser, the same limits, exactly these three string fields);
    anything else, valid or not, gets None and goes through ``parse``, which alone words the
    errors. The SDP comes back as JSON, ready for ``relay_sdp``: the client's own spelling
    when the frame is laid out as browsers write it (so it need not be encoded again),
    otherwise encoded here.
    """
    for head, kind in _BROWSER_HEADS:
        if text.startswith(head):
            found = _browser_sdp(text, kind, len(head))
            if found is not None:
                return found
            break
    return _parsed_sdp(text)


def _browser_sdp(text: str, kind: str, start: int) -> tuple[str, str, str] | None:
    """The frame exactly as JSON.stringify writes it: the peer id read in place, and only the
    SDP's string parsed (alone: a second key or value after it leaves more than one JSON value
    there, which fails). None for anything else, which the general path then decides."""
    end = text.find(_SDP_KEY, start)
    if end < 0 or not text.endswith("}"):
        return None
    to = text[start:end]
    # Printable and without quote or backslash: a JSON string as it stands, and one that holds
    # no other key (the search above stops at the first '","sdp":').
    if not 0 < len(to) <= MAX_PEER_ID_CHARS or '"' in to or "\\" in to or not to.isprintable():
        return None
    tail = text[end + len(_SDP_KEY) : -1]
    try:
        sdp = from_json(tail, cache_strings=False)
    except ValueError:
        return None
    if type(sdp) is not str or not 0 < len(sdp) <= MAX_SDP_CHARS:
        return None
    return kind, to, tail


def _parsed_sdp(text: str) -> tuple[str, str, str] | None:
    """``plain_sdp`` for any layout: the whole frame parsed, its fields checked by hand."""
    try:
        # The same parser as validate_json; values are not cached (an SDP is never repeated).
        data = from_json(text, cache_strings="keys")
    except ValueError:
        return None
    if type(data) is not dict or len(data) != 3:
        return None
    kind, to, sdp = data.get("type"), data.get("to"), data.get("sdp")
    if (
        kind not in _SDP_TYPES
        or type(to) is not str
        or type(sdp) is not str
        or not 0 < len(to) <= MAX_PEER_ID_CHARS
        or not 0 < len(sdp) <= MAX_SDP_CHARS
    ):
        return None
    # JSON.stringify's layout with a repeated key, say: the tail is taken as the SDP's JSON
    # only when it parses, alone, to the very SDP.
    if '"' not in to and "\\" not in to:
        prefix = f'{{"type":"{kind}","to":"{to}","sdp":'
        if text.startswith(prefix) and text.endswith('"}'):
            tail = text[len(prefix) : -1]
            try:
                if from_json(tail, cache_strings=False) == sdp:
                    return kind, to, tail
            except ValueError:
                pass
    return kind, to, encode_basestring_ascii(sdp)


# --- frames the server sends ------------------------------------------------------------------

PING = '{"type":"ping"}'
PONG = '{"type":"pong"}'


# One encoder for all frames (json.dumps with options builds a new one per call). ASCII output:
# whatever a client managed to put in a string can always be encoded for the receiver's socket.
_dump = json.JSONEncoder(separators=(",", ":")).encode


def joined(peer_id: str, peers: Iterable[Mapping[str, str]], ping_interval: float) -> str:
    return _dump(
        {"type": "joined", "peer_id": peer_id, "peers": list(peers), "ping_interval": ping_interval}
    )


def peer_joined(peer: Mapping[str, str]) -> str:
    return _dump({"type": "peer-joined", "peer": dict(peer)})


def peer_left(peer_id: str) -> str:
    return _dump({"type": "peer-left", "peer_id": peer_id})


def error(code: str, message: str) -> str:
    return _dump({"type": "error", "code": code, "message": message})


def relay(frame: Relayed, sender: str) -> str:
    """The frame as the addressee gets it: ``from`` set by the server, ``to`` dropped."""
    if isinstance(frame, Candidate):
        candidate = (
            None if frame.candidate is None else frame.candidate.model_dump(exclude_unset=True)
        )
        return _dump({"type": "candidate", "from": sender, "candidate": candidate})
    return relay_sdp(frame.type, sender, encode_basestring_ascii(frame.sdp))


def relay_sdp(kind: str, sender: str, sdp_json: str) -> str:
    """An offer or answer as the addressee gets it, from its SDP already in JSON."""
    # The hot path, spelled out: the type is a literal and the sender a server-made id
    # (URL-safe characters); the SDP comes encoded (``plain_sdp``).
    return f'{{"type":"{kind}","from":"{sender}","sdp":{sdp_json}}}'
