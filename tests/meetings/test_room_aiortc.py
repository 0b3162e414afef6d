"""Two real WebRTC peers (aiortc) meet through our signaling service: each gets its token from
the join API, they negotiate over real WebSockets on 127.0.0.1 (the newcomer offers), send a
data-channel message and video frames both ways, leave, and the room has recorded them."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from helpers import login, make_client, make_user, read_scalar, serving
from meeting_helpers import booth_with_hours, meeting_at
from sqlalchemy import func, select

from meetings.models import RoomVisit

WAIT = 20.0


class Peer:
    """One participant: a signaling socket and an RTCPeerConnection with a test video track."""

    def __init__(self, socket, joined: dict) -> None:
        self.socket = socket
        self.joined = joined
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no public STUN here
        self.pc.addTrack(VideoStreamTrack())
        self.frames: asyncio.Queue = asyncio.Queue()
        self.messages: asyncio.Queue = asyncio.Queue()
        self.readers: list[asyncio.Task] = []

        @self.pc.on("track")
        def on_track(track) -> None:
            self.readers.append(asyncio.ensure_future(self._first_frame(track)))

        @self.pc.on("datachannel")
        def on_channel(channel) -> None:
            channel.on("message", self.messages.put_nowait)

    async def _first_frame(self, track) -> None:
        self.frames.put_nowait(await track.recv())

    async def frame(self, kind: str) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
            if frame["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
            elif frame["type"] == kind:
                return frame

    async def send(self, **frame) -> None:
        await self.socket.send(json.dumps(frame))


async def enter(client, ws_url: str, meeting_id: str) -> Peer:
    grant = (await client.post(f"/api/meetings/{meeting_id}/join")).json()
    socket = await websockets.connect(ws_url)
    await socket.send(json.dumps({"type": "join", "token": grant["token"]}))
    first = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    assert first["type"] == "joined", first
    return Peer(socket, first)


async def test_two_aiortc_peers_talk_through_our_signaling_and_are_recorded(client, session, app):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=2))
    meeting_id = meeting.id
    async with serving(app) as base, make_client(app) as buyer_client:
        await login(buyer_client, "lan@saigon.example")
        await login(client, "kenji@tsubame.example")
        ws_url = base.replace("http", "ws") + "/ws/signaling"
        exhibitor = await enter(client, ws_url, meeting_id)
        buyer = await enter(buyer_client, ws_url, meeting_id)
        try:
            target = buyer.joined["peers"][0]["peer_id"]
            await exhibitor.frame("peer-joined")

            # The newcomer offers, with a data channel; aiortc puts every candidate in the SDP.
            channel = buyer.pc.createDataChannel("chat")
            opened = asyncio.Event()
            channel.on("open", opened.set)
            await buyer.pc.setLocalDescription(await buyer.pc.createOffer())
            await buyer.send(type="offer", to=target, sdp=buyer.pc.localDescription.sdp)

            offer = await exhibitor.frame("offer")
            assert offer["from"] == buyer.joined["peer_id"]
            await exhibitor.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await exhibitor.pc.setLocalDescription(await exhibitor.pc.createAnswer())
            await exhibitor.send(
                type="answer", to=offer["from"], sdp=exhibitor.pc.localDescription.sdp
            )
            answer = await buyer.frame("answer")
            await buyer.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

            await asyncio.wait_for(opened.wait(), WAIT)
            channel.send("Could you show the tumbler's lid?")
            assert await asyncio.wait_for(exhibitor.messages.get(), WAIT) == (
                "Could you show the tumbler's lid?"
            )
            # Video both ways: a decoded frame with the test track's size on each side.
            for peer in (exhibitor, buyer):
                frame = await asyncio.wait_for(peer.frames.get(), WAIT)
                assert (frame.width, frame.height) == (640, 480)

            await buyer.send(type="leave")
            left = await exhibitor.frame("peer-left")
            assert left["peer_id"] == buyer.joined["peer_id"]
        finally:
            for peer in (buyer, exhibitor):
                await peer.pc.close()
                await peer.socket.close()
        for _ in range(100):  # the exhibitor's leave is recorded after its socket closes
            closed = await read_scalar(
                session,
                select(func.count())
                .select_from(RoomVisit)
                .where(RoomVisit.meeting_id == meeting_id, RoomVisit.left_at.is_not(None)),
            )
            if closed == 2:
                break
            await asyncio.sleep(0.05)
    assert closed == 2
    sides = (
        await session.scalars(select(RoomVisit.side).where(RoomVisit.meeting_id == meeting_id))
    ).all()
    await session.rollback()
    assert sorted(sides) == ["buyer", "exhibitor"]
