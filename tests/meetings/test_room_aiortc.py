"""Two real WebRTC peers (aiortc) meet through our signaling service: each gets its token from
the join API, they negotiate over real WebSockets on 127.0.0.1 (the newcomer offers), send a
data-channel message and video frames both ways, leave, and the room has recorded them."""

from __future__ import annotations

from datetime import timedelta

from helpers import eventually, login, make_client, make_user, read_scalar, serving
from meeting_helpers import booth_with_hours, meeting_at
from room_helpers import Participant, meet, video_both_ways
from sqlalchemy import func, select

from meetings.models import RoomVisit


async def test_two_aiortc_peers_talk_through_our_signaling_and_are_recorded(client, session, app):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=2))
    meeting_id = meeting.id
    async with serving(app) as base, make_client(app) as buyer_client:
        await login(buyer_client, "lan@saigon.example")
        await login(client, "kenji@tsubame.example")
        ws_url = base.replace("http", "ws") + "/ws/signaling"
        exhibitor = Participant(client, meeting_id)
        buyer = Participant(buyer_client, meeting_id)
        try:
            # The newcomer offers, with a data channel; aiortc puts every candidate in the SDP.
            joined = await meet(exhibitor, buyer, ws_url)
            await buyer.says("Could you show the tumbler's lid?", exhibitor)
            # Video both ways: a decoded frame with the test track's size on each side.
            await video_both_ways(exhibitor, buyer)

            await buyer.send(type="leave")
            left = await exhibitor.frame("peer-left")
            assert left["peer_id"] == joined["peer_id"]
        finally:
            for peer in (buyer, exhibitor):
                await peer.close()

        async def both_visits_closed() -> bool:
            closed = await read_scalar(
                session,
                select(func.count())
                .select_from(RoomVisit)
                .where(RoomVisit.meeting_id == meeting_id, RoomVisit.left_at.is_not(None)),
            )
            return closed == 2

        # The exhibitor's leave is recorded after its socket closes.
        await eventually(both_visits_closed, "both visits to be closed")
    sides = (
        await session.scalars(select(RoomVisit.side).where(RoomVisit.meeting_id == meeting_id))
    ).all()
    await session.rollback()
    assert sorted(sides) == ["buyer", "exhibitor"]
