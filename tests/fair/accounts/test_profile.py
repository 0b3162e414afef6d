"""The profile: PATCH /api/me and the account page's form, each bad input refused with
nothing changed; the working day feeding "good for both"; the time zone the slot views
follow; the e-mail change, confirmed from the new address (read from the SMTP sink) and
told to the old one, its link single-use, expiring, the account's own."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from helpers import PASSWORD, login, make_client, make_user, read_scalar, registration
from meeting_helpers import booth_with_hours, buyer, next_weekday, run_jobs
from sqlalchemy import func, select

from fair.accounts.models import AccountToken, User
from fair.accounts.tokens import token_of
from fair.i18n import translations
from fair.resources import of_app
from meetings.goodhours import Party, holiday

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_ADDRESS = "lan.nguyen@saomai-import.example"
PROFILE = {
    "name": "Nguyễn Thị Lan",
    "position": "Sourcing manager",
    "country": "TH",
    "timezone": "Asia/Bangkok",
    "languages": ["vi", "en", "th"],
    "locale": "th",
    "working_hours": {"start": "08:30", "end": "17:15"},
}


async def me(client: Any) -> Any:
    return await client.get("/api/me")


def inbox_of(smtp: Any) -> list[Any]:
    return smtp[0].messages


def text_of(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: Any, path: str) -> str:
    found = re.search(rf"http://\S+{re.escape(path)}(\S+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


async def csrf_of(client: Any, url: str = "/account") -> str:
    shown = await client.get(url, headers=HTML)
    assert shown.status_code == 200, shown.text
    found = CSRF_RE.search(shown.text)
    assert found
    return found.group(1)


# The profile ------------------------------------------------------------------------------


async def test_the_profile_round_trips_through_patch(client, session):
    await buyer(client, session)
    before = (await me(client)).json()
    assert (before["position"], before["languages"], before["working_hours"]) == (
        "",
        [],
        {"start": "09:00", "end": "18:00"},
    )
    changed = await client.patch("/api/me", json=PROFILE)
    assert changed.status_code == 200, changed.text
    expected = {**before, **PROFILE}
    assert changed.json() == expected
    assert (await me(client)).json() == expected
    assert (await client.get("/api/auth/me")).json() == expected

    # Only what is sent changes.
    moved = await client.patch("/api/me", json={"timezone": "Asia/Ho_Chi_Minh"})
    assert moved.json() == {**expected, "timezone": "Asia/Ho_Chi_Minh"}


BAD_PROFILES = [
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"position": "x" * 121}, "position"),
    ({"country": "XX"}, "country"),
    ({"country": "Vietnam"}, "country"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "America/Argentina"}, "timezone"),  # a folder of zones, no zone
    ({"timezone": "GMT+7"}, "timezone"),
    ({"languages": ["vi", "klingon"]}, "languages.1"),
    ({"languages": "vi"}, "languages"),
    ({"locale": "de"}, "locale"),
    ({"working_hours": {"start": "18:00", "end": "09:00"}}, "working_hours"),
    ({"working_hours": {"start": "09:00", "end": "09:00"}}, "working_hours"),
    ({"working_hours": {"start": "9am", "end": "18:00"}}, "working_hours.start"),
    ({"working_hours": {"start": "09:00", "end": "24:00"}}, "working_hours.end"),
    ({"working_hours": {"start": "09:00"}}, "working_hours.end"),
    ({"working_hours": None}, "working_hours"),
    ({"email": "someone@else.example"}, "email"),  # changed only through the mailed link
    ({"role": "organizer"}, "role"),
    ({"nickname": "Lan"}, "nickname"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PROFILES, ids=[f for _, f in BAD_PROFILES])
async def test_bad_profile_input_is_refused_and_changes_nothing(client, session, body, field):
    await buyer(client, session)
    before = (await me(client)).json()
    refused = await client.patch("/api/me", json={"position": "Buyer", **body})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field])
    assert (await me(client)).json() == before


async def test_the_profile_is_the_signed_in_persons_own(client):
    assert (await me(client)).status_code == 401
    refused = await client.patch("/api/me", json={"name": "Anyone"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "not_authenticated")


async def test_the_profile_form_saves_and_names_each_problem_in_the_persons_language(
    client, session
):
    await buyer(client, session, locale="ja")
    csrf = await csrf_of(client)
    form = {
        "csrf_token": csrf,
        "name": "Lan",
        "position": "Buyer",
        "country": "VN",
        "timezone": "Mars/Olympus",
        "locale": "ja",
        "languages": ["vi", "ja"],
        "day_start": "18:00",
        "day_end": "09:00",
    }
    refused = await client.post("/account/profile", data=form, headers=HTML)
    assert refused.status_code == 422
    ja = translations("ja").ugettext
    for message in ("Unknown time zone.", "The working day must end after it starts."):
        assert ja(message) != message
        assert ja(message) in refused.text
    assert 'id="e-timezone"' in refused.text and 'id="e-day_end"' in refused.text
    assert 'value="Lan"' in refused.text  # what was typed stays in the form
    assert (await me(client)).json()["name"] == "Test Person"

    saved = await client.post(
        "/account/profile",
        data={**form, "timezone": "Asia/Bangkok", "day_start": "08:00", "day_end": "16:30"},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/account?done=profile")
    profile = (await me(client)).json()
    assert (profile["name"], profile["timezone"], profile["languages"]) == (
        "Lan",
        "Asia/Bangkok",
        ["vi", "ja"],
    )
    assert profile["working_hours"] == {"start": "08:00", "end": "16:30"}
    page = await client.get("/account", headers=HTML)
    assert page.text.count('<option value="Asia/Bangkok" selected>') == 1


# Working hours and time zone in the slot views ---------------------------------------------


def _working_day_in_both() -> date:
    """A weekday that is no public holiday in Japan or Vietnam (good-for-both needs one)."""
    after = 20
    day = next_weekday(after)
    while any(holiday(Party("UTC", country), day) for country in ("JP", "VN")):
        after += 1
        day = next_weekday(after)
    return day


async def _good_at(client: Any, booth_id: str, day: date) -> dict[str, bool]:
    """Each slot's mark by its time in Tokyo (the booth's zone), as the API lists them."""
    params = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    listed = await client.get(f"/api/booths/{booth_id}/slots", params=params)
    assert listed.status_code == 200, listed.text
    return {s["booth_local_start"][11:16]: s["good_for_both"] for s in listed.json()["slots"]}


async def test_good_for_both_follows_the_buyers_working_hours(client, session):
    day = _working_day_in_both()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)  # in Ho Chi Minh City, two hours behind Tokyo
    marks = await _good_at(client, booth["id"], day)
    # 10:00 in Tokyo is 8:00 for the buyer: before their (default) day starts.
    assert (marks["10:00"], marks["11:00"], marks["16:30"]) == (False, True, True)

    await client.patch("/api/me", json={"working_hours": {"start": "07:30", "end": "14:00"}})
    marks = await _good_at(client, booth["id"], day)
    assert (marks["10:00"], marks["11:00"], marks["16:30"]) == (True, True, False)
    # The booking page's "best times for both" follow too.
    page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
    best = page.text.split('class="best-times"')[1].split("</section>")[0]
    assert f'data-start="{day.isoformat()}T01:00:00+00:00"' in best  # 10:00 in Tokyo


async def test_slot_views_follow_the_profile_time_zone(client, session):
    day = _working_day_in_both()
    booth = await booth_with_hours(client, session, first=day)
    await buyer(client, session)
    params = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    url = f"/api/booths/{booth['id']}/slots"
    first = (await client.get(url, params=params)).json()
    assert first["timezone"] == "Asia/Ho_Chi_Minh"
    assert first["slots"][0]["start"].endswith("+07:00")

    await client.patch("/api/me", json={"timezone": "America/Chicago"})
    moved = (await client.get(url, params=params)).json()
    assert moved["timezone"] == "America/Chicago"
    assert {s["start"][-6:] for s in moved["slots"]} <= {"-05:00", "-06:00"}
    page = await client.get(f"/booths/{booth['id']}/book", headers=HTML)
    assert 'name="tz" list="timezones" value="America/Chicago"' in page.text


# Changing the e-mail address ---------------------------------------------------------------


async def _ask(client: Any, email: str = NEW_ADDRESS, password: str = PASSWORD) -> Any:
    return await client.post("/api/me/email", json={"email": email, "password": password})


async def _newest_link(app: Any) -> str:
    async with of_app(app).sessionmaker() as s:
        row_id = await read_scalar(
            s,
            select(AccountToken.id)
            .where(AccountToken.purpose == "email_change")
            .order_by(AccountToken.created_at.desc())
            .limit(1),
        )
    return token_of(row_id, "email_change", of_app(app).settings.secret_key)


async def _confirm(client: Any, token: str) -> Any:
    return await client.post("/api/me/email/confirm", json={"token": token})


async def test_an_address_changes_from_the_link_mailed_to_it_and_the_old_one_is_told(
    app, client, session, smtp, mail_context
):
    await buyer(client, session, locale="th")
    async with make_client(app) as phone:
        await login(phone, "lan@saigon.example")
        asked = await client.post(
            "/account/email",
            data={"csrf_token": await csrf_of(client), "email": NEW_ADDRESS, "password": PASSWORD},
        )
        assert (asked.status_code, asked.headers["location"]) == (303, "/account?done=email-sent")
        assert NEW_ADDRESS in (await client.get("/account", headers=HTML)).text  # pending
        assert (await me(client)).json()["email"] == "lan@saigon.example"
        assert await run_jobs(app, mail_context) == 2

        th = translations("th").ugettext
        mails = {m["To"]: m for m in inbox_of(smtp)}
        assert set(mails) == {NEW_ADDRESS, "lan@saigon.example"}
        link_mail, notice = mails[NEW_ADDRESS], mails["lan@saigon.example"]
        assert link_mail["Subject"] == th("Confirm your new e-mail address for Kakehashi")
        assert notice["Subject"] == th("Someone asked to change your Kakehashi e-mail address")
        assert NEW_ADDRESS in text_of(notice) and "/password-reset" in text_of(notice)
        assert "/account/email/" not in text_of(notice)  # the link goes to the new address only
        token = link_in(link_mail, "/account/email/")

        # Opening the link (as a mail scanner would) changes nothing.
        shown = await client.get(f"/account/email/{token}", headers=HTML)
        assert shown.status_code == 200 and 'method="post"' in shown.text
        assert (await me(client)).json()["email"] == "lan@saigon.example"
        pressed = await client.post(
            f"/account/email/{token}", data={"csrf_token": CSRF_RE.search(shown.text).group(1)}
        )
        assert (pressed.status_code, pressed.headers["location"]) == (303, "/account?done=email")

        changed = (await me(client)).json()
        assert (changed["email"], changed["email_verified"]) == (NEW_ADDRESS, True)
        assert (await me(phone)).status_code == 401  # every other session ended
        await login(phone, NEW_ADDRESS)
        old = await phone.post(
            "/api/auth/login", json={"email": "lan@saigon.example", "password": PASSWORD}
        )
        assert old.status_code == 401
        again = await _confirm(client, token)
        assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_link")


async def test_an_unconfirmed_account_fixes_a_mistyped_address(
    app, client, session, smtp, mail_context
):
    """A buyer who mistyped their address at sign-up: the stranger's address gets nothing
    more than the verification link, the right one gets the change's link."""
    data = registration(email="lan@saigon-tradng.example")
    assert (await client.post("/api/auth/register", json=data)).status_code == 201
    assert (await _ask(client, "lan@saigon-trading.example")).status_code == 202
    await run_jobs(app, mail_context)
    assert sorted(m["To"] for m in inbox_of(smtp)) == [
        "lan@saigon-trading.example",
        "lan@saigon-tradng.example",  # the verification link of the sign-up, no notice
    ]
    assert (await _confirm(client, await _newest_link(app))).status_code == 200
    profile = (await me(client)).json()
    assert (profile["email"], profile["email_verified"]) == ("lan@saigon-trading.example", True)
    # The welcome follows, to the confirmed address, as after a verification.
    assert await run_jobs(app, mail_context) == 1
    welcome = inbox_of(smtp)[-1]
    assert (welcome["To"], welcome["Subject"]) == (
        "lan@saigon-trading.example",
        translations("vi").ugettext("Welcome to Kakehashi"),
    )


