"""Fault: the app process that carries a meeting's signaling is killed and started again.

Two real WebRTC peers (aiortc) meet through a real `fair serve` with the Redis hub. The process
is SIGKILLed mid-meeting and a new one starts on the same address. What the participants
notice, asserted here:

- the call itself goes on while the app is away (media and chat are peer to peer): a chat
  message passes over the data channel with no app process running;
- both sockets closed at once (the browser's cue to reconnect); each side gets a fresh token
  from the join API of the new process and joins again, as static/js/room.js does;
- the room has no ghost: the connections of the dead process are replaced, the exhibitor is
  told that the buyer's old peer left, and after both rejoin the room holds exactly two;
- the newcomer offers again, the other answers, and chat and video flow on the new connection.

And the same meeting with its two sides on two processes, one of which dies: the survivor's
side keeps its socket, the other fails over to it (test_a_meeting_fails_over_...).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from faults.fault_helpers import WAIT, eventually, fair_env
from helpers import make_user
from meeting_helpers import booth_with_hours, meeting_at
from redis.asyncio import Redis
from room_helpers import Participant, meet, video_both_ways


@pytest.fixture
def settings(settings, private_redis):
    return settings.with_overrides(redis_url=private_redis.url)


async def test_a_meeting_survives_its_app_process_being_killed_and_restarted(
    client, session, settings, private_redis, processes
):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    meeting_id = meeting.id
    env = fair_env(settings, FAIR_REDIS_URL=private_redis.url)
    app_a = await processes.serve(env)
    base = app_a.base_url
    port = int(base.rsplit(":", 1)[1])
    headers = {"Origin": base}
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=WAIT) as kenji_http,
        httpx.AsyncClient(base_url=base, headers=headers, timeout=WAIT) as lan_http,
    ):
        exhibitor = Participant(kenji_http, meeting_id)
        buyer = Participant(lan_http, meeting_id)
        try:
            await exhibitor.sign_in("kenji@tsubame.example")
            await buyer.sign_in("lan@saigon.example")

            # In the meeting: the newcomer (the buyer) offers, chat and video flow.
            joined = await meet(exhibitor, buyer)
            old_exhibitor_peer = joined["peers"][0]["peer_id"]
            old_buyer_peer = joined["peer_id"]
            await buyer.says("Could you show the tumbler's lid?", exhibitor)
            await exhibitor.says("Of course, one moment.", buyer)
            await video_both_ways(exhibitor, buyer)

            await app_a.kill()

            # Both signaling sockets end at once; the call itself goes on without the app.
            for side in (exhibitor, buyer):
                await asyncio.wait_for(side.socket.wait_closed(), WAIT)
            with pytest.raises(httpx.TransportError):
                await kenji_http.post(f"/api/meetings/{meeting_id}/join")
            await buyer.says("Still there? The page says it is reconnecting.", exhibitor)
            await exhibitor.says("Yes, I can see you.", buyer)

            app_b = await processes.serve(env, port=port)  # the restarted process
            assert app_b.running

            # The exhibitor rejoins first: a fresh token, a new peer id. Its old entry is
            # replaced; the buyer's, left by the dead process, is still listed until the
            # buyer rejoins.
            again = await exhibitor.enter()
            assert again["peer_id"] != old_exhibitor_peer
            ghosts = [p["peer_id"] for p in again["peers"]]
            # (Unless this machine took over 30 s to restart: then it was swept as stale.)
            assert ghosts in ([old_buyer_peer], [])
            rejoined = await buyer.enter()
            assert [p["peer_id"] for p in rejoined["peers"]] == [again["peer_id"]]
            if ghosts:
                left = await exhibitor.frame("peer-left")
                assert left["peer_id"] == old_buyer_peer  # the old tile goes away
            arrived = await exhibitor.frame("peer-joined")
            assert arrived["peer"]["peer_id"] == rejoined["peer_id"]
            assert arrived["peer"]["name"] == "Nguyễn Lan"
            redis = Redis.from_url(private_redis.url, decode_responses=True)
            try:
                members = await redis.hkeys(f"kakehashi:signaling:members:{meeting_id}")
            finally:
                await redis.aclose()
            assert sorted(members) == sorted([again["peer_id"], rejoined["peer_id"]])

            # A new negotiation through the new process; chat and video on the new connection.
            answer = asyncio.ensure_future(exhibitor.answer())
            await buyer.offer_to(again["peer_id"])
            assert await answer == rejoined["peer_id"]
            await buyer.says("Back again. Where were we?", exhibitor)
            await exhibitor.says("The lid.", buyer)
            await video_both_ways(exhibitor, buyer)
            await eventually(
                lambda: exhibitor.pc.connectionState == "connected", "the new connection"
            )
        finally:
            for side in (buyer, exhibitor):
                await side.close()


async def test_a_meeting_fails_over_to_another_app_process(
    client, session, settings, private_redis, processes
):
    """Exhibitor on process A, buyer on process B (shared rooms in Redis). A is killed: the
    buyer's signaling stays up, the exhibitor reconnects through B, and the two negotiate
    anew across the failover; the buyer is told the exhibitor's old peer left."""
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    meeting_id = meeting.id
    env = fair_env(settings, FAIR_REDIS_URL=private_redis.url)
    app_a, app_b = await processes.serve(env), await processes.serve(env)
    async with (
        httpx.AsyncClient(
            base_url=app_a.base_url, headers={"Origin": app_a.base_url}, timeout=WAIT
        ) as kenji_on_a,
        httpx.AsyncClient(
            base_url=app_b.base_url, headers={"Origin": app_b.base_url}, timeout=WAIT
        ) as kenji_on_b,
        httpx.AsyncClient(
            base_url=app_b.base_url, headers={"Origin": app_b.base_url}, timeout=WAIT
        ) as lan_on_b,
    ):
        exhibitor = Participant(kenji_on_a, meeting_id)
        buyer = Participant(lan_on_b, meeting_id)
        try:
            await exhibitor.sign_in("kenji@tsubame.example")
            await buyer.sign_in("lan@saigon.example")
            joined = await meet(exhibitor, buyer)
            old_exhibitor_peer = joined["peers"][0]["peer_id"]
            await buyer.says("Hello from Hồ Chí Minh City.", exhibitor)

            await app_a.kill()
            await asyncio.wait_for(exhibitor.socket.wait_closed(), WAIT)
            await buyer.says("Your connection dropped?", exhibitor)  # the call goes on
            await exhibitor.says("Only the page's; I still see you.", buyer)

            # The exhibitor's page reconnects through the surviving process (same session).
            exhibitor.http = kenji_on_b
            kenji_on_b.cookies.update(kenji_on_a.cookies)
            again = await exhibitor.enter()
            assert [p["peer_id"] for p in again["peers"]] == [joined["peer_id"]]
            left = await buyer.frame("peer-left")
            assert left["peer_id"] == old_exhibitor_peer
            arrived = await buyer.frame("peer-joined")
            assert arrived["peer"]["peer_id"] == again["peer_id"]
            buyer.new_connection()

            # This time the exhibitor is the newcomer: it offers, the buyer answers.
            answer = asyncio.ensure_future(buyer.answer())
            await exhibitor.offer_to(joined["peer_id"])
            assert await answer == again["peer_id"]
            await exhibitor.says("Back. Shall I show the lid?", buyer)
            await buyer.says("Yes please.", exhibitor)
            await video_both_ways(exhibitor, buyer)
        finally:
            for side in (buyer, exhibitor):
                await side.close()
