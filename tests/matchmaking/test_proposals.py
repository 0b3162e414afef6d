"""Meeting proposals (issue 18, item 4): an organizer proposes a meeting to both sides, or a
booth's exhibitor invites a buyer; the buyer picks the time when accepting; once every
invited side has accepted, the meeting is booked through the normal booking path, with its
source; a decline ends it, time ends it; each step is mailed in each person's language."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import create_booth, exhibitor
from helpers import login, make_user, read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday, run_jobs
from meeting_helpers import lan as make_lan
from sqlalchemy import func, select

from fair import clock
from matchmaking.models import Proposal
from meetings.models import Meeting, MeetingStatus, Stage

ORGANIZER = "organizer@example.com"  # made by booth_with_hours (the booth's approval)
EXHIBITOR = "kenji@tsubame.example"
BUYER = "lan@saigon.example"


async def _setup(client, session, **fair):
    """Kenji's approved booth with Tokyo weekday hours; Lan, a Vietnamese buyer who reads
    Vietnamese; the organizer."""
    day = fair.pop("first", None) or next_weekday()
    booth = await booth_with_hours(client, session, first=day, **fair)
    lan = await make_lan(session, timezone="Asia/Ho_Chi_Minh")
    return day, booth, lan.id


async def _propose(client, email, buyer_id, booth_id, **extra):
    await login(client, email)
    body = {"fair": "2027-06", "buyer_id": buyer_id, "booth_id": booth_id, **extra}
    return await client.post("/api/proposals", json=body)


async def _mine(client, email):
    await login(client, email)
    response = await client.get("/api/proposals")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _row(session, proposal_id):
    """The proposal's status and expiry as stored."""
    query = select(Proposal.status, Proposal.expires_at).where(Proposal.id == proposal_id)
    row = (await session.execute(query)).one()
    await session.rollback()
    return row


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_an_organizer_proposes_both_accept_and_the_meeting_is_booked_as_proposed(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    await run_jobs(app, mail_context)  # the booth's approval notice
    inbox.messages.clear()

    made = await _propose(client, ORGANIZER, lan, booth["id"], note="Both make tableware.")
    assert made.status_code == 201, made.text
    proposal = made.json()
    assert proposal["status"] == "open"
    assert set(proposal) == {"id", "status", "meeting_id"}

    # Each invited side is mailed in their own language, with the link to answer.
    assert await run_jobs(app, mail_context) == 2
    mails = {m["To"]: m for m in inbox.messages}
    assert set(mails) == {BUYER, EXHIBITOR}
    to_buyer = _text(mails[BUYER])
    assert "Xin chào Nguyễn Thị Lan" in to_buyer  # Vietnamese
    assert "Ban tổ chức đề xuất một buổi gặp trực tuyến giữa bạn và Tsubame Migaki Kogyo" in (
        to_buyer
    )
    assert "Both make tableware." in to_buyer
    assert f"/proposals#proposal-{proposal['id']}" in to_buyer
    to_exhibitor = _text(mails[EXHIBITOR])
    assert (
        "The organizers propose a video meeting between you and "
        "Nguyễn Thị Lan (Saigon Trading, Vietnam) in Fair 2027-06."
    ) in to_exhibitor
    assert BUYER not in to_exhibitor
    inbox.messages.clear()

    # The exhibitor sees it, with the buyer's name, company and country, never the e-mail.
    await login(client, EXHIBITOR)
    listed = await client.get("/api/proposals")
    assert BUYER not in listed.text
    (item,) = listed.json()["items"]
    assert item["buyer"] == {
        "id": lan,
        "name": "Nguyễn Thị Lan",
        "company": "Saigon Trading",
        "country": "VN",
    }
    assert (item["kind"], item["invited_as"], item["status"]) == ("organizer", "booth", "open")
    assert item["booth_answer"] == {"answer": "pending", "answered_at": None}
    assert item["expires_at"].endswith("+09:00")  # the exhibitor's own zone (Tokyo)

    # The booth's side accepts with nothing; the buyer picks the time.
    accepted = await client.post(f"/api/proposals/{proposal['id']}/accept", json={})
    assert accepted.json() == {"id": proposal["id"], "status": "open", "meeting_id": None}
    await login(client, BUYER)
    answered = await client.post(
        f"/api/proposals/{proposal['id']}/accept",
        json={"start": at_tokyo(day, 10), "interpreter_language": "vi"},
    )
    assert answered.status_code == 200, answered.text
    result = answered.json()
    assert result["status"] == "booked"
    meeting = (await client.get(f"/api/meetings/{result['meeting_id']}")).json()
    assert (meeting["source"], meeting["status"]) == ("proposed", "confirmed")
    assert meeting["start"] == f"{day.isoformat()}T08:00+07:00"  # 10:00 Tokyo, buyer's zone
    assert meeting["interpreter_language"] == "vi"

    # The meeting's own mails go to its two sides; the organizer hears it was accepted.
    await run_jobs(app, mail_context)
    subjects = {m["To"]: str(m["Subject"]) for m in inbox.messages}
    assert set(subjects) == {BUYER, EXHIBITOR, ORGANIZER}
    assert subjects[ORGANIZER].startswith("Meeting proposal accepted: Nguyễn Thị Lan")
    assert "10:00" in _text(next(m for m in inbox.messages if m["To"] == ORGANIZER))

    (item,) = await _mine(client, ORGANIZER)
    assert (item["status"], item["meeting_id"]) == ("booked", result["meeting_id"])


async def test_an_exhibitor_invites_a_buyer_who_accepts_and_the_meeting_is_booked_as_invited(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    made = await _propose(client, EXHIBITOR, lan, booth["id"])
    assert made.status_code == 201, made.text
    proposal_id = made.json()["id"]
    assert await run_jobs(app, mail_context) == 1  # only the buyer is invited
    (mail,) = inbox.messages
    assert mail["To"] == BUYER
    assert "Tsubame Migaki Kogyo" in str(mail["Subject"])

    # The exhibitor who invited answers nothing: only the buyer does.
    refused = await client.post(f"/api/proposals/{proposal_id}/accept", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    (item,) = await _mine(client, EXHIBITOR)
    assert (item["kind"], item["invited_as"], item["booth_answer"]) == ("exhibitor", None, None)

    await login(client, BUYER)
    without_time = await client.post(f"/api/proposals/{proposal_id}/accept", json={})
    assert without_time.status_code == 422
    assert set(without_time.json()["error"]["fields"]) == {"start"}
    answered = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 11)}
    )
    assert answered.status_code == 200, answered.text
    meeting = (await client.get(f"/api/meetings/{answered.json()['meeting_id']}")).json()
    assert (meeting["source"], meeting["booth_id"]) == ("invited", booth["id"])


