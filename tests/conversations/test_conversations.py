"""Conversations (issue 18, item 5): a buyer and a booth's company talk before and after they
meet, one thread per pair; the interpreter of their meeting joins in; nobody else reads it,
organizers and staff included, but for a message reported to them; unread markers; blocking;
rate limits; a mail digest, never a mail per message; the person's data."""

from __future__ import annotations

from datetime import timedelta

from booth_helpers import approve
from conversation_helpers import BUYER, EXHIBITOR, ORGANIZER
from conversation_helpers import world as _world
from helpers import PASSWORD, login, make_user, read_scalar
from meeting_helpers import run_jobs
from sqlalchemy import func, select

from conversations import digest, service
from conversations.models import ConversationMessage
from fair.accounts import personal
from fair.accounts.models import User
from fair.fairs.models import Fair
from fair.resources import of_app

CSRF = "csrf-of-the-messages-pages"


async def _start(client, email, **body):
    await login(client, email)
    return await client.post("/api/conversations", json=body)


async def _write(client, email, conversation_id, body):
    await login(client, email)
    return await client.post(f"/api/conversations/{conversation_id}/messages", json={"body": body})


async def _list(client, email):
    await login(client, email)
    response = await client.get("/api/conversations")
    assert response.status_code == 200, response.text
    return response.json()


async def _stored(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(ConversationMessage))


async def test_a_buyer_starts_a_thread_both_sides_write_and_unread_markers_follow(client, session):
    ids = await _world(client, session)
    made = await _start(client, BUYER, booth_id=ids["booth"], meeting_id=ids["meeting"])
    assert made.status_code == 201, made.text
    thread = made.json()
    assert thread["side"] == "buyer" and thread["meeting_id"] == ids["meeting"]
    again = await _start(client, BUYER, booth_id=ids["booth"])
    assert again.status_code == 200 and again.json()["id"] == thread["id"]

    sent = await _write(client, BUYER, thread["id"], "  Xin chào! Do you make copper kettles?  ")
    assert sent.status_code == 201, sent.text
    assert sent.json()["body"] == "Xin chào! Do you make copper kettles?"
    assert (await _list(client, BUYER))["unread"] == 0  # one's own message is read

    kenji = await _list(client, EXHIBITOR)
    assert kenji["unread"] == 1
    (shown,) = kenji["items"]
    assert shown["side"] == "exhibitor" and shown["unread"] == 1
    assert shown["buyer"] == {
        "id": ids["lan"],
        "name": "Nguyễn Thị Lan",
        "company": "Saigon Trading",
        "country": "VN",
    }
    read = await client.get(f"/api/conversations/{thread['id']}/messages")
    assert read.status_code == 200, read.text
    assert [m["body"] for m in read.json()["items"]] == ["Xin chào! Do you make copper kettles?"]
    assert "@" not in read.text and "@" not in str(kenji)  # never an e-mail address
    assert (await _list(client, EXHIBITOR))["unread"] == 0

    assert (await _write(client, EXHIBITOR, thread["id"], "Yes, we do.")).status_code == 201
    lan = await _list(client, BUYER)
    assert lan["unread"] == 1 and lan["items"][0]["booth"]["company"]


async def test_who_may_read_and_write_a_thread(client, session):
    ids = await _world(client, session)
    thread = (await _start(client, BUYER, booth_id=ids["booth"])).json()
    url = f"/api/conversations/{thread['id']}/messages"

    # The interpreter of their meeting reads and writes, and lists the thread.
    assert (
        await _write(client, "mai@interpreters.example", thread["id"], "Tôi là Mai.")
    ).status_code == 201
    assert (await client.get(url)).status_code == 200
    (listed,) = (await _list(client, "mai@interpreters.example"))["items"]
    assert listed["side"] == "interpreter"
    # Everyone else: it does not exist.
    for email in (
        "rival@hasami.example",
        "wei@shanghai.example",
        "hoa@interpreters.example",
        ORGANIZER,
        "staff@example.com",
    ):
        await login(client, email)
        assert (await client.get(url)).status_code == 404, email
        written = await client.post(url, json={"body": "hello"})
        assert written.status_code == 404, email
        assert written.json()["error"]["code"] == "conversation_not_found"
        assert (await client.get("/api/conversations")).json()["items"] == []
    assert await _stored(session) == 1
    # Nobody signed in.
    await client.post("/api/auth/logout")
    assert (await client.get(url)).status_code == 401


