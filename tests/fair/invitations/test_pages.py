"""The invitation pages: the organizers' page of a fair (invite one, upload a list with a
preview table and its rows' problems, revoke, send again) and the invitee's page in their
language; every form carries its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from helpers import login, make_client, make_user, read_scalar
from meeting_helpers import fair_between, next_weekday, run_jobs
from sqlalchemy import func, select

from fair.i18n import translations
from fair.invitations.models import FairInvitation

ORGANIZER = "organizer@example.com"
HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LIST = "email,role,name\nlan@saigon.example,buyer,Lan\nbad-address,buyer,X\n"


async def csrf_of(client: Any, url: str) -> tuple[str, str]:
    shown = await client.get(url, headers=HTML)
    assert shown.status_code == 200, shown.text
    found = CSRF_RE.search(shown.text)
    assert found
    return found.group(1), shown.text


async def invitations(session: Any) -> int:
    return await read_scalar(session, select(func.count()).select_from(FairInvitation))


async def test_an_organizer_invites_previews_a_list_revokes_and_sends_again(
    app, client, session, smtp, mail_context
):
    inbox, _ = smtp
    day = next_weekday()
    await fair_between(session, "2027-06", day, day)
    await make_user(session, "organizer", ORGANIZER, locale="ja")
    await login(client, ORGANIZER)
    url = "/fairs/2027-06/invitations"
    csrf, text = await csrf_of(client, url)
    ja = translations("ja").ugettext
    assert ja("Nobody has been invited to this fair yet.") in text

    sent = await client.post(
        url,
        data={"csrf_token": csrf, "email": "wei@shanghai.example", "role": "buyer", "locale": "th"},
        headers=HTML,
    )
    assert sent.status_code == 303, sent.text
    refused = await client.post(
        url, data={"csrf_token": csrf, "email": "nope", "role": "buyer"}, headers=HTML
    )
    assert refused.status_code == 422

    # The list: a preview with its table and the bad row named, nothing written.
    files = {"file": ("list.csv", LIST.encode(), "text/csv")}
    preview = await client.post(
        f"{url}/import", files=files, data={"csrf_token": csrf, "dry_run": "true"}, headers=HTML
    )
    assert preview.status_code == 200, preview.text
    assert "lan@saigon.example" in preview.text
    assert ja("This is not a valid e-mail address.") in preview.text
    assert await invitations(session) == 1
    # Importing it: all or nothing.
    refused = await client.post(
        f"{url}/import", files=files, data={"csrf_token": csrf, "dry_run": "false"}, headers=HTML
    )
    assert refused.status_code == 422
    assert ja("Nothing was imported") in refused.text
    assert await invitations(session) == 1
    good = {"file": ("list.csv", LIST.split("bad-address")[0].encode(), "text/csv")}
    done = await client.post(
        f"{url}/import", files=good, data={"csrf_token": csrf, "dry_run": "false"}, headers=HTML
    )
    assert done.status_code == 201, done.text
    assert await invitations(session) == 2
    # Without the page's token the upload is refused.
    forged = await client.post(f"{url}/import", files=good, data={"dry_run": "false"})
    assert forged.status_code == 403

    listed = (await client.get("/api/fairs/2027-06/invitations")).json()["invitations"]
    wei = next(i for i in listed if i["email"] == "wei@shanghai.example")
    revoked = await client.post(f"{url}/{wei['id']}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    resent = await client.post(f"{url}/{wei['id']}/resend", data={"csrf_token": csrf})
    assert resent.status_code == 303
    statuses = {
        i["email"]: i["status"]
        for i in (await client.get("/api/fairs/2027-06/invitations")).json()["invitations"]
    }
    assert statuses == {"wei@shanghai.example": "pending", "lan@saigon.example": "pending"}
    page_text = (await client.get(url, headers=HTML)).text
    assert ja("Waiting") in page_text and ja("Revoke") in page_text

    # The invitee's page is in the invitation's language (Thai), whoever opens it.
    await run_jobs(app, mail_context)
    mail = next(m for m in reversed(inbox.messages) if m["To"] == "wei@shanghai.example")
    th = translations("th").ugettext
    assert mail["Subject"] == th("You are invited to %(fair)s on Kakehashi") % {
        "fair": "Fair 2027-06"
    }
    token = re.search(
        r"/invitations/([^\s?]+)\?lang=th", mail.get_body(("plain",)).get_content()
    ).group(1)
    stranger = make_client(app)
    shown = await stranger.get(f"/invitations/{token}?lang=th", headers=HTML)  # as mailed
    assert shown.status_code == 200
    assert th("Accept the invitation") in shown.text


async def test_only_organizers_open_the_invitations_page(client, session):
    day = next_weekday()
    await fair_between(session, "2027-06", day, day)
    await make_user(session, "staff", "staff@example.com")
    await login(client, "staff@example.com")
    assert (await client.get("/fairs/2027-06/invitations", headers=HTML)).status_code == 403