async def test_a_booth_that_takes_requests_is_booked_at_once_when_it_invited(client, session):
    day, booth, lan = await _setup(client, session, mode="request")
    proposal_id = (await _propose(client, EXHIBITOR, lan, booth["id"])).json()["id"]
    await login(client, BUYER)
    answered = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 11)}
    )
    meeting = (await client.get(f"/api/meetings/{answered.json()['meeting_id']}")).json()
    assert meeting["status"] == "confirmed"  # the exhibitor agreed already


async def test_a_decline_ends_the_proposal_and_the_proposer_hears_why(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    proposal_id = (await _propose(client, ORGANIZER, lan, booth["id"])).json()["id"]
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    await login(client, BUYER)
    declined = await client.post(
        f"/api/proposals/{proposal_id}/decline", json={"reason": "Not our market."}
    )
    assert declined.json() == {"id": proposal_id, "status": "declined", "meeting_id": None}
    await run_jobs(app, mail_context)
    (mail,) = inbox.messages
    assert mail["To"] == ORGANIZER
    assert str(mail["Subject"]).startswith("Meeting proposal declined")
    assert "Not our market." in _text(mail)

    # Over: neither side can answer again.
    again = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 10)}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "proposal_closed")
    await login(client, EXHIBITOR)
    late = await client.post(f"/api/proposals/{proposal_id}/accept", json={})
    assert late.status_code == 409
    (item,) = await _mine(client, EXHIBITOR)
    assert (item["status"], item["decline_reason"]) == ("declined", "Not our market.")
    assert item["buyer_answer"]["answer"] == "declined"
    # The pair may be proposed again.
    assert (await _propose(client, ORGANIZER, lan, booth["id"])).status_code == 201


