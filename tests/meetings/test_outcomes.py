"""What came of a held meeting: the exhibitor's append-only history (the latest entry is the
current stage, and it may go back), the buyer's own view, and the reminders asking for it."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

from helpers import login, make_client, make_user, read_scalar
from meeting_helpers import booth_with_hours, meeting_at
from sqlalchemy import select

from fair import clock
from fair.outbox import OutboxJob
from fair.resources import job_context, of_app, open_resources
from kakehashi import jobs
from meetings import video_room
from meetings.models import Attendance, Meeting, Outcome


async def held_meeting(client, session, app, *, days_ago: int = 3):
    """A meeting that took place ``days_ago`` days ago and was held (decided by the job from
    visits, as in production)."""
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", company="Saigon Trading")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(days=-days_ago))
    meeting_id, start, lan_id = meeting.id, meeting.starts_at, lan.id
    await login(client, "kenji@tsubame.example")  # the booth's exhibitor, signed in from here
    owner = (await client.get("/api/auth/me")).json()["id"]
    settings = of_app(app).settings
    async with of_app(app).sessionmaker() as s, s.begin():
        for side, user_id, peer in (("exhibitor", owner, "p1"), ("buyer", lan_id, "p2")):
            await video_room.record_join(
                s, meeting_id=meeting_id, user_id=user_id, side=side, peer_id=peer, at=start
            )
    async with of_app(app).sessionmaker() as s, s.begin():
        await video_room.record_leave(
            s,
            meeting_id=meeting_id,
            peer_id="p2",
            at=start + timedelta(minutes=20),
            settings=settings,
        )
    assert (
        await read_scalar(session, select(Meeting.attendance).where(Meeting.id == meeting_id))
        == Attendance.HELD
    )
    return booth, meeting_id, start


async def test_the_history_grows_the_latest_entry_is_current_and_may_go_back(client, session, app):
    booth, meeting_id, _ = await held_meeting(client, session, app)
    url = f"/api/meetings/{meeting_id}/outcome"
    product = await client.post(
        f"/api/booths/{booth['id']}/products",
        json={"name": {"en": "Tumbler 500 ml", "ja": "タンブラー 500 ml"}},
    )
    assert product.status_code == 201, product.text
    today = clock.now().date()
    quote = await client.post(
        url,
        json={
            "stage": "quote",
            "value": "12000.50",
            "currency": "USD",
            "product_ids": [product.json()["id"]],
            "next_step": "Send the revised quotation",
            "next_step_on": (today + timedelta(days=7)).isoformat(),
            "occurred_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert quote.status_code == 201, quote.text
    assert (quote.json()["stage"], quote.json()["value"]) == ("quote", "12000.50")
    contract = await client.post(
        url, json={"stage": "contract", "value": "11800", "currency": "USD"}
    )
    assert contract.status_code == 201
    back = await client.post(url, json={"stage": "follow_up", "note": "The buyer's bank said no."})
    assert back.status_code == 201
    history = (await client.get(f"/api/meetings/{meeting_id}/outcomes")).json()
    assert [h["stage"] for h in history["history"]] == ["follow_up", "contract", "quote"]
    assert history["current"]["stage"] == "follow_up"
    current = await read_scalar(
        session, select(Meeting.current_outcome_id).where(Meeting.id == meeting_id)
    )
    assert current == back.json()["id"]
    # The copy the report reads follows the latest entry: the contract's value is gone.
    copy = (
        await session.execute(
            select(
                Meeting.stage, Meeting.stage_value, Meeting.stage_currency, Meeting.stage_on
            ).where(Meeting.id == meeting_id)
        )
    ).one()
    await session.rollback()
    assert tuple(copy) == ("follow_up", None, None, today)
    assert (
        await read_scalar(session, select(Outcome.stage).where(Outcome.id == contract.json()["id"]))
        == "contract"
    )  # earlier entries stay as they were


async def test_bad_outcomes_are_refused_and_change_nothing(client, session, app):
    _booth, meeting_id, _ = await held_meeting(client, session, app)
    url = f"/api/meetings/{meeting_id}/outcome"
    today = clock.now().date()
    cases = [
        ({"stage": "won"}, 422),
        ({"stage": "contract", "value": "100"}, 400),  # a value needs its currency
        ({"stage": "contract", "currency": "USD"}, 400),
        ({"stage": "contract", "value": "-5", "currency": "USD"}, 422),
        ({"stage": "contract", "value": "5", "currency": "XXY"}, 422),
        ({"stage": "quote", "value": "1.234", "currency": "USD"}, 422),
        ({"stage": "quote", "occurred_on": (today + timedelta(days=1)).isoformat()}, 400),
        ({"stage": "quote", "product_ids": ["not-ours"]}, 400),
        ({"stage": "quote", "note": "x" * 4001}, 422),
        ({"stage": "quote", "colour": "red"}, 422),
    ]
    for body, status in cases:
        answer = await client.post(url, json=body)
        assert answer.status_code == status, (body, answer.text)
    assert (
        await client.post(url, content=b"{", headers={"content-type": "application/json"})
    ).status_code == 400
    assert await read_scalar(session, select(Outcome.id).limit(1)) is None

    async with make_client(app) as other:
        await login(other, "lan@saigon.example")  # the buyer records no outcome
        assert (await other.post(url, json={"stage": "contract"})).status_code == 403
        await make_user(session, "exhibitor", "other@maker.example")
        await login(other, "other@maker.example")
        assert (await other.post(url, json={"stage": "contract"})).status_code == 404


async def test_no_outcome_before_the_meeting_was_held(client, session, app):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(days=-2))
    await login(client, "kenji@tsubame.example")
    answer = await client.post(f"/api/meetings/{meeting.id}/outcome", json={"stage": "quote"})
    assert answer.status_code == 409


async def test_the_buyer_gives_their_own_view_and_sees_no_outcomes(client, session, app):
    _booth, meeting_id, _ = await held_meeting(client, session, app)
    await client.post(f"/api/meetings/{meeting_id}/outcome", json={"stage": "quote"})
    async with make_client(app) as buyer:
        await login(buyer, "lan@saigon.example")
        url = f"/api/meetings/{meeting_id}/feedback"
        assert (await buyer.post(url, json={"view": "great"})).status_code == 422
        first = await buyer.post(url, json={"view": "useful"})
        assert first.json() == {"view": "useful", "note": ""}
        again = await buyer.post(url, json={"view": "wants_follow_up", "note": "Samples, please"})
        assert again.json()["view"] == "wants_follow_up"
        mine = (await buyer.get(f"/api/meetings/{meeting_id}/outcomes")).json()
        assert mine["history"] == [] and mine["current"] is None
        assert mine["buyer_view"] == {"view": "wants_follow_up", "note": "Samples, please"}
    assert (await client.post(url, json={"view": "useful"})).status_code == 403
    seen = (await client.get(f"/api/meetings/{meeting_id}/outcomes")).json()
    assert seen["buyer_view"]["view"] == "wants_follow_up"


async def test_the_exhibitor_is_asked_for_an_outcome_while_the_negotiation_is_open(
    client, session, app
):
    _booth, meeting_id, start = await held_meeting(client, session, app, days_ago=40)
    rows = (
        await session.execute(
            select(OutboxJob.key, OutboxJob.available_at).where(OutboxJob.job == "ask_for_outcome")
        )
    ).all()
    await session.rollback()
    ends = start + timedelta(minutes=30)
    assert sorted(at for _, at in rows) == [ends + timedelta(days=d) for d in (1, 30, 90, 180)]
    ctx = job_context(open_resources(of_app(app).settings, sessionmaker=of_app(app).sessionmaker))
    ask = jobs.JOBS["ask_for_outcome"]
    assert await ask({**ctx, "job_id": "a"}, meeting_id=meeting_id, days=1) is True
    mail_dir = of_app(app).settings.mail_dir
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in mail_dir.glob("*.eml")
    ]
    assert len(sent) == 1
    assert sent[0]["To"] == "kenji@tsubame.example"
    assert str(sent[0]["Subject"]) == "How did your meeting with Saigon Trading go?"
    assert re.search(
        rf"/meetings/{meeting_id}/room#outcome", sent[0].get_body(("plain",)).get_content()
    )
    # A contract ends the negotiation: the 30-day follow-up sends nothing.
    await client.post(f"/api/meetings/{meeting_id}/outcome", json={"stage": "contract"})
    assert await ask({**ctx, "job_id": "b"}, meeting_id=meeting_id, days=30) is True
    assert len(list(mail_dir.glob("*.eml"))) == 1


async def test_the_exhibitor_records_and_the_buyer_answers_on_the_meeting_page(
    client, session, app
):
    _booth, meeting_id, _ = await held_meeting(client, session, app)
    page_url = f"/meetings/{meeting_id}/room?lang=en"
    html = (await client.get(page_url)).text
    assert "Record the outcome" in html and "No outcome recorded yet." in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    saved = await client.post(
        f"/meetings/{meeting_id}/outcome",
        data={
            "csrf_token": csrf,
            "stage": "sample_sent",
            "value": "",
            "currency": "",
            "next_step": "Wait for <test> results",
            "next_step_on": "",
            "occurred_on": "",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("#outcome")
    html = (await client.get(page_url)).text
    assert "Sample sent" in html and "Wait for &lt;test&gt; results" in html
    wrong = await client.post(
        f"/meetings/{meeting_id}/outcome",
        data={"csrf_token": csrf, "stage": "contract", "value": "100", "currency": ""},
    )
    assert wrong.status_code == 400
    async with make_client(app) as buyer:
        await login(buyer, "lan@saigon.example")
        html = (await buyer.get(page_url)).text
        assert "How was this meeting for you?" in html and "Sample sent" not in html
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        answered = await buyer.post(
            f"/meetings/{meeting_id}/feedback", data={"csrf_token": csrf, "view": "useful"}
        )
        assert answered.status_code == 303
    html = (await client.get(page_url)).text
    assert "The buyer's view:" in html and "Useful" in html


def my_meetings_row(page: str, meeting_id: str) -> str:
    """The text of the row of "My meetings" that links to the meeting."""
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    row = next(r for r in rows if f"/meetings/{meeting_id}/room" in r)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


async def test_my_meetings_shows_what_happened_to_past_meetings(client, session, app):
    """Past meetings are not "Confirmed": the room's decision, then the exhibitor's current
    stage (to the exhibitor) or the buyer's own view (to the buyer)."""
    booth, held_id, _ = await held_meeting(client, session, app)
    lan = await read_scalar(session, select(Meeting.buyer_id).where(Meeting.id == held_id))
    undecided = await meeting_at(session, booth["id"], lan, timedelta(days=-1, hours=-2))
    undecided_id = undecided.id

    page = (await client.get("/my/meetings")).text
    assert "What happened" in page
    assert my_meetings_row(page, held_id).endswith("Held Record the outcome Open")
    assert "Attendance not decided yet" in my_meetings_row(page, undecided_id)
    assert "Confirmed" not in my_meetings_row(page, held_id)
    quote = {"stage": "quote", "value": "900", "currency": "USD"}
    recorded = await client.post(f"/api/meetings/{held_id}/outcome", json=quote)
    assert recorded.status_code == 201, recorded.text
    page = (await client.get("/my/meetings")).text
    assert "Held Quotation" in my_meetings_row(page, held_id)

    await login(client, "lan@saigon.example")
    page = (await client.get("/my/meetings")).text
    row = my_meetings_row(page, held_id)
    assert "Held Tell us how it went" in row and "Quotation" not in row
    answered = await client.post(f"/api/meetings/{held_id}/feedback", json={"view": "useful"})
    assert answered.status_code == 200, answered.text
    assert "Held Useful" in my_meetings_row((await client.get("/my/meetings")).text, held_id)