async def test_an_address_change_needs_the_password(app, client, session):
    await buyer(client, session)
    wrong = await _ask(client, password="not my password at all")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "wrong_password")
    assert list(wrong.json()["error"]["fields"]) == ["password"]
    missing = await client.post("/api/me/email", json={"email": NEW_ADDRESS})
    assert (missing.status_code, list(missing.json()["error"]["fields"])) == (422, ["password"])
    for email, status in (("not-an-address", 422), ("LAN@saigon.example ", 422)):
        assert (await _ask(client, email)).status_code == status
    assert await read_scalar(session, select(func.count()).select_from(AccountToken)) == 0
    async with make_client(app) as anonymous:
        assert (await _ask(anonymous)).status_code == 401


async def test_an_address_change_link_expires(app, client, session, stopped_clock):
    await buyer(client, session)
    assert (await _ask(client)).status_code == 202
    token = await _newest_link(app)
    stopped_clock.advance(timedelta(hours=of_app(app).settings.verification_hours, seconds=1))
    late = await _confirm(client, token)
    assert (late.status_code, late.json()["error"]["code"]) == (400, "invalid_link")
    assert (await me(client)).json()["email"] == "lan@saigon.example"


async def test_only_the_newest_link_works(app, client, session):
    await buyer(client, session)
    assert (await _ask(client, "typo@saomai-imprt.example")).status_code == 202
    first = await _newest_link(app)
    assert (await _ask(client)).status_code == 202
    assert (await _confirm(client, first)).status_code == 400
    assert (await _confirm(client, await _newest_link(app))).status_code == 200
    assert (await me(client)).json()["email"] == NEW_ADDRESS