async def test_a_proposal_expires_after_its_days_and_the_proposer_is_told(
    client, session, app, smtp, mail_context, stopped_clock
):
    inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    proposal_id = (await _propose(client, EXHIBITOR, lan, booth["id"])).json()["id"]
    (item,) = await _mine(client, EXHIBITOR)
    made_at = clock.now()
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    stopped_clock.advance(timedelta(days=6, hours=23))
    assert await run_jobs(app, mail_context) == 0  # the expiry waits for its time
    (item,) = await _mine(client, BUYER)
    assert item["status"] == "open"

    stopped_clock.advance(timedelta(hours=1))
    (item,) = await _mine(client, BUYER)
    assert item["status"] == "expired"  # as read, before the job has run
    late = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 10)}
    )
    assert (late.status_code, late.json()["error"]["code"]) == (410, "proposal_expired")
    decline = await client.post(f"/api/proposals/{proposal_id}/decline", json={})
    assert decline.status_code == 410

    assert await run_jobs(app, mail_context) == 1  # the expiry, which queues the mail
    assert await run_jobs(app, mail_context) == 1
    (mail,) = inbox.messages
    assert mail["To"] == EXHIBITOR
    assert str(mail["Subject"]).startswith("Meeting proposal expired")
    row = await _row(session, proposal_id)
    assert row.status == "expired"
    assert row.expires_at == made_at + timedelta(days=7)
    assert await run_jobs(app, mail_context) == 0  # nothing twice
    # A new proposal for the pair is possible again.
    assert (await _propose(client, EXHIBITOR, lan, booth["id"])).status_code == 201


async def test_a_proposal_never_outlives_the_fairs_booking(client, session):
    day = next_weekday(2)
    _, booth, lan = await _setup(client, session, first=day, last=day)
    await _propose(client, ORGANIZER, lan, booth["id"])
    (item,) = await _mine(client, ORGANIZER)
    # Booking closes when the fair's last day ends in Tokyo: the organizer reads it in
    # their own zone (Tokyo, the default).
    closes = day + timedelta(days=1)
    assert item["expires_at"] == f"{closes.isoformat()}T00:00+09:00"


async def test_a_time_taken_meanwhile_is_409_and_the_proposal_stays_open(
    client, session, app, smtp, mail_context
):
    _inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    await make_user(session, "buyer", "wei@shanghai.example", country="CN")
    invitation = (await _propose(client, EXHIBITOR, lan, booth["id"])).json()["id"]
    proposal = (await _propose(client, ORGANIZER, lan, booth["id"])).json()
    assert proposal["error"]["code"] == "proposal_exists"  # one live proposal per pair

    # Someone else books 10:00 before Lan answers: her pick is refused, nothing changes.
    await login(client, "wei@shanghai.example")
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    await login(client, BUYER)
    taken = await client.post(
        f"/api/proposals/{invitation}/accept", json={"start": at_tokyo(day, 10)}
    )
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_taken")
    (item,) = await _mine(client, BUYER)
    assert (item["status"], item["buyer_answer"]["answer"], item["start"]) == (
        "open",
        "pending",
        None,
    )
    assert await read_scalar(session, select(func.count()).select_from(Meeting)) == 1
    # Another time is fine.
    fine = await client.post(
        f"/api/proposals/{invitation}/accept", json={"start": at_tokyo(day, 14)}
    )
    assert fine.json()["status"] == "booked"


async def test_when_the_buyers_time_goes_before_the_booth_answers_the_buyer_picks_again(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day, booth, lan = await _setup(client, session)
    await make_user(session, "buyer", "wei@shanghai.example", country="CN")
    proposal_id = (await _propose(client, ORGANIZER, lan, booth["id"])).json()["id"]
    await login(client, BUYER)
    picked = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 10)}
    )
    assert picked.json()["status"] == "open"  # the booth has not answered
    await login(client, "wei@shanghai.example")
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    await login(client, EXHIBITOR)
    taken = await client.post(f"/api/proposals/{proposal_id}/accept", json={})
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_taken")
    (item,) = await _mine(client, EXHIBITOR)
    # Still open; the booth's yes is kept and the buyer is asked for another time.
    assert item["status"] == "open"
    assert (item["booth_answer"]["answer"], item["buyer_answer"]["answer"]) == (
        "accepted",
        "pending",
    )
    await run_jobs(app, mail_context)
    (mail,) = inbox.messages
    assert mail["To"] == BUYER
    await login(client, BUYER)
    again = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 15)}
    )
    assert again.json()["status"] == "booked"
    assert await read_scalar(session, select(func.count()).select_from(Meeting)) == 2


