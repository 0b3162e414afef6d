"""Client frames: shape and size checks; server frames: their exact JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signaling import protocol
from signaling.protocol import BadFrame, parse

CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "EsAw",
}


def bad(frame: Any) -> BadFrame:
    text = frame if isinstance(frame, str) else json.dumps(frame)
    with pytest.raises(BadFrame) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("frame", "model"),
    [
        ({"type": "join", "token": "abc.def.ghi"}, protocol.Join),
        ({"type": "offer", "to": "peer-1", "sdp": "v=0\r\n"}, protocol.Offer),
        ({"type": "answer", "to": "peer-1", "sdp": "v=0\r\n"}, protocol.Answer),
        ({"type": "candidate", "to": "peer-1", "candidate": CANDIDATE}, protocol.Candidate),
        ({"type": "candidate", "to": "peer-1", "candidate": None}, protocol.Candidate),
        ({"type": "candidate", "to": "p", "candidate": {"candidate": ""}}, protocol.Candidate),
        ({"type": "ping"}, protocol.Ping),
        ({"type": "pong"}, protocol.Pong),
        ({"type": "leave"}, protocol.Leave),
    ],
)
def test_valid_frames(frame: dict[str, Any], model: type) -> None:
    parsed = parse(json.dumps(frame))
    assert isinstance(parsed, model)
    assert parsed.type == frame["type"]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "join"},
        {"type": "join", "token": ""},
        {"type": "join", "token": 123},
        {"type": "join", "token": "t" * (protocol.MAX_TOKEN_CHARS + 1)},
        {"type": "offer", "sdp": "v=0"},
        {"type": "offer", "to": "p"},
        {"type": "offer", "to": "", "sdp": "v=0"},
        {"type": "offer", "to": "p" * 65, "sdp": "v=0"},
        {"type": "offer", "to": 7, "sdp": "v=0"},
        {"type": "offer", "to": "p", "sdp": ""},
        {"type": "answer", "to": "p", "sdp": ["v=0"]},
        {"type": "candidate", "to": "p"},
        {"type": "candidate", "to": "p", "candidate": "candidate:1 1 udp"},
        {"type": "candidate", "to": "p", "candidate": {"sdpMid": "0"}},
        {"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "candidate": "c" * 2049}},
        {"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "sdpMid": "m" * 257}},
        {"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "sdpMLineIndex": -1}},
        {"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "sdpMLineIndex": "0"}},
        {"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "usernameFragment": 1}},
        {"type": "ping", "at": 1},
        {"type": "pong", "extra": True},
        {"type": "leave", "reason": "bye"},
        {"type": "offer", "to": "p", "sdp": "v=0", "from": "spoofed"},
    ],
)
def test_invalid_frames(frame: dict[str, Any]) -> None:
    error = bad(frame)
    assert error.code == "bad_frame"
    assert len(error.message) <= 200


def test_oversized_sdp() -> None:
    assert parse(json.dumps({"type": "offer", "to": "p", "sdp": "a" * protocol.MAX_SDP_CHARS}))
    error = bad({"type": "offer", "to": "p", "sdp": "a" * (protocol.MAX_SDP_CHARS + 1)})
    assert error.code == "bad_frame"
    assert "sdp" in error.message
    assert "aaaa" not in error.message  # the input is never echoed back


@pytest.mark.parametrize("kind", ["hello", "OFFER", "peer-joined", "joined", "", 1, None])
def test_unknown_type(kind: object) -> None:
    assert bad({"type": kind, "to": "p"}).code == "unknown_type"


def test_missing_type() -> None:
    assert bad({"to": "p", "sdp": "v=0"}).code == "bad_frame"


@pytest.mark.parametrize("text", ["{", "not json", "", '{"type": "ping"', "{'type': 'ping'}"])
def test_not_json(text: str) -> None:
    assert bad(text).code == "bad_json"


@pytest.mark.parametrize("text", ["[]", '["ping"]', '"ping"', "1", "null", "true"])
def test_json_that_is_not_an_object(text: str) -> None:
    error = bad(text)
    assert (error.code, error.message) == ("bad_frame", "a frame is a JSON object")


def test_unknown_candidate_members_are_dropped_not_relayed() -> None:
    frame = parse(
        json.dumps({"type": "candidate", "to": "p", "candidate": {**CANDIDATE, "future": 1}})
    )
    assert json.loads(protocol.relay(frame, "me"))["candidate"] == CANDIDATE


def test_frame_limits() -> None:
    assert protocol.MAX_FRAME_BYTES == 64 * 1024
    assert protocol.MAX_SDP_CHARS == 32 * 1024
    codes = [
        protocol.CLOSE_REPLACED,
        protocol.CLOSE_UNAUTHORIZED,
        protocol.CLOSE_FORBIDDEN,
        protocol.CLOSE_TIMEOUT,
        protocol.CLOSE_ROOM_FULL,
        protocol.CLOSE_TOO_LARGE,
        protocol.CLOSE_RATE_LIMITED,
    ]
    assert codes == [4000, 4401, 4403, 4408, 4409, 4413, 4429]


# --- server frames ----------------------------------------------------------------------------


def test_server_frames() -> None:
    peer = {"peer_id": "p1", "role": "exhibitor", "name": "Nguyễn Thị Lan"}
    assert json.loads(protocol.joined("p2", [peer], 15)) == {
        "type": "joined",
        "peer_id": "p2",
        "peers": [peer],
        "ping_interval": 15,
    }
    assert json.loads(protocol.peer_joined(peer)) == {"type": "peer-joined", "peer": peer}
    assert json.loads(protocol.peer_left("p1")) == {"type": "peer-left", "peer_id": "p1"}
    assert json.loads(protocol.error("unknown_peer", "no such peer")) == {
        "type": "error",
        "code": "unknown_peer",
        "message": "no such peer",
    }
    assert json.loads(protocol.PING) == {"type": "ping"}
    assert json.loads(protocol.PONG) == {"type": "pong"}
    assert protocol.peer_joined(peer).isascii()  # names travel as escapes


def test_relay_sets_from_and_drops_to() -> None:
    offer = parse(json.dumps({"type": "offer", "to": "p1", "sdp": "v=0\r\no=- 1 2 IN IP4 0\r\n"}))
    assert json.loads(protocol.relay(offer, "p2")) == {
        "type": "offer",
        "from": "p2",
        "sdp": "v=0\r\no=- 1 2 IN IP4 0\r\n",
    }
    tricky = 'v=0 "quoted" \\ back\u2028slash ü </script>'
    answer = parse(json.dumps({"type": "answer", "to": "p1", "sdp": tricky}))
    relayed = protocol.relay(answer, "p2")
    assert relayed.isascii()
    assert json.loads(relayed) == {"type": "answer", "from": "p2", "sdp": tricky}
    end = parse(json.dumps({"type": "candidate", "to": "p1", "candidate": None}))
    assert json.loads(protocol.relay(end, "p2")) == {
        "type": "candidate",
        "from": "p2",
        "candidate": None,
    }
