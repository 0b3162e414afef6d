"""The video room from the meeting's side: who may join and when, the token and ICE servers
they get, the visits a real signaling connection records, held or no-show, disputes and
settlements, and the chat kept with the meeting."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import websockets
from helpers import login, make_client, make_user, read_scalar, serving
from meeting_helpers import booth_with_hours, meeting_at
from sqlalchemy import func, select

from fair import clock
from fair.resources import of_app
from meetings.models import Meeting, MeetingStatus, RoomVisit
from signaling.tokens import verify

WAIT = 10


@pytest.fixture
async def parties(client, session, app):
    """A booth (exhibitor kenji), a buyer (lan) and a second client signed in as the buyer."""
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
    async with make_client(app) as buyer_client:
        await login(buyer_client, "lan@saigon.example")
        await login(client, "kenji@tsubame.example")
        yield booth, lan, buyer_client


async def test_participants_get_a_token_for_their_meeting_inside_the_window_only(
    client, session, app, parties
):
    booth, lan, buyer_client = parties
    soon = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=5))
    later = await meeting_at(session, booth["id"], lan.id, timedelta(hours=3))
    over = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=-60))

    answer = await buyer_client.post(f"/api/meetings/{soon.id}/join")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ws_url"].endswith("/ws/signaling") and body["peer_role"] == "buyer"
    assert answer.headers["cache-control"] == "no-store"
    grant = verify(of_app(app).settings.secret_key, body["token"])
    assert (grant.user_id, grant.meeting_id, grant.role) == (lan.id, soon.id, "buyer")
    assert grant.until == soon.ends_at + timedelta(minutes=15)
    assert body["ice_servers"] == []  # no STUN or TURN configured in tests
    exhibitor = await client.post(f"/api/meetings/{soon.id}/join")
    assert exhibitor.json()["peer_role"] == "exhibitor"

    early = await buyer_client.post(f"/api/meetings/{later.id}/join")
    assert early.status_code == 403 and early.json()["error"]["code"] == "outside_join_window"
    assert "10 minutes before" in early.json()["error"]["message"]
    late = await buyer_client.post(f"/api/meetings/{over.id}/join")
    assert late.status_code == 403 and "over" in late.json()["error"]["message"]

    await make_user(session, "buyer", "wang@hengtai.example")
    await login(client, "wang@hengtai.example")
    assert (await client.post(f"/api/meetings/{soon.id}/join")).status_code == 404
    assert (await client.post("/api/meetings/nope/join")).status_code == 404
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    assert (await client.post(f"/api/meetings/{soon.id}/join")).status_code == 403
    anonymous = make_client(app)
    async with anonymous:
        assert (await anonymous.post(f"/api/meetings/{soon.id}/join")).status_code == 401


async def test_a_cancelled_or_requested_meeting_has_no_room(client, session, parties):
    booth, lan, buyer_client = parties
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=5))
    meeting.status = MeetingStatus.REQUESTED
    await session.commit()
    refused = await buyer_client.post(f"/api/meetings/{meeting.id}/join")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wrong_state"


async def test_turn_credentials_come_with_the_join(client, session, app, parties):
    booth, lan, buyer_client = parties
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=1))
    of_app(app).settings = of_app(app).settings.with_overrides(
        stun_urls=("stun:turn.example:3478",),
        turn_urls=("turn:turn.example:3478?transport=udp", "turns:turn.example:443?transport=tcp"),
        turn_secret="turn-secret",
    )
    servers = (await buyer_client.post(f"/api/meetings/{meeting.id}/join")).json()["ice_servers"]
    assert servers[0] == {"urls": ["stun:turn.example:3478"]}
    turn = servers[1]
    assert turn["urls"][1] == "turns:turn.example:443?transport=tcp"
    expiry, user = turn["username"].split(":")
    assert user == lan.id
    # Valid for FAIR_TURN_TTL_SECONDS (an hour), signed the coturn REST way.
    assert abs(int(expiry) - (clock.now().timestamp() + 3600)) < 60
    digest = hmac.new(b"turn-secret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()


async def _join(ws_url: str, token: str):
    socket = await websockets.connect(ws_url)
    await socket.send(json.dumps({"type": "join", "token": token}))
    joined = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    assert joined["type"] == "joined", joined
    return socket, joined


async def _next(socket, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        if frame["type"] == kind:
            return frame


async def test_a_real_call_records_each_visit_and_the_room_stays_private(
    client, session, app, parties
):
    booth, lan, buyer_client = parties
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=2))
    meeting_id, lan_id = meeting.id, lan.id  # the reads below end transactions (expiring both)
    async with serving(app) as base:
        ws_url = base.replace("http", "ws") + "/ws/signaling"
        kenji = (await client.post(f"/api/meetings/{meeting_id}/join")).json()
        buyer = (await buyer_client.post(f"/api/meetings/{meeting_id}/join")).json()
        exhibitor_socket, _ = await _join(ws_url, kenji["token"])
        buyer_socket, joined = await _join(ws_url, buyer["token"])
        assert [p["role"] for p in joined["peers"]] == ["exhibitor"]
        assert joined["peers"][0]["name"] == "Test Person"
        arrived = await _next(exhibitor_socket, "peer-joined")
        assert arrived["peer"] == {
            "peer_id": joined["peer_id"],
            "role": "buyer",
            "name": "Nguyễn Lan",
        }
        # The newcomer offers; the server says who it is from.
        await buyer_socket.send(
            json.dumps({"type": "offer", "to": joined["peers"][0]["peer_id"], "sdp": "v=0"})
        )
        offer = await _next(exhibitor_socket, "offer")
        assert offer["from"] == joined["peer_id"]
        # A spent token does not open the door a second time.
        again = await websockets.connect(ws_url)
        await again.send(json.dumps({"type": "join", "token": buyer["token"]}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(again.recv(), WAIT)
        assert closed.value.rcvd.code == 4401
        await buyer_socket.send(json.dumps({"type": "leave"}))
        await _next(exhibitor_socket, "peer-left")
        await exhibitor_socket.close()
        # The leave of the exhibitor is recorded after its socket closes; wait for the row.
        for _ in range(100):
            open_visits = await read_scalar(
                session,
                select(func.count())
                .select_from(RoomVisit)
                .where(RoomVisit.meeting_id == meeting_id, RoomVisit.left_at.is_(None)),
            )
            if open_visits == 0:
                break
            await asyncio.sleep(0.05)
    rows = (
        await session.execute(
            select(RoomVisit.side, RoomVisit.user_id, RoomVisit.left_at).where(
                RoomVisit.meeting_id == meeting_id
            )
        )
    ).all()
    await session.rollback()
    assert sorted((side, user_id == lan_id) for side, user_id, _ in rows) == [
        ("buyer", True),
        ("exhibitor", False),
    ]
    assert all(left is not None for *_, left in rows)
    # Together for a moment, far less than five minutes: not held yet, not decided yet.
    assert (
        await read_scalar(session, select(Meeting.attendance).where(Meeting.id == meeting_id))
        is None
    )


async def test_chat_is_kept_with_the_meeting_for_both_sides(client, session, parties):
    booth, lan, buyer_client = parties
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    later = await meeting_at(session, booth["id"], lan.id, timedelta(days=1))
    url = f"/api/meetings/{meeting.id}/chat"
    line = "Could you show the 500 ml tumbler again? <b>bold</b>"
    posted = await buyer_client.post(url, json={"body": f"  {line} "})
    assert posted.status_code == 201
    assert posted.json()["body"] == line and posted.json()["side"] == "buyer"
    await client.post(url, json={"body": "Of course."})
    history = (await client.get(url)).json()["messages"]
    assert [(m["side"], m["body"]) for m in history] == [
        ("buyer", line),
        ("exhibitor", "Of course."),
    ]
    assert history[0]["author_name"] == "Nguyễn Lan"
    assert (await buyer_client.get(url)).json()["messages"] == history

    assert (await buyer_client.post(url, json={"body": "x" * 2001})).status_code == 422
    assert (await buyer_client.post(url, json={"body": ""})).status_code == 422
    assert (await buyer_client.post(url, json={"body": "   "})).status_code == 422
    assert (await buyer_client.post(url, json={"body": 5})).status_code == 422
    closed = await buyer_client.post(f"/api/meetings/{later.id}/chat", json={"body": "hi"})
    assert closed.status_code == 403
    await make_user(session, "buyer", "wang@hengtai.example")
    await login(client, "wang@hengtai.example")
    assert (await client.get(url)).status_code == 404
    assert (await client.post(url, json={"body": "hello"})).status_code == 404
    assert len((await buyer_client.get(url)).json()["messages"]) == 2