async def test_only_the_invited_sides_see_and_answer(client, session):
    day, booth, lan = await _setup(client, session)
    proposal_id = (await _propose(client, ORGANIZER, lan, booth["id"])).json()["id"]
    await make_user(session, "buyer", "wei@shanghai.example", country="CN")
    await make_user(session, "interpreter", "mai@interpreters.example", languages=["ja", "vi"])
    await exhibitor(client, session, "aiko@hasami.example", "Hasami Pottery")
    await make_user(session, "staff", "staff@example.com")

    for email in ("wei@shanghai.example", "mai@interpreters.example", "aiko@hasami.example"):
        assert await _mine(client, email) == []
        for action, body in (("accept", {"start": at_tokyo(day, 10)}), ("decline", {})):
            response = await client.post(f"/api/proposals/{proposal_id}/{action}", json=body)
            answer = (response.status_code, response.json()["error"]["code"])
            assert answer == (404, "proposal_not_found"), (email, action)
    # Those who may see it but are not asked: 403.
    for email in (ORGANIZER, "staff@example.com"):
        assert [i["id"] for i in await _mine(client, email)] == [proposal_id]
        response = await client.post(f"/api/proposals/{proposal_id}/decline", json={})
        assert response.status_code == 403, email
    client.cookies.clear()
    assert (await client.get("/api/proposals")).status_code == 401
    assert (await client.post(f"/api/proposals/{proposal_id}/decline", json={})).status_code == 401
    assert (await _row(session, proposal_id)).status == "open"


async def test_who_may_propose_and_to_whom(client, session):
    _day, booth, lan = await _setup(client, session)
    await exhibitor(client, session, "aiko@hasami.example", "Hasami Pottery")
    rival = await create_booth(client, company={"ja": "波佐見陶房", "en": "Hasami Pottery"})
    # A rival exhibitor cannot invite to Kenji's booth; a buyer or staff cannot propose.
    refused = await _propose(client, "aiko@hasami.example", lan, booth["id"])
    assert refused.status_code == 403
    assert (await _propose(client, BUYER, lan, booth["id"])).status_code == 403
    await make_user(session, "staff", "staff@example.com")
    assert (await _propose(client, "staff@example.com", lan, booth["id"])).status_code == 403
    # Aiko's own booth is still in review.
    pending = await _propose(client, "aiko@hasami.example", lan, rival["id"])
    assert (pending.status_code, pending.json()["error"]["code"]) == (409, "proposal_refused")
    # An exhibitor whose address is not confirmed writes to no one.
    await make_user(
        session, "exhibitor", "new@tsubame.example", company="Tsubame Migaki", verified=False
    )
    unverified = await _propose(client, "new@tsubame.example", lan, booth["id"])
    assert unverified.status_code == 403
    assert await read_scalar(session, select(func.count()).select_from(Proposal)) == 0


async def test_pairs_that_cannot_meet_are_refused(client, session):
    _day, booth, lan = await _setup(client, session)
    # A buyer of the booth's own company.
    colleague = await make_user(
        session, "buyer", "jiro@tsubame.example", company="Tsubame Migaki", country="JP"
    )
    own = await _propose(client, ORGANIZER, colleague.id, booth["id"])
    assert (own.status_code, own.json()["error"]["code"]) == (409, "proposal_refused")
    # A pair whose last meeting closed as no deal.
    past = clock.now() - timedelta(days=40)
    session.add(
        Meeting(
            booth_id=booth["id"],
            buyer_id=lan,
            starts_at=past,
            ends_at=past + timedelta(minutes=30),
            status=MeetingStatus.CONFIRMED,
            buyer_timezone="Asia/Ho_Chi_Minh",
            stage=Stage.NO_DEAL,
        )
    )
    await session.commit()
    closed = await _propose(client, ORGANIZER, lan, booth["id"])
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "proposal_refused")
    assert "no deal" in closed.json()["error"]["message"]
    # A vetted fair: only admitted buyers.
    wei = await make_user(session, "buyer", "wei@shanghai.example", country="CN")
    await login(client, ORGANIZER)
    await client.patch("/api/fairs/2027-06", json={"buyer_admission": "vetted"})
    vetted = await _propose(client, ORGANIZER, wei.id, booth["id"])
    assert (vetted.status_code, vetted.json()["error"]["code"]) == (409, "proposal_refused")
    admitted = await client.post(f"/api/fairs/2027-06/buyers/{wei.id}/approve")
    assert admitted.status_code == 200, admitted.text
    assert (await _propose(client, ORGANIZER, wei.id, booth["id"])).status_code == 201
    assert await read_scalar(session, select(func.count()).select_from(Proposal)) == 1


