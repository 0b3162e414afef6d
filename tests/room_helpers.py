"""A meeting participant for tests that meet through our signaling service with aiortc: a
signed-in HTTP client, its signaling socket and its current RTCPeerConnection (a new one
after every rejoin, as in the browser)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from helpers import PASSWORD

WAIT = 30.0  # the deadline of every wait


class Participant:
    def __init__(self, http: httpx.AsyncClient, meeting_id: str, *, video: bool = True) -> None:
        self.http = http  # replaced when the participant's page moves to another process
        self.meeting_id = meeting_id
        self.video = video  # a 640×480 test track on every connection
        self.grant: dict[str, Any] = {}
        self.socket: Any = None
        self.joined: dict[str, Any] = {}
        self.pc: RTCPeerConnection | None = None
        self.channel: Any = None
        self.messages: asyncio.Queue[str] = asyncio.Queue()
        self.frames: asyncio.Queue[Any] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.old_pcs: list[RTCPeerConnection] = []

    async def sign_in(self, email: str) -> None:
        answer = await self.http.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text

    async def enter(self, ws_url: str | None = None) -> dict[str, Any]:
        """A fresh token from the join API, a new socket (to ``ws_url`` if given, else the
        one the grant names), the join frame; a new connection."""
        grant = await self.http.post(f"/api/meetings/{self.meeting_id}/join")
        assert grant.status_code == 200, grant.text
        self.grant = grant.json()
        url = ws_url or self.grant["ws_url"]
        self.socket = await websockets.connect(url, open_timeout=WAIT)
        await self.send(type="join", token=self.grant["token"])
        self.joined = await self.frame("joined")
        self.new_connection()
        return self.joined

    def new_connection(self) -> None:
        """A new RTCPeerConnection for the peer's new peer id (the browser makes one on
        ``joined``, and on ``peer-joined`` after the old peer id left)."""
        if self.pc is not None:
            self.old_pcs.append(self.pc)  # kept open: it may still carry the call
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no public STUN here
        if self.video:
            self.pc.addTrack(VideoStreamTrack())
        self.frames = asyncio.Queue()

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self.tasks.append(asyncio.ensure_future(self._first_frame(track, self.frames)))

        @self.pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            self._use(channel)

    def _use(self, channel: Any) -> None:
        self.channel = channel
        channel.on("message", self.messages.put_nowait)

    async def _first_frame(self, track: Any, frames: asyncio.Queue[Any]) -> None:
        frames.put_nowait(await track.recv())

    async def send(self, **frame: Any) -> None:
        await self.socket.send(json.dumps(frame))

    async def frame(self, kind: str) -> dict[str, Any]:
        """The next frame of ``kind`` (answering pings, skipping the rest)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
            if frame["type"] == "ping":
                await self.send(type="pong")
            elif frame["type"] == kind:
                return frame

    async def offer_to(self, peer_id: str) -> Any:
        """The newcomer's offer, with the chat channel; returns the channel once open."""
        channel = self.pc.createDataChannel("chat")
        opened = asyncio.Event()
        channel.on("open", opened.set)
        self._use(channel)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send(type="offer", to=peer_id, sdp=self.pc.localDescription.sdp)
        answer = await self.frame("answer")
        assert answer["from"] == peer_id
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        await asyncio.wait_for(opened.wait(), WAIT)
        return channel

    async def answer(self) -> str:
        """Answers the next offer; the offering peer's id."""
        offer = await self.frame("offer")
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send(type="answer", to=offer["from"], sdp=self.pc.localDescription.sdp)
        return offer["from"]

    async def says(self, text: str, to: Participant) -> None:
        self.channel.send(text)
        assert await asyncio.wait_for(to.messages.get(), WAIT) == text

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for pc in [*self.old_pcs, self.pc]:
            if pc is not None:
                await pc.close()
        if self.socket is not None:
            await self.socket.close()


async def meet(host: Participant, guest: Participant, ws_url: str | None = None) -> dict[str, Any]:
    """``host`` enters, then ``guest``; the newcomer (``guest``) offers with the chat channel
    and ``host`` answers. The guest's ``joined`` frame."""
    await host.enter(ws_url)
    joined = await guest.enter(ws_url)
    await host.frame("peer-joined")
    answered = asyncio.ensure_future(host.answer())
    await guest.offer_to(joined["peers"][0]["peer_id"])
    assert await answered == joined["peer_id"]  # the offer came from the guest
    return joined


async def video_both_ways(*sides: Participant) -> None:
    """A decoded frame with the test track's size on each side."""
    for side in sides:
        frame = await asyncio.wait_for(side.frames.get(), WAIT)
        assert (frame.width, frame.height) == (640, 480)