async def test_the_booths_company_writes_to_a_buyer_and_others_may_not_start_threads(
    client, session
):
    ids = await _world(client, session)
    made = await _start(client, EXHIBITOR, booth_id=ids["booth"], buyer_id=ids["lan"])
    assert made.status_code == 201, made.text
    assert made.json()["side"] == "exhibitor"
    assert (await _start(client, BUYER, booth_id=ids["booth"])).json()["id"] == made.json()["id"]

    # Another company's booth: refused; a buyer for no buyer: refused.
    rival = await _start(client, "rival@hasami.example", booth_id=ids["booth"], buyer_id=ids["lan"])
    assert rival.status_code == 403
    nobody = await _start(client, EXHIBITOR, booth_id=ids["booth"], buyer_id="f" * 32)
    assert nobody.status_code == 422 and "buyer_id" in nobody.json()["error"]["fields"]
    # A booth in review does not exist for a buyer; its own company is told why.
    assert (await _start(client, BUYER, booth_id=ids["rival"])).status_code == 404
    pending = await _start(
        client, "rival@hasami.example", booth_id=ids["rival"], buyer_id=ids["lan"]
    )
    assert pending.status_code == 409
    # Organizers, staff and interpreters start no thread.
    for email in (ORGANIZER, "staff@example.com", "mai@interpreters.example"):
        assert (await _start(client, email, booth_id=ids["booth"])).status_code == 403
    # An unpublished fair: its booths do not exist.
    fair = await session.scalar(select(Fair).where(Fair.slug == "2027-06"))
    fair.status = "draft"
    await session.commit()
    assert (await _start(client, "wei@shanghai.example", booth_id=ids["booth"])).status_code == 404


