"""A person's rights over their data: "download my data" end to end (the job run, the mail
read from the SMTP sink, the link the owner's alone, refused once expired and its file then
purged), and "delete my account" (the conversion report unchanged, the person signed out for
good, the other side of a future meeting told, a wrong password changing nothing)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from typing import Any

from helpers import PASSWORD, login, make_client, make_user, read_scalar
from meeting_helpers import (
    at_tokyo,
    book,
    booth_with_hours,
    buyer,
    meeting_at,
    next_weekday,
    run_jobs,
)
from sqlalchemy import func, select, update

from booths.models import Booth, Media
from fair import clock, retention
from fair.accounts.models import ApiToken, DataExport, Session, User
from fair.resources import of_app
from matchmaking.models import Need, Proposal
from meetings.models import ChatMessage, Meeting, MeetingStatus

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PHOTO = b"\x89PNG\r\n\x1a\n" + b"kettle" * 100
EXHIBITOR = "kenji@tsubame.example"
BUYER = "lan@saigon.example"


def link_in(smtp: Any, to: str) -> str:
    """The download link's path in the last mail to ``to``."""
    mails = [m for m in smtp[0].messages if m["to"] == to]
    assert mails, [m["to"] for m in smtp[0].messages]
    text = mails[-1].get_body(("plain",)).get_content()
    found = re.search(r"http://\S+(/account/export/\S+)", text)
    assert found, text
    return found.group(1)


async def add_photo(app: Any, session: Any, booth_id: str) -> Media:
    """A photo uploaded to the booth, stored as the media code stores it."""
    digest = hashlib.sha256(PHOTO).hexdigest()
    key = f"originals/{digest[:2]}/{digest}.png"
    await of_app(app).storage.write(key, PHOTO)
    media = Media(
        booth_id=booth_id,
        kind="image",
        content_type="image/png",
        size=len(PHOTO),
        sha256=digest,
        storage_key=key,
        filename="kettle.png",
        status="ready",
    )
    session.add(media)
    await session.commit()
    return media


async def csrf_of(client: Any) -> str:
    shown = await client.get("/account", headers=HTML)
    assert shown.status_code == 200, shown.text
    found = CSRF_RE.search(shown.text)
    assert found
    return found.group(1)


# Download my data -----------------------------------------------------------------------------


async def test_download_my_data_end_to_end(app, client, session, mail_context, smtp, stopped_clock):
    booth = await booth_with_hours(client, session)
    photo = await add_photo(app, session, booth["id"])
    await login(client, EXHIBITOR)

    asked = await client.post("/api/me/export")
    assert asked.status_code == 202, asked.text
    assert await run_jobs(app, mail_context) >= 1
    path = link_in(smtp, EXHIBITOR)

    got = await client.get(path)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["cache-control"] == "private, no-store"
    assert "attachment" in got.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    data = json.loads(archive.read("account.json"))
    assert data["account"]["email"] == EXHIBITOR
    assert [b["id"] for b in data["booths"]] == [booth["id"]]
    (shown,) = data["booths"][0]["files"]
    assert shown["file"] == f"files/booths/{booth['id']}/{photo.id}-kettle.png"
    assert archive.read(shown["file"]) == PHOTO
    # Sessions are listed without the cookie's hash; nothing secret leaves.
    assert data["sessions"] and all("token" not in s for s in data["sessions"])
    assert all(len(s["id"]) == 32 for s in data["sessions"])

    # Someone else signed in, or nobody: the link is not theirs.
    async with make_client(app) as other:
        assert (await other.get(path)).status_code == 401
        await make_user(session, "buyer", BUYER)
        await login(other, BUYER)
        assert (await other.get(path)).status_code == 404
    for forged in ("/AAAA", "/%C3%A9t%C3%A9", "/" + "A" * 500):
        assert (await client.get(path.rsplit("/", 1)[0] + forged)).status_code == 404

    # Past its hours the link is gone, and the retention job deletes the file.
    stored = of_app(app).storage.path(await read_scalar(session, select(DataExport.storage_key)))
    assert stored.is_file()
    stopped_clock.advance(timedelta(hours=24, seconds=1))
    expired = await client.get(path)
    assert expired.status_code == 410
    assert "This download has expired" in expired.text
    async with of_app(app).sessionmaker() as tasks:
        await retention.queue_purge(tasks)
    assert await run_jobs(app, mail_context) == 1
    assert not stored.exists()
    assert (await client.get(path)).status_code == 410