async def test_bad_input_is_422_and_changes_nothing(client, session):
    day, booth, lan = await _setup(client, session)
    await login(client, ORGANIZER)
    for body, field in (
        ({"buyer_id": lan, "booth_id": booth["id"]}, "fair"),
        ({"fair": "2027-06", "booth_id": booth["id"]}, "buyer_id"),
        ({"fair": "2027-06", "buyer_id": lan, "booth_id": booth["id"], "note": "x" * 1001}, "note"),
        ({"fair": "2027-06", "buyer_id": "0" * 32, "booth_id": booth["id"]}, "buyer_id"),
        ({"fair": "2027-06", "buyer_id": booth["id"], "booth_id": booth["id"]}, "buyer_id"),
        ({"fair": "2027-06", "buyer_id": lan, "booth_id": "0" * 32}, "booth_id"),
        ({"fair": "1999-01", "buyer_id": lan, "booth_id": booth["id"]}, "fair"),
        ({"fair": "2027-06", "buyer_id": lan, "booth_id": booth["id"], "x": 1}, "x"),
        ({"fair": "2027-06", "buyer_id": lan, "booth_id": booth["id"], "need_id": "n"}, "need_id"),
    ):
        response = await client.post("/api/proposals", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    assert (await client.post("/api/proposals", json=[])).status_code == 422
    assert (await client.get("/api/proposals?fair=nope")).status_code == 422
    assert await read_scalar(session, select(func.count()).select_from(Proposal)) == 0

    proposal_id = (await _propose(client, ORGANIZER, lan, booth["id"])).json()["id"]
    await login(client, BUYER)
    for body in (
        {"start": "tomorrow"},
        {"start": at_tokyo(day, 10), "timezone": "Mars/Olympus"},
        {"reason": "x"},
    ):
        response = await client.post(f"/api/proposals/{proposal_id}/accept", json=body)
        assert response.status_code == 422, (body, response.text)
    off_grid = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 10, 7)}
    )
    assert (off_grid.status_code, off_grid.json()["error"]["code"]) == (400, "bad_time")
    long = await client.post(f"/api/proposals/{proposal_id}/decline", json={"reason": "x" * 1001})
    assert long.status_code == 422
    await login(client, EXHIBITOR)
    booth_time = await client.post(
        f"/api/proposals/{proposal_id}/accept", json={"start": at_tokyo(day, 10)}
    )
    assert booth_time.status_code == 422  # the buyer chooses the time
    (item,) = await _mine(client, EXHIBITOR)
    assert (item["buyer_answer"]["answer"], item["booth_answer"]["answer"]) == (
        "pending",
        "pending",
    )


async def test_a_booking_from_a_recommendation_records_its_source(client, session):
    day, booth, _lan = await _setup(client, session, max_per_buyer=3)
    await login(client, BUYER)
    refused = await book(client, booth["id"], at_tokyo(day, 10), source="proposed")
    assert refused.status_code == 422  # only "recommended" may be claimed by the buyer
    booked = await book(client, booth["id"], at_tokyo(day, 10), source="recommended")
    assert booked.json()["source"] == "recommended"
    plain = await book(client, booth["id"], at_tokyo(day, 11))
    assert plain.json()["source"] == "self"

    # The page: the recommendation's link carries it into the slot forms.
    page = await client.get(f"/booths/{booth['id']}/book?source=recommended")
    assert "source=recommended" in page.text
    csrf = client.cookies["kk_csrf"]
    posted = await client.post(
        f"/booths/{booth['id']}/book?tz=Asia/Ho_Chi_Minh&source=recommended",
        data={"csrf_token": csrf, "start": at_tokyo(day + timedelta(days=1), 10)},
    )
    assert posted.status_code == 303, posted.text
    sources = sorted((await session.scalars(select(Meeting.source))).all())
    await session.rollback()
    assert sources == ["recommended", "recommended", "self"]


