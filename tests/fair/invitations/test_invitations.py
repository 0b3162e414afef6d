"""Organizers' invitations (issue 17, item 6), end to end on both databases: inviting one
address (again: re-sent, no second row), an existing account admitted at once, the mail
read from the SMTP sink in the invitee's language, accepting from the link (a new account,
or signed in), the link's single use, expiry with the clock moved and forgery, revoking,
and a vetted fair that takes invited buyers and refuses the others."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from helpers import PASSWORD, login, make_client, make_user, read_scalar
from meeting_helpers import at_tokyo, book, booth_with_hours, next_weekday, run_jobs
from sqlalchemy import func, select

from fair.accounts.models import User
from fair.fairs.models import FairBuyer
from fair.i18n import translations
from fair.invitations.models import FairInvitation
from fair.resources import of_app

ORGANIZER = "organizer@example.com"  # made by booth_with_hours (the booth's approval)
HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_PASSWORD = "lantern orchid seventeen harbour"


def text_of(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def token_in(message: Any) -> str:
    found = re.search(r"http://\S+/invitations/([^\s?]+)\?lang=", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def link_for(inbox: Any, email: str) -> str:
    """The token of the latest invitation mailed to ``email``."""
    mails = [m for m in inbox.messages if m["To"] == email and "/invitations/" in text_of(m)]
    assert mails, [m["To"] for m in inbox.messages]
    return token_in(mails[-1])


async def count(session: Any, model: Any) -> int:
    return await read_scalar(session, select(func.count()).select_from(model))


async def vetted_fair(client: Any, session: Any) -> dict[str, Any]:
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await login(client, ORGANIZER)
    response = await client.patch("/api/fairs/2027-06", json={"buyer_admission": "vetted"})
    assert response.status_code == 200, response.text
    return {"booth": booth, "day": day}


async def invite(client: Any, email: str, role: str = "buyer", **extra: Any) -> Any:
    return await client.post(
        "/api/fairs/2027-06/invitations", json={"email": email, "role": role, **extra}
    )


async def test_an_invited_buyer_accepts_from_the_mail_and_books_in_a_vetted_fair(
    app, client, session, smtp, mail_context
):
    inbox, _ = smtp
    world = await vetted_fair(client, session)
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    sent = await invite(client, "Lan@Saigon.example", locale="vi", name="Lan")
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["action"] == "invite"
    assert body["invitation"]["email"] == "lan@saigon.example"  # folded
    assert body["invitation"]["status"] == "pending"
    assert await run_jobs(app, mail_context) == 1
    [mail] = inbox.messages
    assert mail["To"] == "lan@saigon.example"
    vi = translations("vi").ugettext
    assert mail["Subject"] == vi("You are invited to %(fair)s on Kakehashi") % {
        "fair": "Fair 2027-06"
    }
    token = token_in(mail)

    # Re-inviting re-sends: one row, a new link; the first mail's link no longer works.
    again = await invite(client, "lan@saigon.example", locale="vi")
    assert again.status_code == 201 and again.json()["action"] == "resend"
    assert await count(session, FairInvitation) == 1
    assert await run_jobs(app, mail_context) == 1
    newer = token_in(inbox.messages[-1])
    assert newer != token
    anonymous = make_client(app)
    stale = await anonymous.post(
        f"/api/invitations/{token}/accept", json={"name": "Lan", "password": NEW_PASSWORD}
    )
    assert stale.status_code == 400 and stale.json()["error"]["code"] == "invalid_link"

    # The page shows the invitation (GET changes nothing), the form accepts it.
    shown = await anonymous.get(f"/invitations/{newer}", headers=HTML)
    assert shown.status_code == 200 and "Fair 2027-06" in shown.text
    weak = await anonymous.post(
        f"/api/invitations/{newer}/accept", json={"name": "Lan", "password": "password"}
    )
    assert weak.status_code == 422
    assert await count(session, User) == 2  # the organizer and the exhibitor
    csrf = CSRF_RE.search(shown.text)
    assert csrf
    accepted = await anonymous.post(
        f"/invitations/{newer}",
        data={"csrf_token": csrf.group(1), "name": "Nguyễn Thị Lan", "password": NEW_PASSWORD},
        headers=HTML,
    )
    assert accepted.status_code == 303, accepted.text
    me = (await anonymous.get("/api/auth/me")).json()
    assert me["role"] == "buyer" and me["email_verified"] is True and me["locale"] == "vi"
    # Admitted: the vetted fair takes the booking.
    booked = await book(anonymous, world["booth"]["id"], at_tokyo(world["day"], 10))
    assert booked.status_code == 201, booked.text

    # Used once: the link does nothing more.
    reused = await anonymous.post(f"/api/invitations/{newer}/accept", json={})
    assert reused.status_code == 400
    listed = await client.get("/api/fairs/2027-06/invitations")
    assert [i["status"] for i in listed.json()["invitations"]] == ["accepted"]
    assert (await invite(client, "lan@saigon.example")).status_code == 409

    # Deleting the account deletes the invitation (its name and company are the person's).
    deleted = await anonymous.request("DELETE", "/api/me", json={"password": NEW_PASSWORD})
    assert deleted.status_code == 204, deleted.text
    assert await count(session, FairInvitation) == 0


async def test_a_vetted_fair_refuses_an_uninvited_buyer(app, client, session):
    world = await vetted_fair(client, session)
    await make_user(session, "buyer", "self@registered.example")
    await login(client, "self@registered.example")
    refused = await book(client, world["booth"]["id"], at_tokyo(world["day"], 10))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "buyer_not_admitted"


async def test_an_existing_account_is_admitted_at_once_and_told_in_its_language(
    app, client, session, smtp, mail_context
):
    inbox, _ = smtp
    await vetted_fair(client, session)
    await run_jobs(app, mail_context)
    inbox.messages.clear()
    buyer = await make_user(session, "buyer", "wei@shanghai.example", locale="zh_Hans")
    buyer_id = buyer.id
    await make_user(session, "exhibitor", "maker@osaka.example")

    sent = await invite(client, "wei@shanghai.example", locale="ja")
    assert sent.status_code == 201 and sent.json()["action"] == "admit"
    assert sent.json()["invitation"]["status"] == "accepted"
    status = await read_scalar(
        session, select(FairBuyer.status).where(FairBuyer.user_id == buyer_id)
    )
    assert status == "approved"
    assert await run_jobs(app, mail_context) == 1
    [mail] = inbox.messages
    zh = translations("zh_Hans").ugettext
    assert mail["Subject"] == zh("You have been added to %(fair)s") % {"fair": "Fair 2027-06"}

    # An address whose account has another role is refused, and nothing is written.
    wrong = await invite(client, "maker@osaka.example", role="buyer")
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "invitation_role_mismatch"
    assert await count(session, FairInvitation) == 1


async def test_a_signed_in_invitee_accepts_with_an_empty_body(
    app, client, session, smtp, mail_context
):
    inbox, _ = smtp
    await vetted_fair(client, session)
    # Not confirmed yet: the link is mailed (whoever registered may not own the address).
    await make_user(session, "buyer", "ana@lima.example", verified=False)
    sent = await invite(client, "ana@lima.example")
    assert sent.json()["action"] == "invite"
    await run_jobs(app, mail_context)
    token = link_for(inbox, "ana@lima.example")

    other = make_client(app)
    await make_user(session, "buyer", "someone@else.example")
    await login(other, "someone@else.example")
    refused = await other.post(f"/api/invitations/{token}/accept", json={})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "invitation_other_account"

    anonymous = make_client(app)
    exists = await anonymous.post(
        f"/api/invitations/{token}/accept", json={"name": "Ana", "password": NEW_PASSWORD}
    )
    assert exists.status_code == 409

    owner = make_client(app)
    await login(owner, "ana@lima.example", PASSWORD)
    accepted = await owner.post(f"/api/invitations/{token}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["created"] is False
    assert accepted.json()["user"]["email_verified"] is True  # the link proved the address


async def test_expired_revoked_and_forged_links_change_nothing(
    app, client, session, smtp, mail_context, stopped_clock
):
    inbox, _ = smtp
    await vetted_fair(client, session)
    await invite(client, "late@example.com")
    await invite(client, "revoked@example.com")
    await run_jobs(app, mail_context)
    tokens = {
        email: link_for(inbox, email) for email in ("late@example.com", "revoked@example.com")
    }
    listed = (await client.get("/api/fairs/2027-06/invitations")).json()["invitations"]
    revoked_id = next(i["id"] for i in listed if i["email"] == "revoked@example.com")
    assert (await client.delete(f"/api/fairs/2027-06/invitations/{revoked_id}")).status_code == 204
    assert (await client.delete("/api/fairs/2027-06/invitations/nope")).status_code == 404

    anonymous = make_client(app)
    body = {"name": "Someone", "password": NEW_PASSWORD}
    revoked = await anonymous.post(
        f"/api/invitations/{tokens['revoked@example.com']}/accept", json=body
    )
    assert revoked.status_code == 400
    days = of_app(app).settings.invitation_days
    stopped_clock.advance(timedelta(days=days, seconds=1))
    late = await anonymous.post(f"/api/invitations/{tokens['late@example.com']}/accept", json=body)
    assert late.status_code == 400 and late.json()["error"]["code"] == "invalid_link"
    for forged in ("x" * 43, "A" * 500, tokens["late@example.com"][:-2] + "zz"):
        response = await anonymous.post(f"/api/invitations/{forged}/accept", json=body)
        assert response.status_code == 400, forged
        assert (await anonymous.get(f"/invitations/{forged}", headers=HTML)).status_code == 400
    assert await count(session, User) == 2
    await login(client, ORGANIZER)  # the session may have expired with the days moved
    listed = (await client.get("/api/fairs/2027-06/invitations")).json()["invitations"]
    assert sorted(i["status"] for i in listed) == ["expired", "revoked"]

    # Sending again revives it with a new term and link.
    resent = await invite(client, "late@example.com")
    assert resent.json()["action"] == "resend"
    assert resent.json()["invitation"]["status"] == "pending"


async def test_only_organizers_invite_and_bad_input_is_refused(app, client, session):
    await vetted_fair(client, session)
    for body in (
        {"email": "not-an-address", "role": "buyer"},
        {"email": "a@example.com", "role": "organizer"},
        {"email": "a@example.com", "role": "buyer", "locale": "xx"},
        {"email": "a@example.com", "role": "buyer", "country": "ZZZ"},
    ):
        response = await client.post("/api/fairs/2027-06/invitations", json=body)
        assert response.status_code == 422, body
    assert (await invite(client, "a@example.com")).status_code == 201
    missing = await client.post(
        "/api/fairs/nope/invitations", json={"email": "b@x.example", "role": "buyer"}
    )
    assert missing.status_code == 404
    await make_user(session, "buyer", "b@example.com")
    await login(client, "b@example.com")
    assert (await invite(client, "c@example.com")).status_code == 403
    assert (await client.get("/api/fairs/2027-06/invitations")).status_code == 403
    assert await count(session, FairInvitation) == 1


async def test_accepting_through_the_api_makes_the_account_and_signs_it_in(
    app, client, session, smtp, mail_context
):
    inbox, _ = smtp
    await vetted_fair(client, session)
    await invite(client, "maker@niigata.example", role="exhibitor", locale="ja", company="燕工房")
    await run_jobs(app, mail_context)
    token = link_for(inbox, "maker@niigata.example")
    newcomer = make_client(app)
    nameless = await newcomer.post(
        f"/api/invitations/{token}/accept", json={"password": NEW_PASSWORD}
    )
    assert nameless.status_code == 422
    accepted = await newcomer.post(
        f"/api/invitations/{token}/accept", json={"name": "Ken", "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["fair"], body["role"], body["created"]) == ("2027-06", "exhibitor", True)
    me = (await newcomer.get("/api/auth/me")).json()
    assert (me["email"], me["role"], me["company"], me["locale"]) == (
        "maker@niigata.example",
        "exhibitor",
        "燕工房",
        "ja",
    )