async def test_a_taken_address_is_refused_when_confirmed(app, client, session):
    await buyer(client, session)
    await make_user(session, "buyer", NEW_ADDRESS)
    free = await _ask(client, "nobody.yet@saomai-import.example")
    taken = await _ask(client)
    # The same answer either way: the request tells nobody who has an account.
    assert (taken.status_code, taken.content) == (free.status_code, free.content)
    assert taken.status_code == 202
    token = await _newest_link(app)
    refused = await _confirm(client, token)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], list(error["fields"])) == ("email_taken", ["email"])
    assert (await me(client)).json()["email"] == "lan@saigon.example"
    # Spent it was not: once the other account has let the address go, the link works.
    await session.execute(
        User.__table__.update().where(User.email == NEW_ADDRESS).values(email="gone@x.example")
    )
    await session.commit()
    assert (await _confirm(client, token)).status_code == 200


async def test_another_accounts_link_is_refused_and_stays_usable(app, client, session):
    await buyer(client, session)
    assert (await _ask(client)).status_code == 202
    token = await _newest_link(app)
    async with make_client(app) as wang:
        await make_user(session, "buyer", "wang@hengtai.example")
        await login(wang, "wang@hengtai.example")
        stolen = await _confirm(wang, token)
        assert (stolen.status_code, stolen.json()["error"]["code"]) == (400, "invalid_link")
        assert (await me(wang)).json()["email"] == "wang@hengtai.example"
        csrf = await csrf_of(wang, f"/account/email/{token}")
        page = await wang.post(f"/account/email/{token}", data={"csrf_token": csrf}, headers=HTML)
        assert page.status_code == 400
    assert (await _confirm(client, token)).status_code == 200
    assert (await me(client)).json()["email"] == NEW_ADDRESS