async def test_an_unverified_account_cannot_write(client, session):
    ids = await _world(client, session)
    newcomer = await make_user(session, "buyer", "new@hanoi.example", verified=False)
    refused = await _start(client, "new@hanoi.example", booth_id=ids["booth"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_not_verified"
    # The booth's company writes first; the newcomer reads but cannot answer yet.
    made = await _start(client, EXHIBITOR, booth_id=ids["booth"], buyer_id=newcomer.id)
    assert made.status_code == 201
    assert (await _write(client, EXHIBITOR, made.json()["id"], "Welcome!")).status_code == 201
    answer = await _write(client, "new@hanoi.example", made.json()["id"], "Thanks")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "email_not_verified"
    assert await _stored(session) == 1


async def test_blocking_stops_the_other_side_writing(client, session):
    ids = await _world(client, session)
    thread = (await _start(client, BUYER, booth_id=ids["booth"])).json()
    blocked = await client.post(f"/api/conversations/{thread['id']}/block")
    assert blocked.status_code == 200 and blocked.json() == {"blocked": True}
    refused = await _write(client, EXHIBITOR, thread["id"], "Please buy")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "blocked"
    assert await _stored(session) == 0
    assert (await _write(client, BUYER, thread["id"], "Still here")).status_code == 201
    # The interpreter blocks nobody and is never blocked.
    await login(client, "mai@interpreters.example")
    assert (await client.post(f"/api/conversations/{thread['id']}/block")).status_code == 403
    assert (await _write(client, "mai@interpreters.example", thread["id"], "Hi")).status_code == 201

    await login(client, BUYER)
    shown = await client.get(f"/api/conversations/{thread['id']}/messages")
    assert shown.json()["blocked"] is True
    unblocked = await client.post(f"/api/conversations/{thread['id']}/unblock")
    assert unblocked.json() == {"blocked": False}
    assert (await _write(client, EXHIBITOR, thread["id"], "Thank you")).status_code == 201


async def test_a_reported_message_reaches_the_organizers_queue_and_can_be_removed(client, session):
    ids = await _world(client, session)
    thread = (await _start(client, BUYER, booth_id=ids["booth"])).json()
    message = (await _write(client, EXHIBITOR, thread["id"], "Buy now or else")).json()
    base = f"/api/conversations/{thread['id']}/messages/{message['id']}/report"

    assert (await client.post(base, json={"reason": "mine"})).status_code == 400  # one's own
    await login(client, BUYER)
    assert (await client.post(base, json={"reason": ""})).status_code == 422
    made = await client.post(base, json={"reason": "Threatening"})
    assert made.status_code == 201, made.text
    report_id = made.json()["id"]

    for email, status in ((BUYER, 403), (EXHIBITOR, 403), ("staff@example.com", 403)):
        await login(client, email)
        assert (await client.get("/api/conversation-reports")).status_code == status
    await login(client, ORGANIZER)
    (queued,) = (await client.get("/api/conversation-reports")).json()["items"]
    assert queued["message"]["body"] == "Buy now or else"
    assert queued["reason"] == "Threatening" and queued["reporter"] == "Nguyễn Thị Lan"
    # The rest of the thread stays closed to the organizer.
    assert (await client.get(f"/api/conversations/{thread['id']}/messages")).status_code == 404
    page = await client.get("/organizer/conversation-reports")
    assert page.status_code == 200 and "Buy now or else" in page.text

    resolve = f"/api/conversation-reports/{report_id}/resolve"
    done = await client.post(resolve, json={"action": "remove"})
    assert done.status_code == 200 and done.json()["status"] == "actioned"
    assert (await client.post(resolve, json={"action": "dismiss"})).status_code == 409
    assert (await client.get("/api/conversation-reports")).json()["items"] == []
    await login(client, BUYER)
    (shown,) = (await client.get(f"/api/conversations/{thread['id']}/messages")).json()["items"]
    assert shown["removed"] is True and shown["body"] == ""


async def test_a_flood_of_messages_or_threads_is_refused(
    client, session, stopped_clock, monkeypatch
):
    ids = await _world(client, session)
    thread = (await _start(client, BUYER, booth_id=ids["booth"])).json()
    for n in range(service.MESSAGES_PER_MINUTE):
        assert (await _write(client, BUYER, thread["id"], f"line {n}")).status_code == 201
    flood = await _write(client, BUYER, thread["id"], "one more")
    assert flood.status_code == 429
    assert flood.json()["error"]["code"] == "messages_rate_limited"
    assert int(flood.headers["retry-after"]) >= 1
    assert await _stored(session) == service.MESSAGES_PER_MINUTE
    stopped_clock.advance(timedelta(seconds=61))
    assert (await _write(client, BUYER, thread["id"], "calmer now")).status_code == 201

    monkeypatch.setattr(service, "THREADS_PER_DAY", 1)
    await approve(client, session, ids["rival"])
    assert (await _start(client, "wei@shanghai.example", booth_id=ids["booth"])).status_code == 201
    second = await _start(client, "wei@shanghai.example", booth_id=ids["rival"])
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "conversations_rate_limited"
    stopped_clock.advance(timedelta(days=1, seconds=1))
    assert (await _start(client, "wei@shanghai.example", booth_id=ids["rival"])).status_code == 201


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


async def _digests(app) -> int:
    async with of_app(app).sessionmaker() as session:
        queued = await digest.queue_digests(session)
        await session.commit()
    return queued


async def test_unread_messages_are_mailed_once_a_period_as_a_digest(
    client, session, app, smtp, mail_context, stopped_clock
):
    inbox, _ = smtp
    ids = await _world(client, session)
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    stopped_clock.at(
        stopped_clock().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    )
    thread = (await _start(client, EXHIBITOR, booth_id=ids["booth"], buyer_id=ids["lan"])).json()
    assert (await _write(client, EXHIBITOR, thread["id"], "Secret price: 3 USD")).status_code == 201
    assert (await _write(client, EXHIBITOR, thread["id"], "And samples")).status_code == 201

    assert await _digests(app) == 0  # too fresh: Lan may read them on the site
    stopped_clock.advance(digest.UNREAD_FOR + timedelta(minutes=1))
    assert await _digests(app) == 1
    assert await _digests(app) == 0  # told already
    await run_jobs(app, mail_context)
    (mail,) = inbox.messages
    assert mail["To"] == BUYER
    body = _text(mail)
    assert "Tsubame" in body and "2" in body and f"/messages/{thread['id']}" in body
    assert "Secret price" not in body  # never a message's text
    assert mail["Subject"] != "New messages on Kakehashi"  # in Lan's language (Vietnamese)

    # Newer messages in the same period wait for the next one; then one more digest.
    assert (await _write(client, EXHIBITOR, thread["id"], "Any news?")).status_code == 201
    stopped_clock.advance(digest.UNREAD_FOR + timedelta(minutes=1))
    assert await _digests(app) == 0
    stopped_clock.advance(timedelta(hours=1))
    assert await _digests(app) == 1
    await run_jobs(app, mail_context)
    assert len(inbox.messages) == 2
    assert "1" in _text(inbox.messages[1])

    # Read on the site before the digest: nothing is mailed.
    assert (await _write(client, EXHIBITOR, thread["id"], "Call me")).status_code == 201
    await login(client, BUYER)
    stopped_clock.advance(timedelta(minutes=5))
    assert (await client.get(f"/api/conversations/{thread['id']}/messages")).status_code == 200
    stopped_clock.advance(timedelta(hours=2))
    assert await _digests(app) == 0


async def test_my_messages_are_exported_and_erased_with_my_account(client, session):
    ids = await _world(client, session)
    thread = (await _start(client, BUYER, booth_id=ids["booth"])).json()
    assert (await _write(client, BUYER, thread["id"], "My own words")).status_code == 201
    assert (await _write(client, EXHIBITOR, thread["id"], "Kenji's words")).status_code == 201
    await login(client, BUYER)
    assert (await client.post(f"/api/conversations/{thread['id']}/block")).status_code == 200

    lan = await session.get(User, ids["lan"])
    data = await personal.gather(session, lan)
    await session.rollback()
    assert [m["body"] for m in data.sections["conversation_messages"]] == ["My own words"]
    assert [c["id"] for c in data.sections["conversations"]] == [thread["id"]]
    assert len(data.sections["blocked_people"]) == 1

    await login(client, BUYER)
    deleted = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    bodies = set((await session.scalars(select(ConversationMessage.body))).all())
    await session.rollback()
    assert bodies == {"", "Kenji's words"}  # the other side's words stay theirs


async def test_the_pages_list_threads_with_unread_markers_and_write_with_csrf(client, session):
    ids = await _world(client, session)
    await login(client, BUYER)
    client.cookies.set("kk_csrf", CSRF)
    booth_page = await client.get(f"/booths/{ids['booth']}")
    assert 'action="/messages/start"' in booth_page.text
    started = await client.post(
        "/messages/start", data={"csrf_token": CSRF, "booth_id": ids["booth"]}
    )
    assert started.status_code == 303
    url = started.headers["location"]
    no_token = await client.post(url, data={"body": "hello"})
    assert no_token.status_code == 403
    empty = await client.post(url, data={"csrf_token": CSRF, "body": "   "})
    assert empty.status_code == 422
    sent = await client.post(url, data={"csrf_token": CSRF, "body": "<b>hello</b>"})
    assert sent.status_code == 303

    await login(client, EXHIBITOR)
    client.cookies.set("kk_csrf", CSRF)
    listing = await client.get("/messages")
    assert listing.status_code == 200
    assert 'class="badge unread-count">1<' in listing.text  # the menu's marker
    assert "Nguyễn Thị Lan" in listing.text and 'class="badge"' in listing.text
    shown = await client.get(url)
    assert shown.status_code == 200
    assert "&lt;b&gt;hello&lt;/b&gt;" in shown.text and "<b>hello</b>" not in shown.text
    assert "unread-count" not in shown.text  # the menu counts it read at once
    assert 'class="badge"' not in (await client.get("/messages")).text  # read now
    for email in ("rival@hasami.example", ORGANIZER):
        await login(client, email)
        assert (await client.get(url)).status_code == 404
