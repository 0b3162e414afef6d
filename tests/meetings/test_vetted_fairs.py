"""Vetted fairs (issue 16, item 6): only buyers an organizer admitted book; a buyer asks,
the organizer answers, the buyer is mailed the answer in their language; everyone else
gets a clear 4xx and nothing changes."""

from __future__ import annotations

from helpers import login, make_client, make_user, read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday, run_jobs
from sqlalchemy import func, select

from fair.fairs.models import FairBuyer
from meetings.models import Meeting

ORGANIZER = "organizer@example.com"  # made by booth_with_hours (the booth's approval)


async def _vetted_booth(client, session, day):
    booth = await booth_with_hours(client, session, first=day)
    await login(client, ORGANIZER)
    response = await client.patch("/api/fairs/2027-06", json={"buyer_admission": "vetted"})
    assert response.status_code == 200, response.text
    assert response.json()["buyer_admission"] == "vetted"
    return booth


async def _meetings(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Meeting))


async def test_a_buyer_books_only_once_admitted_and_hears_the_answer_in_their_language(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day = next_weekday()
    booth = await _vetted_booth(client, session, day)
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    lan = await make_user(session, "buyer", "lan@saigon.example", locale="vi", company="STJ")
    lan_id = lan.id
    await login(client, "lan@saigon.example")

    refused = await book(client, booth["id"], at_tokyo(day, 10))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "buyer_not_admitted"
    assert await _meetings(session) == 0

    asked = await client.post("/api/fairs/2027-06/buyers", json={"message": "We import tools"})
    assert asked.status_code == 201, asked.text
    assert asked.json() == {"fair": "2027-06", "user_id": lan_id, "status": "pending"}
    # Asking again changes nothing (the first message stays).
    again = await client.post("/api/fairs/2027-06/buyers", json={"message": "second"})
    assert again.json()["status"] == "pending"
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 403

    await login(client, ORGANIZER)
    queue = await client.get("/api/fairs/2027-06/buyers", params={"status": "pending"})
    assert queue.status_code == 200
    [item] = queue.json()["items"]
    assert item["buyer"] == {"id": lan_id, "name": "Test Person", "company": "STJ", "country": ""}
    assert item["message"] == "We import tools"
    assert "email" not in str(item)
    approved = await client.post(f"/api/fairs/2027-06/buyers/{lan_id}/approve")
    assert approved.json()["status"] == "approved"
    assert await run_jobs(app, mail_context) == 1
    [mail] = inbox.messages
    assert mail["To"] == "lan@saigon.example"
    assert "Fair 2027-06" in mail["Subject"]
    assert "/fairs/2027-06/booths" in mail.get_body(("plain",)).get_content()

    await login(client, "lan@saigon.example")
    booked = await book(client, booth["id"], at_tokyo(day, 10))
    assert booked.status_code == 201, booked.text
    assert (await client.post("/api/fairs/2027-06/buyers", json={})).status_code == 409

    # Turned down later: the meeting booked stays, a new one is refused.
    await login(client, ORGANIZER)
    rejected = await client.post(f"/api/fairs/2027-06/buyers/{lan_id}/reject")
    assert rejected.json()["status"] == "rejected"
    await login(client, "lan@saigon.example")
    assert (await book(client, booth["id"], at_tokyo(day, 11))).status_code == 403
    assert await _meetings(session) == 1


async def test_only_organizers_answer_and_only_buyers_ask(client, session, app):
    day = next_weekday()
    await _vetted_booth(client, session, day)
    lan_id = (await make_user(session, "buyer", "lan@saigon.example")).id
    await make_user(session, "staff", "staff@example.com")
    await make_user(session, "buyer", "rival@example.com")

    # An exhibitor cannot ask; a buyer can neither read the queue nor answer.
    await login(client, "kenji@tsubame.example")
    assert (await client.post("/api/fairs/2027-06/buyers", json={})).status_code == 403
    await login(client, "rival@example.com")
    assert (await client.get("/api/fairs/2027-06/buyers")).status_code == 403
    forged = await client.post(f"/api/fairs/2027-06/buyers/{lan_id}/approve")
    assert forged.status_code == 403
    assert (
        await client.patch("/api/fairs/2027-06", json={"buyer_admission": "open"})
    ).status_code == 403
    # Staff read the queue but do not answer.
    await login(client, "staff@example.com")
    assert (await client.get("/api/fairs/2027-06/buyers")).status_code == 200
    assert (await client.post(f"/api/fairs/2027-06/buyers/{lan_id}/approve")).status_code == 403
    assert await read_scalar(session, select(func.count()).select_from(FairBuyer)) == 0

    await login(client, ORGANIZER)
    # Bad input: an unknown status filter, a user who is not a buyer, an absurd id, a bad mode.
    assert (await client.get("/api/fairs/2027-06/buyers?status=maybe")).status_code == 400
    organizer_id = (await client.get("/api/auth/me")).json()["id"]
    for user_id in (organizer_id, "x" * 500, "nobody"):
        response = await client.post(f"/api/fairs/2027-06/buyers/{user_id}/approve")
        assert response.status_code == 404, user_id
    bad = await client.patch("/api/fairs/2027-06", json={"buyer_admission": "closed"})
    assert bad.status_code == 422
    assert (await client.get("/api/fairs/nope/buyers")).status_code == 404
    assert await read_scalar(session, select(func.count()).select_from(FairBuyer)) == 0

    # An organizer may admit a buyer who never asked.
    admitted = await client.post(f"/api/fairs/2027-06/buyers/{lan_id}/approve")
    assert admitted.status_code == 200
    # An open fair has nothing to ask.
    await client.patch("/api/fairs/2027-06", json={"buyer_admission": "open"})
    await login(client, "rival@example.com")
    assert (await client.post("/api/fairs/2027-06/buyers", json={})).status_code == 409


async def test_the_pages_ask_and_answer_with_csrf(client, session, app):
    day = next_weekday()
    await _vetted_booth(client, session, day)
    lan_id = (await make_user(session, "buyer", "lan@saigon.example")).id
    await login(client, "lan@saigon.example")

    fair_page = await client.get("/fairs/2027-06")
    assert 'action="/fairs/2027-06/admission"' in fair_page.text
    csrf = client.cookies.get("kk_csrf")
    # Without the CSRF token the form is refused and nothing is asked.
    refused = await client.post("/fairs/2027-06/admission", data={"message": "hi"})
    assert refused.status_code == 403
    sent = await client.post("/fairs/2027-06/admission", data={"message": "hi", "csrf_token": csrf})
    assert sent.status_code == 303
    assert "Your request is with the organizers" in (await client.get("/fairs/2027-06")).text

    await login(client, ORGANIZER)
    queue = await client.get("/fairs/2027-06/buyers")
    assert queue.status_code == 200 and "hi" in queue.text
    csrf = client.cookies.get("kk_csrf")
    answer = {"user_id": lan_id, "answer": "approve", "csrf_token": csrf}
    assert (await client.post("/fairs/2027-06/buyers", data=answer)).status_code == 303
    status = await read_scalar(session, select(FairBuyer.status))
    assert status == "approved"

    # A buyer's browser cannot answer through the page either.
    async with make_client(app) as other:
        await login(other, "lan@saigon.example")
        await other.get("/fairs/2027-06")
        csrf = other.cookies.get("kk_csrf")
        forged = {"user_id": lan_id, "answer": "reject", "csrf_token": csrf}
        assert (await other.post("/fairs/2027-06/buyers", data=forged)).status_code == 403
    assert await read_scalar(session, select(FairBuyer.status)) == "approved"
