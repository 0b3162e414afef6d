"""A meeting's host: any member of the booth's company hands a meeting to a colleague, who
is then the one mailed (read from the SMTP sink), invited as the organizer, reminded and
let into the room; others may not hand it over, nor to someone outside the company."""

from __future__ import annotations

from typing import Any

from booth_helpers import exhibitor
from helpers import PASSWORD, login, make_colleague, make_user, read_scalar
from icalendar import Calendar
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday, run_jobs
from sqlalchemy import select

from fair.accounts.models import User
from fair.outbox import OutboxJob
from meetings.models import Meeting

KENJI, AIKO, LAN = "kenji@tsubame.example", "aiko@tsubame.example", "lan@saigon.example"


def organizer_of(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            event = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
            return str(event["ORGANIZER"]).removeprefix("mailto:").removeprefix("MAILTO:")
    raise AssertionError("no text/calendar part")


async def booked(client: Any, session: Any, app: Any, mail_context: Any) -> tuple[dict, Any]:
    """A confirmed meeting at Tsubame Migaki's booth, whose owner Kenji has a colleague,
    Aiko; the booking's mails sent. Signed in as Kenji."""
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    kenji_id = await _id(session, KENJI)
    aiko = await make_colleague(session, kenji_id, AIKO, name="Aiko Sato")
    await make_user(session, "buyer", LAN, timezone="Asia/Ho_Chi_Minh", country="VN")
    await login(client, LAN)
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    assert meeting["host_id"] == kenji_id
    await run_jobs(app, mail_context)
    await login(client, KENJI)
    return meeting, aiko


async def test_a_handed_over_meeting_mails_and_invites_the_new_host(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    meeting, aiko = await booked(client, session, app, mail_context)
    inbox.messages.clear()
    handed = await client.post(f"/api/meetings/{meeting['id']}/host", json={"user_id": aiko.id})
    assert handed.status_code == 200, handed.text
    assert (handed.json()["host_id"], handed.json()["sequence"]) == (aiko.id, 1)
    assert await run_jobs(app, mail_context) == 2
    mails = {m["To"]: m for m in inbox.messages}
    assert set(mails) == {AIKO, LAN}  # the new host and the buyer; Kenji is not mailed
    assert mails[AIKO]["Subject"].startswith("New host for your meeting:")
    assert organizer_of(mails[LAN]) == AIKO  # the buyer's invite names the new host
    # The reminders of the new sequence go to Aiko, not Kenji.
    async with session.begin():
        reminded = {
            job.args["user_id"]
            for job in (await session.scalars(select(OutboxJob))).all()
            if job.job == "send_meeting_reminder" and job.args["sequence"] == 1
        }
    assert reminded == {aiko.id, meeting["buyer_id"]}
    # A repeated click changes nothing and mails nobody.
    again = await client.post(f"/api/meetings/{meeting['id']}/host", json={"user_id": aiko.id})
    assert again.json()["sequence"] == 1
    assert await run_jobs(app, mail_context) == 0


async def test_a_colleague_sees_the_meeting_and_hands_it_back(client, session, app, mail_context):
    meeting, _ = await booked(client, session, app, mail_context)
    await login(client, AIKO)
    listed = (await client.get("/api/meetings")).json()["meetings"]
    assert [m["id"] for m in listed] == [meeting["id"]]
    kenji_id = await _id(session, KENJI)
    back = await client.post(f"/api/meetings/{meeting['id']}/host", json={"user_id": kenji_id})
    assert (back.status_code, back.json()["host_id"]) == (200, kenji_id)


async def test_only_the_company_hands_over_and_only_to_its_members(
    client, session, app, mail_context
):
    meeting, aiko = await booked(client, session, app, mail_context)
    url = f"/api/meetings/{meeting['id']}/host"
    rival = await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    assert (await client.post(url, json={"user_id": rival.id})).status_code == 404
    await login(client, KENJI)
    outsider = await client.post(url, json={"user_id": rival.id})
    assert outsider.status_code == 422
    assert (await client.post(url, json={"user_id": meeting["buyer_id"]})).status_code == 422
    await login(client, LAN)
    assert (await client.post(url, json={"user_id": aiko.id})).status_code == 403
    async with session.begin():
        host = await session.scalar(select(Meeting.host_id).where(Meeting.id == meeting["id"]))
    assert host == await _id(session, KENJI)


async def test_the_meeting_page_offers_to_hand_it_to_a_colleague(
    client, session, app, mail_context
):
    meeting, _ = await booked(client, session, app, mail_context)
    page = await client.get(f"/meetings/{meeting['id']}/room", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'action="/meetings/{}/host"'.format(meeting["id"]) in page.text
    assert "Aiko Sato" in page.text


async def _id(session: Any, email: str) -> str:
    return await read_scalar(session, select(User.id).where(User.email == email))


async def test_a_host_who_deletes_their_account_leaves_the_meeting_to_a_colleague(
    client, session, app, smtp, mail_context
):
    """Kenji, the company's only owner, deletes his account: his meeting is not cancelled
    but handed to Aiko (she and the buyer are mailed), she becomes the owner, the booth keeps
    its hours, and the tombstone is in the company no more."""
    inbox, _ = smtp
    meeting, aiko = await booked(client, session, app, mail_context)
    inbox.messages.clear()
    gone = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert gone.status_code == 204, gone.text
    await run_jobs(app, mail_context)
    assert {m["To"] for m in inbox.messages} == {AIKO, LAN}
    await login(client, AIKO)
    kept = (await client.get(f"/api/meetings/{meeting['id']}")).json()
    assert (kept["status"], kept["host_id"]) == ("confirmed", aiko.id)
    company = (await client.get("/api/companies/mine")).json()
    assert company["company"]["role"] == "owner"
    assert [m["user_id"] for m in company["members"]] == [aiko.id]
    hours = await client.get(f"/api/booths/{meeting['booth_id']}/availability")
    assert hours.status_code == 200 and hours.json()["weekly"], hours.text