async def test_the_link_asks_to_sign_in_first(app, client, session):
    await buyer(client, session)
    await _ask(client)
    token = await _newest_link(app)
    async with make_client(app) as browser:
        shown = await browser.get(f"/account/email/{token}", headers=HTML)
        assert shown.status_code == 200
        assert f'href="/login?next=/account/email/{token}"' in shown.text
        assert (await _confirm(browser, token)).status_code == 401


async def test_changing_the_password_cancels_a_pending_address_change(app, client, session):
    await buyer(client, session)
    assert (await _ask(client)).status_code == 202
    token = await _newest_link(app)
    new_password = "lantern orchid seventeen harbour"
    changed = await client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": new_password}
    )
    assert changed.status_code == 204
    refused = await _confirm(client, token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_link")


async def test_address_changes_are_rate_limited(app, client, session, stopped_clock):
    settings = of_app(app).settings
    await buyer(client, session)
    for n in range(settings.verification_resend_max):
        assert (await _ask(client, f"lan{n}@saomai-import.example")).status_code == 202
    refused = await _ask(client)
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "link_rate_limited")
    assert int(refused.headers["retry-after"]) > 0
    stopped_clock.advance(timedelta(minutes=settings.account_mail_window_minutes))
    assert (await _ask(client)).status_code == 202


async def test_the_same_address_is_no_change(client, session):
    await buyer(client, session)
    same = await _ask(client, "Lan@Saigon.example")
    assert (same.status_code, list(same.json()["error"]["fields"])) == (422, ["email"])


async def test_the_booking_form_offers_an_interpreter_by_the_languages_spoken(client, session):
    booth = await booth_with_hours(client, session)  # meets in Japanese and English
    await buyer(client, session)
    url = f"/booths/{booth['id']}/book"

    def offered(page: str) -> list[str]:
        choice = page.split('id="f-interpreter"')[1].split("</select>")[0]
        return re.findall(r'<option value="(\w+)" selected>', choice)

    assert offered((await client.get(url, headers=HTML)).text) == []  # the profile says nothing
    await client.patch("/api/me", json={"languages": ["ja", "vi", "th"]})
    assert offered((await client.get(url, headers=HTML)).text) == []  # speaks Japanese
    await client.patch("/api/me", json={"languages": ["vi", "th"]})
    page = (await client.get(url, headers=HTML)).text
    assert offered(page) == ["vi"]
    assert 'name="interpreter_language" value="vi"' in page  # without the script too
