"""Companies with members, end to end: a registration makes a one-member company; its owner
invites a colleague by e-mail (the mail read from the SMTP sink, its link single-use,
expiring with the clock moved, unforgeable); members list, leave and are removed, never the
last owner; outsiders find nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from booth_helpers import TSUBAME, create_booth, exhibitor, make_fair
from helpers import PASSWORD, login, make_colleague, make_user, read_scalar, registration
from meeting_helpers import run_jobs
from sqlalchemy import func, select

from fair.accounts.companies import INVITATIONS_PER_DAY, name_key
from fair.accounts.models import CompanyInvitation, CompanyMember, User
from fair.accounts.tokens import token_of
from fair.i18n import translations
from fair.resources import of_app

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
COLLEAGUE = "aiko@tsubame.example"


def link_token(message: Any) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"http://\S+/invitations/(\S+)", text)
    assert found, text
    return found.group(1)


async def mine(client: Any) -> Any:
    return await client.get("/api/companies/mine")


async def owner_with_company(client: Any, session: Any) -> tuple[Any, str]:
    user = await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    company_id = (await mine(client)).json()["company"]["id"]
    return user, company_id


async def invite(client: Any, company_id: str, email: str = COLLEAGUE, **extra: Any) -> Any:
    return await client.post(
        f"/api/companies/{company_id}/invitations", json={"email": email, **extra}
    )


def test_a_company_name_folds_case_spacing_and_punctuation():
    assert name_key("  SECTEST   delta co., ltd ") == name_key("Sectest Delta Co., Ltd.")
    assert name_key("Ｔｓｕｂａｍｅ") == "tsubame"
    assert name_key("燕研磨") != name_key("燕研削")


async def test_registration_makes_a_one_member_company(client):
    data = registration(role="exhibitor", company="Tsubame  Migaki")
    assert (await client.post("/api/auth/register", json=data)).status_code == 201
    found = (await mine(client)).json()
    assert found["company"] == {
        "id": found["company"]["id"],
        "name": "Tsubame Migaki",
        "kind": "exhibitor",
        "country": "VN",
        "role": "owner",
        "confirmed": False,
    }
    assert [(m["email"], m["role"]) for m in found["members"]] == [(data["email"], "owner")]


async def test_staff_have_no_company(client, session):
    await make_user(session, "organizer", "org@city.example")
    await login(client, "org@city.example")
    answer = await mine(client)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "company_not_found")


async def test_an_invited_colleague_makes_an_account_and_edits_the_booth(
    app, client, session, smtp, mail_context
):
    await make_fair(session)
    _, company_id = await owner_with_company(client, session)
    booth = await create_booth(client)
    made = await invite(client, company_id)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == COLLEAGUE
    assert await run_jobs(app, mail_context) == 1
    (mail,) = smtp[0].messages
    # Nobody has this address yet: the mail is in the inviter's language (English here).
    assert mail["To"] == COLLEAGUE
    assert mail["Subject"] == "Tsubame Migaki invites you to Kakehashi"
    token = link_token(mail)

    client.cookies.clear()
    shown = await client.get(f"/invitations/{token}", headers=HTML)
    assert shown.status_code == 200 and "Tsubame Migaki" in shown.text
    joined = await client.post(
        f"/api/invitations/{token}/accept", json={"name": "Aiko Sato", "password": PASSWORD}
    )
    assert joined.status_code == 201, joined.text
    body = joined.json()
    assert body["created"] is True
    assert (body["user"]["role"], body["user"]["email_verified"]) == ("exhibitor", True)
    assert (body["company"]["id"], body["company"]["role"]) == (company_id, "member")
    # Signed in as the new colleague, who may now edit the company's booth.
    edited = await client.patch(f"/api/booths/{booth['id']}", json={"city": "Sanjo"})
    assert edited.status_code == 200, edited.text
    members = (await client.get(f"/api/companies/{company_id}/members")).json()["members"]
    assert [(m["email"], m["role"]) for m in members] == [
        ("kenji@tsubame.example", "owner"),
        (COLLEAGUE, "member"),
    ]
    # The link worked once: the page says so, the API refuses it.
    client.cookies.clear()
    again = await client.post(
        f"/api/invitations/{token}/accept", json={"name": "Someone", "password": PASSWORD}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_link")
    assert (await client.get(f"/invitations/{token}", headers=HTML)).status_code == 404


async def test_the_invitation_page_makes_the_account_with_its_csrf_token(app, client, session):
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    token = await _newest_token(app)
    client.cookies.clear()
    shown = await client.get(f"/invitations/{token}", headers=HTML)
    csrf = CSRF_RE.search(shown.text)
    assert csrf
    forged = await client.post(
        f"/invitations/{token}", data={"name": "Aiko", "password": PASSWORD}, headers=HTML
    )
    assert forged.status_code == 403  # no CSRF token: nothing made
    sent = await client.post(
        f"/invitations/{token}",
        data={"csrf_token": csrf.group(1), "name": "Aiko Sato", "password": PASSWORD},
        headers=HTML,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/account?done=joined")
    assert (await mine(client)).json()["company"]["id"] == company_id


async def test_a_signed_in_invitee_joins_with_an_empty_body(app, client, session):
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    token = await _newest_token(app)
    await exhibitor(client, session, COLLEAGUE, "Aiko's own shop")
    joined = await client.post(f"/api/invitations/{token}/accept", json={})
    assert joined.status_code == 200, joined.text
    assert joined.json()["created"] is False
    found = (await mine(client)).json()["company"]
    assert (found["id"], found["role"], found["name"]) == (company_id, "member", "Tsubame Migaki")


async def test_an_invitation_is_for_its_address_only(app, client, session):
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    token = await _newest_token(app)
    await exhibitor(client, session, "stranger@example.net", "Stranger Ltd")
    taken = await client.post(f"/api/invitations/{token}/accept", json={})
    assert (taken.status_code, taken.json()["error"]["code"]) == (403, "invitation_for_others")
    # Nothing was spent: the invitee can still use it.
    async with of_app(app).sessionmaker() as s:
        assert await read_scalar(s, select(CompanyInvitation.used_at)) is None


async def test_an_invitation_expires(app, client, session, stopped_clock):
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    token = await _newest_token(app)
    stopped_clock.advance(timedelta(days=7, seconds=1))
    client.cookies.clear()
    late = await client.post(
        f"/api/invitations/{token}/accept", json={"name": "Aiko", "password": PASSWORD}
    )
    assert (late.status_code, late.json()["error"]["code"]) == (400, "invalid_link")
    async with of_app(app).sessionmaker() as s:
        found = await read_scalar(s, select(User.id).where(User.email == COLLEAGUE))
    assert found is None


async def test_a_forged_or_foreign_token_is_refused(app, client, session):
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    async with of_app(app).sessionmaker() as s:
        row_id = await read_scalar(s, select(CompanyInvitation.id))
    client.cookies.clear()
    for token in (
        token_of(row_id, "company-invitation", "another secret key"),
        token_of(row_id, "verify", of_app(app).settings.secret_key),
        "x" * 200,
    ):
        answer = await client.post(
            f"/api/invitations/{token}/accept", json={"name": "Aiko", "password": PASSWORD}
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_link")


async def test_only_an_owner_invites_and_outsiders_find_nothing(client, session):
    kenji, company_id = await owner_with_company(client, session)
    await make_colleague(session, kenji, "sales@tsubame.example")
    await login(client, "sales@tsubame.example")
    refused = await invite(client, company_id)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_company_owner")
    assert (await client.get(f"/api/companies/{company_id}/members")).status_code == 200
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    for answer in (
        await client.get(f"/api/companies/{company_id}/members"),
        await invite(client, company_id),
        await client.delete(f"/api/companies/{company_id}/members/{kenji.id}"),
    ):
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "company_not_found")


async def test_invitations_are_rate_limited(client, session):
    _, company_id = await owner_with_company(client, session)
    for number in range(INVITATIONS_PER_DAY):
        assert (await invite(client, company_id, f"p{number}@tsubame.example")).status_code == 201
    over = await invite(client, company_id, "one-more@tsubame.example")
    assert over.status_code == 429 and "retry-after" in over.headers


async def test_an_unconfirmed_owner_invites_no_one(client):
    data = registration(role="exhibitor", company="Tsubame Migaki")
    assert (await client.post("/api/auth/register", json=data)).status_code == 201
    company_id = (await mine(client)).json()["company"]["id"]
    refused = await invite(client, company_id)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "email_not_verified")


async def test_the_last_owner_cannot_leave_but_a_member_can(client, session):
    kenji, company_id = await owner_with_company(client, session)
    aiko = await make_colleague(session, kenji, COLLEAGUE)
    await login(client, "kenji@tsubame.example")
    last = await client.delete(f"/api/companies/{company_id}/members/{kenji.id}")
    assert (last.status_code, last.json()["error"]["code"]) == (409, "last_owner")
    await login(client, COLLEAGUE)
    other = await client.delete(f"/api/companies/{company_id}/members/{kenji.id}")
    assert other.status_code == 403  # a member removes no one but themselves
    left = await client.delete(f"/api/companies/{company_id}/members/{aiko.id}")
    assert left.status_code == 204
    assert (await client.get(f"/api/companies/{company_id}/members")).status_code == 404
    assert (await mine(client)).status_code == 404


async def test_an_owner_removes_a_member_who_then_manages_nothing(client, session):
    await make_fair(session)
    kenji, company_id = await owner_with_company(client, session)
    booth = await create_booth(client)
    aiko = await make_colleague(session, kenji, COLLEAGUE)
    removed = await client.delete(f"/api/companies/{company_id}/members/{aiko.id}")
    assert removed.status_code == 204
    await login(client, COLLEAGUE)
    edit = await client.patch(f"/api/booths/{booth['id']}", json={"city": "Sanjo"})
    assert edit.status_code == 403


async def test_a_person_with_colleagues_cannot_join_another_company(app, client, session):
    await make_fair(session)
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id, "owner@seki.example")).status_code == 201
    token = await _newest_token(app)
    await exhibitor(client, session, "owner@seki.example", "Seki Kaji")
    await client.post("/api/fairs/2027-06/booths", json=TSUBAME)  # Seki Kaji has a booth
    refused = await client.post(f"/api/invitations/{token}/accept", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "already_in_company")
    async with of_app(app).sessionmaker() as s:
        count = await read_scalar(
            s,
            select(func.count())
            .select_from(CompanyMember)
            .where(CompanyMember.company_id == company_id),
        )
    assert count == 1


async def test_the_mail_is_in_the_invitees_language_when_they_have_an_account(
    app, client, session, smtp, mail_context
):
    await make_user(session, "exhibitor", COLLEAGUE, locale="ja")
    _, company_id = await owner_with_company(client, session)
    assert (await invite(client, company_id)).status_code == 201
    assert await run_jobs(app, mail_context) == 1
    (mail,) = smtp[0].messages
    expected = translations("ja").ugettext("%(company)s invites you to Kakehashi")
    assert mail["Subject"] == expected % {"company": "Tsubame Migaki"}


async def _newest_token(app: Any) -> str:
    async with of_app(app).sessionmaker() as s:
        row_id = await read_scalar(
            s,
            select(CompanyInvitation.id).order_by(CompanyInvitation.created_at.desc()).limit(1),
        )
    return token_of(row_id, "company-invitation", of_app(app).settings.secret_key)


async def test_an_organizer_confirms_who_a_company_is(client, session):
    _, company_id = await owner_with_company(client, session)
    refused = await client.post(f"/api/companies/{company_id}/confirm")
    assert refused.status_code == 403
    assert (await mine(client)).json()["company"]["confirmed"] is False
    await make_user(session, "organizer", "org@city.example")
    await login(client, "org@city.example")
    confirmed = await client.post(f"/api/companies/{company_id}/confirm")
    assert (confirmed.status_code, confirmed.json()["confirmed"]) == (200, True)
    assert (await client.post("/api/companies/nothing/confirm")).status_code == 404
    await login(client, "kenji@tsubame.example")
    assert (await mine(client)).json()["company"]["confirmed"] is True
    page = await client.get("/account", headers=HTML)
    assert "Confirmed by the organizers" in page.text


async def test_organizers_see_a_name_two_companies_claim_and_confirm_the_real_one(client, session):
    """A squatter registered the real company's name first, spelled oddly: the organizers'
    list marks the clash, an organizer confirms the real one from the page (CSRF), and its
    booth then shows it; staff read the list but confirm nothing; others see none of it."""
    await make_fair(session)
    await exhibitor(client, session, "squat@elsewhere.example", "TSUBAME   migaki")
    squatter_id = (await mine(client)).json()["company"]["id"]
    _, real_id = await owner_with_company(client, session)  # "Tsubame Migaki"
    booth = await create_booth(client)
    assert (await client.get("/api/companies")).status_code == 403
    await make_user(session, "buyer", "lan@saigon.example", company="Saigon Home")
    await make_user(session, "organizer", "org@city.example")
    await make_user(session, "staff", "staff@city.example")
    await login(client, "org@city.example")

    clashing = await client.get("/api/companies", params={"show": "clashing"})
    assert clashing.status_code == 200
    found = {item["id"]: item for item in clashing.json()["items"]}
    assert set(found) == {squatter_id, real_id}  # the buyer's company claims no other's name
    assert found[real_id]["clashes_with"] == [squatter_id]
    assert (found[real_id]["members"], found[real_id]["confirmed"]) == (1, False)
    bad = await client.get("/api/companies", params={"show": "everything"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid")

    shown = await client.get("/organizer/companies?show=clashing", headers=HTML)
    assert shown.status_code == 200
    assert "The same name as 1 other company" in shown.text
    csrf = CSRF_RE.search(shown.text)
    assert csrf
    url = f"/organizer/companies/{real_id}/confirm"
    forged = await client.post(url, data={"show": "clashing"}, headers=HTML)
    assert forged.status_code == 403  # no CSRF token: nothing confirmed
    sent = await client.post(
        url, data={"csrf_token": csrf.group(1), "show": "clashing"}, headers=HTML
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/organizer/companies?show=clashing&done=confirmed"
    confirmed = (await client.get("/api/companies", params={"show": "confirmed"})).json()
    assert [item["id"] for item in confirmed["items"]] == [real_id]
    pending = (await client.get("/api/companies", params={"show": "pending"})).json()
    assert real_id not in {item["id"] for item in pending["items"]}
    assert squatter_id in {item["id"] for item in pending["items"]}

    await login(client, "staff@city.example")
    assert (await client.get("/api/companies")).status_code == 200
    refused = await client.post(f"/api/companies/{squatter_id}/confirm")
    assert refused.status_code == 403
    await login(client, "kenji@tsubame.example")
    page = await client.get(f"/booths/{booth['id']}", headers=HTML)
    assert "Confirmed by the organizers" in page.text
