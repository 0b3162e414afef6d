"""The relay's fast path for offers and answers (``protocol.plain_sdp``) accepts only what
``parse`` accepts, and what the addressee gets from it is the very SDP that was sent: a
frame built to smuggle a field or a second value past it goes through ``parse`` instead."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from signaling import protocol
from signaling.protocol import BadFrame, parse, plain_sdp, relay_sdp

SDP = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

texts = st.text(max_size=80)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["offer", "answer", "candidate", "bye"]), "to": texts, "sdp": texts},
    optional={"from": texts, "extra": st.integers()},
)


def _parsed(text: str) -> protocol.Frame | None:
    try:
        return parse(text)
    except BadFrame:
        return None


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        frames.map(json.dumps),
        frames.map(lambda f: json.dumps(f, separators=(",", ":"))),
        # As JSON.stringify writes it: characters outside ASCII left as they are.
        frames.map(lambda f: json.dumps(f, separators=(",", ":"), ensure_ascii=False)),
        st.text(max_size=200),
    )
)
@example(json.dumps({"type": "offer", "to": "p1", "sdp": SDP}, separators=(",", ":")))
@example('{"type":"offer","to":"p1","sdp":"a","sdp":"b"}')
@example('{"type":"offer","to":"p1","sdp":"a","to":"p1","sdp":"b"}')
@example('{"type":"offer","to":"p1","sdp":"x\\"","from":"evil"}')
@example('{"type":"answer","to":"p1","sdp":"\\u0000\\ud800"}')
@example('{"type":"offer","to":"p\x01","sdp":"a"}')  # a raw control character: not JSON
@example('{"type":"offer","to":"","sdp":"a"}')
@example('{"type":"offer","to":"p1","sdp":1}')
@example('{"type":"offer","to":"p1","sdp":""}')
@example('{"type":"offer","to":"a\\",\\"x","sdp":"a"}')
@example('{"type":"offer","to":"p1","x":"y","sdp":"a"}')
@example('{"type":"offer","to":"p1","sdp":"a"} ')
@example('{"type":"offer","to":"p1","sdp": "a" }')
def test_the_fast_path_agrees_with_parse(text):
    fast = plain_sdp(text)
    if fast is None:
        return  # parse decides, as for every other frame
    kind, to, sdp_json = fast
    frame = _parsed(text)
    assert frame is not None, "the fast path took a frame parse refuses"
    assert (frame.type, frame.to) == (kind, to)
    delivered = json.loads(relay_sdp(kind, "peer-2", sdp_json))
    assert delivered == {"type": kind, "from": "peer-2", "sdp": frame.sdp}


def test_a_browser_frame_is_relayed_in_its_own_spelling():
    text = json.dumps({"type": "offer", "to": "p1", "sdp": SDP}, separators=(",", ":"))
    kind, to, sdp_json = plain_sdp(text)
    assert (kind, to) == ("offer", "p1")
    assert sdp_json == json.dumps(SDP)
    # A repeated key: JSON's last value wins in the parser; the tail is not reused.
    twice = '{"type":"offer","to":"p1","sdp":"a","sdp":"b"}'
    assert plain_sdp(twice) in (None, ("offer", "p1", '"b"'))