async def test_download_my_data_is_limited_per_day(app, client, session, stopped_clock):
    await buyer(client, session)
    for _ in range(3):
        assert (await client.post("/api/me/export")).status_code == 202
    refused = await client.post("/api/me/export")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "export_rate_limited")
    assert int(refused.headers["retry-after"]) == 24 * 3600
    assert await read_scalar(session, select(func.count()).select_from(DataExport)) == 3
    stopped_clock.advance(timedelta(days=1, seconds=1))
    assert (await client.post("/api/me/export")).status_code == 202


async def test_download_my_data_needs_a_confirmed_address(client, session):
    await buyer(client, session, verified=False)
    refused = await client.post("/api/me/export")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "email_not_verified")
    assert await read_scalar(session, select(func.count()).select_from(DataExport)) == 0


async def test_the_account_page_asks_for_the_data(app, client, session):
    await buyer(client, session)
    csrf = await csrf_of(client)
    sent = await client.post("/account/export", data={"csrf_token": csrf})
    assert (sent.status_code, sent.headers["location"]) == (303, "/account?done=export")
    shown = await client.get("/account?done=export", headers=HTML)
    assert "We will e-mail you a download link" in shown.text
    assert await read_scalar(session, select(func.count()).select_from(DataExport)) == 1


# Delete my account ----------------------------------------------------------------------------


async def report(client: Any) -> Any:
    """The conversion report up to today, by buyer country and by language, as organizers
    read it."""
    await login(client, "organizer@example.com")
    today = clock.now().date().isoformat()
    answers = []
    for group_by in ("buyer_country", "language", "booth"):
        answer = await client.get(
            "/api/reports/conversion", params={"group_by": group_by, "to": today}
        )
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers


async def test_deleting_an_account_keeps_the_report_and_signs_out_for_good(
    app, client, session, mail_context, smtp
):
    booth = await booth_with_hours(client, session)
    lan = await buyer(client, session)
    lan_id, lan_name = lan.id, lan.name
    held = await meeting_at(session, booth["id"], lan_id, -timedelta(days=2))
    held_id = held.id
    await session.execute(
        update(Meeting)
        .where(Meeting.id == held_id)
        .values(attendance="held", stage="follow_up", note="Please bring samples")
    )
    session.add(ChatMessage(meeting_id=held_id, user_id=lan_id, side="buyer", body="My number"))
    session.add(Need(buyer_id=lan_id, text="Copper kettles for Hanoi"))
    await session.commit()
    coming_id = (await meeting_at(session, booth["id"], lan_id, timedelta(days=5))).id
    token = await client.post(
        "/api/tokens",
        json={
            "name": "CRM",
            "scopes": ["read"],
            "expires_on": (clock.now().date() + timedelta(days=30)).isoformat(),
        },
    )
    assert token.status_code == 201, token.text
    secret = token.json()["token"]
    before = await report(client)
    assert (before[0]["held"], before[0]["booked"]) == (1, 1)

    await login(client, BUYER)
    wrong = await client.request("DELETE", "/api/me", json={"password": "not my password"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "wrong_password")
    assert (await client.get("/api/me")).json()["name"] == lan_name
    assert (await read_scalar(session, select(Meeting.status).where(Meeting.id == coming_id))) == (
        MeetingStatus.CONFIRMED
    )

    deleted = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    assert (await client.get("/api/me")).status_code == 401
    again = await client.post("/api/auth/login", json={"email": BUYER, "password": PASSWORD})
    assert again.status_code == 401
    assert (
        await client.get("/api/me", headers={"authorization": f"Bearer {secret}"})
    ).status_code == 401

    tombstone = select(User.name, User.email, User.is_active, User.country)
    row = (await session.execute(tombstone.where(User.id == lan_id))).one()
    await session.rollback()
    assert tuple(row) == (
        "Deleted account",
        f"deleted-{lan_id}@deleted.invalid",
        False,
        "VN",
    )
    for model, owner in ((Session, Session.user_id), (ApiToken, ApiToken.user_id)):
        assert await read_scalar(session, select(func.count()).where(owner == lan_id)) == 0, model
    assert await read_scalar(session, select(func.count()).where(Need.buyer_id == lan_id)) == 0
    assert await read_scalar(session, select(ChatMessage.body)) == ""
    assert await read_scalar(session, select(Meeting.note).where(Meeting.id == held_id)) == ""
    assert (await read_scalar(session, select(Meeting.status).where(Meeting.id == coming_id))) == (
        MeetingStatus.CANCELLED
    )

    # The other side of the meeting to come is told; the deleted address gets nothing.
    await run_jobs(app, mail_context)
    recipients = [m["to"] for m in smtp[0].messages]
    assert EXHIBITOR in recipients
    assert BUYER not in recipients and row.email not in recipients

    async with make_client(app) as organizer:
        assert await report(organizer) == before


async def test_a_deleted_exhibitors_booth_stays_without_them(app, client, session):
    booth = await booth_with_hours(client, session)
    await login(client, EXHIBITOR)
    assert (
        await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    ).status_code == 204
    owner = await read_scalar(session, select(User.name).join(Booth, Booth.owner_id == User.id))
    assert owner == "Deleted account"
    assert (await client.get(f"/api/booths/{booth['id']}")).status_code == 200
    # Nobody is left to meet there: the booth takes no new bookings.
    await buyer(client, session)
    refused = await book(client, booth["id"], at_tokyo(next_weekday(), 10))
    assert 400 <= refused.status_code < 500, refused.text
    assert await read_scalar(session, select(func.count()).select_from(Meeting)) == 0


async def test_the_account_page_deletes_the_account_and_refuses_a_wrong_password(client, session):
    await buyer(client, session, locale="ja")
    csrf = await csrf_of(client)
    refused = await client.post(
        "/account/delete", data={"csrf_token": csrf, "delete_password": "wrong"}
    )
    assert refused.status_code == 400
    assert 'id="e-delete_password"' in refused.text
    assert (await client.get("/api/me")).status_code == 200

    done = await client.post(
        "/account/delete", data={"csrf_token": csrf, "delete_password": PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert "アカウント" in done.text
    assert (await client.get("/api/me")).status_code == 401


async def test_deleting_needs_a_password(client, session):
    await buyer(client, session)
    refused = await client.request("DELETE", "/api/me", json={})
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (422, ["password"])
    assert (await client.get("/api/me")).status_code == 200


async def _propose(client: Any, email: str, buyer_id: str, booth_id: str) -> str:
    await login(client, email)
    body = {"fair": "2027-06", "buyer_id": buyer_id, "booth_id": booth_id}
    answer = await client.post("/api/proposals", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def test_deleting_an_account_closes_its_open_proposals(app, client, session):
    booth = await booth_with_hours(client, session)
    lan_id = (await make_user(session, "buyer", BUYER)).id
    minh_id = (await make_user(session, "buyer", "minh@hanoi.example")).id
    asked_by_organizer = await _propose(client, "organizer@example.com", lan_id, booth["id"])
    invited_by_booth = await _propose(client, EXHIBITOR, minh_id, booth["id"])
    statuses = select(Proposal.id, Proposal.status)

    # The exhibitor goes: the organizer's proposal, which the booth was asked to answer, is
    # declined; the invitation their booth sent a buyer closes with them.
    deleted = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    rows = dict((await session.execute(statuses)).all())
    await session.rollback()
    assert rows == {asked_by_organizer: "declined", invited_by_booth: "declined"}