def _csrf(client) -> str:
    return client.cookies["kk_csrf"]


async def test_the_pages_propose_invite_accept_and_decline(client, session):
    day, booth, lan = await _setup(client, session)
    await login(client, BUYER)
    need = {"fair": "2027-06", "text": "stainless cutlery", "categories": ["cutlery_tools"]}
    assert (await client.post("/api/needs", json=need)).status_code == 201

    # The organizer sees the fair's matches, each with a "propose" button.
    await login(client, ORGANIZER)
    page = await client.get("/proposals")
    assert page.status_code == 200
    assert "Nguyễn Thị Lan" in page.text
    assert f'name="buyer_id" value="{lan}"' in page.text
    assert BUYER not in page.text

    # The exhibitor sees the buyer among its leads and invites her from there.
    await login(client, EXHIBITOR)
    page = await client.get("/proposals")
    assert "Invite to a meeting" in page.text
    assert BUYER not in page.text
    form = {"fair": "2027-06", "buyer_id": lan, "booth_id": booth["id"], "note": "Hello!"}
    sent = await client.post("/proposals", data={"csrf_token": _csrf(client), **form})
    assert (sent.status_code, sent.headers["location"]) == (303, "/proposals?sent=1")
    page = await client.get("/proposals?sent=1")
    assert "Your proposal has been sent." in page.text
    assert "Invited; waiting for the answer." in page.text
    again = await client.post("/proposals", data={"csrf_token": _csrf(client), **form})
    assert again.status_code == 409
    assert "has been proposed already" in again.text
    (item,) = await _mine(client, EXHIBITOR)

    # The buyer picks one of the offered times, good-for-both marked, in her own zone.
    await login(client, BUYER)
    page = await client.get("/proposals")
    assert 'class="slot-choice slot-good"' in page.text  # marked good for both, first
    assert "Hello!" in page.text
    # 11:00 Tokyo is 09:00 in Ho Chi Minh City: the first time inside both business days.
    eleven = f"{day.isoformat()}T02:00:00+00:00"
    assert f'value="{eleven}"' in page.text
    missing = await client.post(
        f"/proposals/{item['id']}/accept", data={"csrf_token": _csrf(client)}
    )
    assert missing.status_code == 422
    assert "Hãy chọn giờ cho buổi gặp." in missing.text  # in her language
    accepted = await client.post(
        f"/proposals/{item['id']}/accept", data={"csrf_token": _csrf(client), "start": eleven}
    )
    assert accepted.status_code == 303
    meeting_id = accepted.headers["location"].split("/")[2]
    assert accepted.headers["location"] == f"/meetings/{meeting_id}/room?booked=1"
    meeting = (await client.get(f"/api/meetings/{meeting_id}")).json()
    assert (meeting["source"], meeting["start"]) == ("invited", f"{day.isoformat()}T09:00+07:00")


async def test_declining_on_the_page_keeps_the_reason(client, session):
    _day, booth, lan = await _setup(client, session)
    proposal_id = (await _propose(client, ORGANIZER, lan, booth["id"])).json()["id"]
    await login(client, EXHIBITOR)
    page = await client.get("/proposals")
    assert f'action="/proposals/{proposal_id}/decline"' in page.text
    declined = await client.post(
        f"/proposals/{proposal_id}/decline",
        data={"csrf_token": _csrf(client), "reason": "Fully booked that week."},
    )
    assert (declined.status_code, declined.headers["location"]) == (303, "/proposals")
    (item,) = await _mine(client, ORGANIZER)
    assert (item["status"], item["booth_answer"]["answer"]) == ("declined", "declined")
    assert item["decline_reason"] == "Fully booked that week."
    page = await client.get("/proposals")
    assert "Fully booked that week." in page.text
