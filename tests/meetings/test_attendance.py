"""Attendance: the pure rules (time together, held or who did not come), the decision job at
the end of the grace period, disputes by either side and an organizer's settlement."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from helpers import login, make_client, make_user, read_scalar
from hypothesis import given
from hypothesis import strategies as st
from meeting_helpers import booth_with_hours, meeting_at
from sqlalchemy import select

from fair.accounts.models import User
from fair.outbox import OutboxJob
from fair.resources import job_context, of_app, open_resources
from kakehashi import jobs
from meetings import video_room
from meetings.attendance import Visit, together, verdict
from meetings.models import Attendance, Meeting

T0 = datetime(2027, 6, 14, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
FIVE = timedelta(minutes=5)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_time_together_counts_only_the_overlap_and_each_side_once():
    visits = [
        Visit("exhibitor", at(0), at(20)),
        Visit("exhibitor", at(5), at(25)),  # a second tab: not twice the time
        Visit("buyer", at(10), at(12)),
        Visit("buyer", at(15), None),  # still connected
        Visit("interpreter", at(0), at(30)),  # interpreters alone make nothing held
    ]
    assert together(visits, now=at(30)) == timedelta(minutes=2 + 10)


def test_verdicts_by_hand():
    held = [Visit("exhibitor", at(0), at(30)), Visit("buyer", at(3), at(8))]
    assert verdict(held, now=at(45), held_after=FIVE, final=False) == Attendance.HELD
    short = [Visit("exhibitor", at(0), at(30)), Visit("buyer", at(3), at(7))]
    assert verdict(short, now=at(20), held_after=FIVE, final=False) is None
    assert verdict(short, now=at(45), held_after=FIVE, final=True) == Attendance.TOO_SHORT
    alone = [Visit("exhibitor", at(0), at(30)), Visit("interpreter", at(0), at(30))]
    assert verdict(alone, now=at(45), held_after=FIVE, final=True) == Attendance.NO_SHOW_BUYER
    buyer_only = [Visit("buyer", at(0), at(30))]
    assert (
        verdict(buyer_only, now=at(45), held_after=FIVE, final=True) == Attendance.NO_SHOW_EXHIBITOR
    )
    assert verdict([], now=at(45), held_after=FIVE, final=True) == Attendance.NO_SHOW_BOTH
    # Apart, one after the other: never together, so never held, whatever the threshold.
    apart = [Visit("exhibitor", at(0), at(10)), Visit("buyer", at(10), at(20))]
    assert verdict(apart, now=at(45), held_after=timedelta(0), final=True) == "too_short"


visits_strategy = st.lists(
    st.builds(
        lambda side, start, length, open_: Visit(
            side, at(start), None if open_ else at(start + length)
        ),
        st.sampled_from(["exhibitor", "buyer", "interpreter"]),
        st.integers(min_value=0, max_value=60),
        st.integers(min_value=0, max_value=60),
        st.booleans(),
    ),
    max_size=8,
)


@given(visits_strategy)
def test_together_is_bounded_by_each_sides_own_time(visits):
    now = at(90)
    spent = together(visits, now)

    def alone(side: str) -> timedelta:
        minutes = set()
        for v in visits:
            if v.side == side:
                end = v.left_at or now
                minutes.update(
                    range(
                        int((v.joined_at - T0).total_seconds() // 60),
                        int((end - T0).total_seconds() // 60),
                    )
                )
        return timedelta(minutes=len(minutes))

    assert timedelta(0) <= spent <= min(alone("exhibitor"), alone("buyer"))
    # Order of the rows never matters.
    assert together(list(reversed(visits)), now) == spent


@given(visits_strategy)
def test_a_final_verdict_always_exists_and_held_means_together_long_enough(visits):
    result = verdict(visits, now=at(90), held_after=FIVE, final=True)
    assert result in set(Attendance)
    assert (result == Attendance.HELD) == (together(visits, at(90)) >= FIVE)


# --- through the database ---------------------------------------------------------------------


async def _setup(client, session, app, starts_in: timedelta):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    meeting = await meeting_at(session, booth["id"], lan.id, starts_in)
    found = meeting.id, meeting.starts_at, lan.id  # before read_scalar expires them
    kenji = await read_scalar(session, select(User.id).where(User.email == "kenji@tsubame.example"))
    return (*found, kenji)


async def _visit(app, meeting_id, user_id, side, peer_id, joined, left=None):
    settings = of_app(app).settings
    async with of_app(app).sessionmaker() as s, s.begin():
        await video_room.record_join(
            s, meeting_id=meeting_id, user_id=user_id, side=side, peer_id=peer_id, at=joined
        )
    if left is not None:
        async with of_app(app).sessionmaker() as s, s.begin():
            await video_room.record_leave(
                s, meeting_id=meeting_id, peer_id=peer_id, at=left, settings=settings
            )


async def _attendance(session, meeting_id):
    return await read_scalar(session, select(Meeting.attendance).where(Meeting.id == meeting_id))


async def test_held_as_soon_as_both_were_there_five_minutes(client, session, app):
    meeting_id, start, lan, kenji = await _setup(client, session, app, timedelta(minutes=-10))
    minute = timedelta(minutes=1)
    await _visit(app, meeting_id, kenji, "exhibitor", "p1", start)
    await _visit(app, meeting_id, lan, "buyer", "p2", start + minute, start + 5 * minute)
    assert await _attendance(session, meeting_id) is None  # four minutes together
    await _visit(app, meeting_id, lan, "buyer", "p3", start + 6 * minute, start + 8 * minute)
    assert await _attendance(session, meeting_id) == "held"  # six, across a reconnect
    seconds = await read_scalar(
        session, select(Meeting.together_seconds).where(Meeting.id == meeting_id)
    )
    assert seconds == 6 * 60


async def test_the_decision_job_names_who_did_not_come_once_the_room_has_closed(
    client, session, app
):
    # The slot ended 20 minutes ago; the room closed 5 minutes ago (15 minutes' grace).
    meeting_id, start, _lan, kenji = await _setup(client, session, app, timedelta(minutes=-50))
    await _visit(app, meeting_id, kenji, "exhibitor", "p1", start, start + timedelta(minutes=30))
    ctx = job_context(open_resources(of_app(app).settings, sessionmaker=of_app(app).sessionmaker))
    decide = jobs.JOBS["decide_attendance"]
    assert await decide({**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=0) is True
    assert await _attendance(session, meeting_id) == "no_show_buyer"
    # A retry of the same job changes nothing; a job for an older SEQUENCE does nothing.
    assert await decide({**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=0) is False
    assert await decide({**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=7) is False


async def test_an_early_decision_comes_back_when_the_room_closes(client, session, app):
    meeting_id, start, _, _ = await _setup(client, session, app, timedelta(minutes=-20))
    ctx = job_context(open_resources(of_app(app).settings, sessionmaker=of_app(app).sessionmaker))
    done = await jobs.JOBS["decide_attendance"](
        {**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=0
    )
    assert done is False
    follow_up = await read_scalar(
        session,
        select(OutboxJob.available_at).where(
            OutboxJob.key == f"attendance:{meeting_id}:0:at-close"
        ),
    )
    assert follow_up == start + timedelta(minutes=30 + 15)
    assert (
        await read_scalar(session, select(Meeting.attendance).where(Meeting.id == meeting_id))
        is None
    )


async def test_either_side_disputes_and_an_organizer_settles(client, session, app):
    meeting_id, _start, _, _ = await _setup(client, session, app, timedelta(minutes=-60))
    url = f"/api/meetings/{meeting_id}/attendance"
    await login(client, "kenji@tsubame.example")
    nothing_yet = await client.post(url, json={"status": "held", "reason": "we met"})
    assert nothing_yet.status_code == 409
    ctx = job_context(open_resources(of_app(app).settings, sessionmaker=of_app(app).sessionmaker))
    await jobs.JOBS["decide_attendance"]({**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=0)

    no_reason = await client.post(url, json={"status": "held"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert (await client.post(url, json={"status": "maybe", "reason": "x"})).status_code == 422
    same = await client.post(url, json={"status": "no_show_both", "reason": "x"})
    assert same.status_code == 400
    disputed = await client.post(
        url, json={"status": "held", "reason": "We met on the phone: the buyer's camera failed."}
    )
    assert disputed.status_code == 200
    assert disputed.json()["attendance"] == "no_show_both"  # unchanged until settled
    assert disputed.json()["claim"] == "held"

    async with make_client(app) as other:
        await make_user(session, "buyer", "wang@hengtai.example")
        await login(other, "wang@hengtai.example")
        stranger = await other.post(url, json={"status": "held", "reason": "x"})
        assert stranger.status_code == 404
        await make_user(session, "organizer", "org@example.com")
        await login(other, "org@example.com")
        settled = await other.post(url, json={"status": "held", "reason": "phone call"})
        assert settled.status_code == 200
        assert settled.json() == {
            **settled.json(),
            "attendance": "held",
            "claim": None,
            "settled": True,
        }
    # Settled stays settled: the decision job does not overrule the organizer.
    await jobs.JOBS["decide_attendance"]({**ctx, "job_id": "u"}, meeting_id=meeting_id, sequence=0)
    assert (
        await read_scalar(session, select(Meeting.attendance).where(Meeting.id == meeting_id))
        == "held"
    )
    late_claim = await client.post(url, json={"status": "no_show_buyer", "reason": "x"})
    assert late_claim.status_code == 409


async def test_the_meeting_page_shows_attendance_and_takes_a_dispute_to_the_organizers(
    client, session, app
):
    meeting_id, _start, _, _ = await _setup(client, session, app, timedelta(minutes=-60))
    ctx = job_context(open_resources(of_app(app).settings, sessionmaker=of_app(app).sessionmaker))
    await jobs.JOBS["decide_attendance"]({**ctx, "job_id": "t"}, meeting_id=meeting_id, sequence=0)
    await login(client, "lan@saigon.example")
    room_url = f"/meetings/{meeting_id}/room?lang=en"
    html = (await client.get(room_url)).text
    assert "Neither side came" in html and "This is not what happened" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    sent = await client.post(
        f"/meetings/{meeting_id}/attendance",
        data={"csrf_token": csrf, "status": "held", "reason": "We talked by phone <b>!</b>"},
    )
    assert sent.status_code == 303
    html = (await client.get(room_url)).text
    assert "Disputed: Held." in html and "&lt;b&gt;" in html
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    queue = (await client.get("/review/attendance?lang=en")).text
    assert f"/meetings/{meeting_id}/room#attendance" in queue
    assert "Claimed by Test Person: Held" in queue
    html = (await client.get(room_url)).text
    assert "Settle the attendance" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    settled = await client.post(
        f"/meetings/{meeting_id}/attendance",
        data={"csrf_token": csrf, "status": "held", "reason": ""},
    )
    assert settled.status_code == 303
    assert "No open disputes." in (await client.get("/review/attendance?lang=en")).text
    await login(client, "lan@saigon.example")
    assert (await client.get("/review/attendance")).status_code == 403
