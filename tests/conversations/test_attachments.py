"""Files in conversations (issue 18, item 5, "attachments only through the media rules"): a
message carries up to three PDF, JPEG, PNG or WebP files, told by their content and checked
as a booth's media are; only the thread's people download them, always as a download; a
refused file leaves no row and no stored file; the person's data includes them."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from conversation_helpers import BUYER, EXHIBITOR, ORGANIZER, world
from helpers import PASSWORD, login, make_client, make_colleague, read_scalar
from hostile_files import pdf_html_polyglot
from media_files import GPS_TAG, jpeg_with_gps, mp4, pdf, png, windows_exe
from meeting_helpers import run_jobs
from PIL import Image
from sqlalchemy import func, select, update

from conversations.models import ConversationAttachment, ConversationMessage
from fair import clock
from fair.accounts import personal
from fair.accounts.models import User
from fair.i18n import format_size, use_language
from fair.resources import job_context, of_app
from kakehashi.app import create_app

CSRF = "csrf-of-the-attachments-tests"
COLLEAGUE = "aiko@tsubame.example"
OUTSIDERS = (
    "rival@hasami.example",  # another exhibitor
    "wei@shanghai.example",  # another buyer
    "hoa@interpreters.example",  # the interpreter of another meeting
    "staff@example.com",
    ORGANIZER,
)
HOSTILE_NAME = '"; x=\r\nSet-Cookie: a=b.pdf'


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _thread(client, session) -> str:
    ids = await world(client, session)
    await login(client, BUYER)
    made = await client.post("/api/conversations", json={"booth_id": ids["booth"]})
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def _attach(client, email, conversation_id, files, body="", csrf=CSRF):
    await login(client, email)
    client.cookies.set("kk_csrf", CSRF)
    return await client.post(
        f"/api/conversations/{conversation_id}/attachments",
        data={"body": body} if body else {},
        files=[("file", file) for file in files],
        headers={"x-csrf-token": csrf} if csrf else {},
    )


async def _stored(session) -> tuple[int, int]:
    messages = await read_scalar(session, select(func.count()).select_from(ConversationMessage))
    files = await read_scalar(session, select(func.count()).select_from(ConversationAttachment))
    return messages, files


async def test_files_are_sent_and_only_the_threads_people_download_them(client, session):
    thread = await _thread(client, session)
    kenji = await session.scalar(select(User).where(User.email == EXHIBITOR))
    await make_colleague(session, kenji.id, COLLEAGUE, name="Aiko")
    sent = await _attach(
        client,
        BUYER,
        thread,
        [("catalogue.pdf", pdf(), "application/pdf"), ("kettle.png", png(), "image/png")],
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["body"] == "" and message["author"] == "Nguyễn Thị Lan"
    shown = [(a["filename"], a["media_type"]) for a in message["attachments"]]
    assert shown == [("catalogue.pdf", "application/pdf"), ("kettle.png", "image/png")]
    urls = [a["url"] for a in message["attachments"]]
    assert all(url.startswith(f"/api/conversations/{thread}/attachments/") for url in urls)
    assert message["attachments"][0]["size"] == len(pdf())  # a PDF is kept as sent

    # The colleague reads the thread with its files, and answers with text and a photo.
    await login(client, COLLEAGUE)
    (listed,) = (await client.get(f"/api/conversations/{thread}/messages")).json()["items"]
    assert [a["url"] for a in listed["attachments"]] == urls
    answer = await _attach(
        client, COLLEAGUE, thread, [("site.jpg", jpeg_with_gps(), "image/jpeg")], "Our workshop"
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["body"] == "Our workshop"
    photo = answer.json()["attachments"][0]["url"]

    for email in (BUYER, COLLEAGUE, EXHIBITOR, "mai@interpreters.example"):
        await login(client, email)
        got = await client.get(urls[0])
        assert got.status_code == 200, email
        assert got.content == pdf()
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith('attachment; filename="catalogue.pdf"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"].startswith("sandbox")
        image = await client.get(urls[1])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(image.content)).size == (300, 200)
    # The photo was re-encoded without its location, as a booth's is.
    shot = Image.open(io.BytesIO((await client.get(photo)).content))
    assert GPS_TAG not in shot.getexif()

    for email in OUTSIDERS:
        await login(client, email)
        for url in urls:
            refused = await client.get(url)
            assert refused.status_code == 404, email
            assert refused.json()["error"]["code"] == "conversation_not_found"
    await client.post("/api/auth/logout")
    assert (await client.get(urls[0])).status_code == 401

    # Another thread's file id, an unknown one, and a removed message's files: not found.
    await login(client, BUYER)
    unknown = await client.get(f"/api/conversations/{thread}/attachments/{'f' * 32}")
    assert unknown.json()["error"]["code"] == "attachment_not_found"
    assert (await client.get(f"/api/conversations/{'f' * 32}/attachments/x")).status_code == 404
    await session.execute(
        update(ConversationMessage)
        .where(ConversationMessage.id == message["id"])
        .values(removed_at=clock.now())
    )
    await session.commit()
    assert (await client.get(urls[0])).status_code == 404
    items = (await client.get(f"/api/conversations/{thread}/messages")).json()["items"]
    assert items[0]["removed"] and items[0]["attachments"] == []


@pytest.fixture
async def small_files_client(settings, engine):
    app = create_app(settings.with_overrides(conversation_file_max_bytes=20_000))
    async with app.router.lifespan_context(app), make_client(app) as client:
        yield client


async def test_refused_files_store_nothing(small_files_client, session, settings):
    client = small_files_client
    thread = await _thread(client, session)
    before = await _stored(session)
    refusals: list[tuple[list[Any], str | None, int, str]] = [
        # A program named as a PDF: told by its content.
        ([("invoice.pdf", windows_exe(), "application/pdf")], CSRF, 415, "unsupported_file"),
        # A video is booth media, never a conversation's file.
        ([("clip.pdf", mp4(), "application/pdf")], CSRF, 415, "unsupported_file"),
        ([("big.png", noise_png(200), "image/png")], CSRF, 413, "file_too_large"),
        (
            [(f"{n}.pdf", pdf(), "application/pdf") for n in range(4)],
            CSRF,
            400,
            "too_many_attachments",
        ),
        ([("a.pdf", pdf(), "application/pdf")], None, 403, "csrf_failed"),
    ]
    for files, csrf, status, code in refusals:
        refused = await _attach(client, BUYER, thread, files, "with files", csrf=csrf)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), code
    # No file at all: this is the text messages' endpoint's job.
    body, kind = _multipart({"body": "only text"}, [])
    alone = await client.post(
        f"/api/conversations/{thread}/attachments",
        content=body,
        headers={"content-type": kind, "x-csrf-token": CSRF},
    )
    assert alone.status_code == 422 and list(alone.json()["error"]["fields"]) == ["file"]
    # Not in the thread, or no thread: nothing is read.
    unknown = await _attach(client, BUYER, "f" * 32, [("a.pdf", pdf(), "application/pdf")])
    assert unknown.status_code == 404
    rival = await _attach(client, "rival@hasami.example", thread, [("a.pdf", pdf(), "x/y")])
    assert rival.status_code == 404
    # The rules of text messages hold: the other side blocked Lan.
    await login(client, EXHIBITOR)
    assert (await client.post(f"/api/conversations/{thread}/block")).status_code == 200
    blocked = await _attach(client, BUYER, thread, [("a.pdf", pdf(), "application/pdf")])
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "blocked")

    assert await _stored(session) == before
    assert files_under(settings.media_dir) == []


async def test_a_hostile_file_name_never_reaches_the_headers(client, session):
    thread = await _thread(client, session)
    sent = await _attach(client, BUYER, thread, [(HOSTILE_NAME, pdf_html_polyglot(), "text/html")])
    assert sent.status_code == 201, sent.text
    (file,) = sent.json()["attachments"]
    assert file["media_type"] == "application/pdf"  # by its content, whatever it is called
    assert not any(c in file["filename"] for c in '"\r\n')
    await _check_download(client, file["url"])
    # Stored as sent by a client that does not escape the name at all: still safe.
    await session.execute(
        update(ConversationAttachment)
        .where(ConversationAttachment.id == file["id"])
        .values(filename=HOSTILE_NAME)
    )
    await session.commit()
    await _check_download(client, file["url"])


async def _check_download(client, url: str) -> None:
    got = await client.get(url)
    assert got.status_code == 200
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count('"') == 2 and "filename*=UTF-8''" in disposition
    assert disposition.split('filename="')[1].split('"')[0].endswith(".pdf")
    assert "set-cookie" not in {key.lower() for key in got.headers}
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-security-policy"].startswith("sandbox")


def _multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A browser's form: its fields, then its file input (``filename=""`` when left empty)."""
    boundary = "----kkformboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def test_the_page_sends_files_with_its_form_and_lists_them(client, session, settings):
    thread = await _thread(client, session)
    client.cookies.set("kk_csrf", CSRF)
    url = f"/messages/{thread}"
    form = (await client.get(url)).text
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form

    async def post(fields, files):
        body, kind = _multipart(fields, files)
        return await client.post(url, content=body, headers={"content-type": kind})

    forged = await post({"body": "hi"}, [("a.pdf", pdf())])
    assert forged.status_code == 403
    empty = await post({"csrf_token": CSRF, "body": "  "}, [("", b"")])
    assert empty.status_code == 422 and 'class="form-errors"' in empty.text
    exe = await post({"csrf_token": CSRF, "body": "see"}, [("setup.pdf", windows_exe())])
    assert exe.status_code == 415
    assert await _stored(session) == (0, 0)
    assert files_under(settings.media_dir) == []

    text = await post({"csrf_token": CSRF, "body": "Text only"}, [("", b"")])
    assert (text.status_code, text.headers["location"]) == (303, f"{url}#latest")
    sent = await post({"csrf_token": CSRF, "body": ""}, [("price list.pdf", pdf())])
    assert sent.status_code == 303
    assert await _stored(session) == (2, 1)

    await login(client, EXHIBITOR)
    client.cookies.set("kk_csrf", CSRF)
    shown = (await client.get(url)).text
    attachment = await session.scalar(select(ConversationAttachment))
    attachment_id, size = attachment.id, attachment.size
    assert f'href="/api/conversations/{thread}/attachments/{attachment_id}"' in shown
    assert "price list.pdf" in shown and "Text only" in shown
    with use_language(kenji_language := (await _locale_of(session, EXHIBITOR))):
        assert format_size(size) in shown, kenji_language
    # The text alone still goes as a plain form too (scripts, older pages).
    plain = await client.post(url, data={"csrf_token": CSRF, "body": "Thanks"})
    assert plain.status_code == 303


async def _locale_of(session, email: str) -> str:
    return await read_scalar(session, select(User.locale).where(User.email == email))


async def test_my_files_are_exported_and_erased_with_my_account(client, session, app):
    thread = await _thread(client, session)
    mine = await _attach(client, BUYER, thread, [("needs.pdf", pdf(), "application/pdf")])
    theirs = await _attach(client, EXHIBITOR, thread, [("offer.png", png(), "image/png")])
    assert mine.status_code == theirs.status_code == 201
    storage = of_app(app).storage

    lan = await session.scalar(select(User).where(User.email == BUYER))
    data = await personal.gather(session, lan)
    await session.rollback()
    (exported,) = data.sections["conversation_files"]
    assert exported["filename"] == "needs.pdf" and "storage_key" not in exported
    assert exported["file"] in [item.name for item in data.files]
    key = await read_scalar(
        session,
        select(ConversationAttachment.storage_key).where(
            ConversationAttachment.filename == "needs.pdf"
        ),
    )
    assert await storage.exists(key)

    await login(client, BUYER)
    deleted = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    names = set((await session.scalars(select(ConversationAttachment.filename))).all())
    await session.rollback()
    assert names == {"offer.png"}  # the other side's file stays theirs
    await login(client, EXHIBITOR)
    erased = mine.json()["attachments"][0]["url"]
    assert (await client.get(erased)).status_code == 404  # the row is gone with the commit
    await run_jobs(app, job_context(of_app(app)))
    assert not await storage.exists(key)  # and the stored file once the job ran
    assert (await client.get(erased)).status_code == 404
    offer = theirs.json()["attachments"][0]["url"]
    assert (await client.get(offer)).status_code == 200


@pytest.fixture
async def s3_app(settings, engine, s3_server):
    bucket = s3_server.new_bucket()
    application = create_app(s3_server.settings(settings, bucket))
    async with application.router.lifespan_context(application):
        yield application, bucket


async def test_erased_files_leave_the_bucket_too(s3_app, session, s3_server):
    app, bucket = s3_app
    async with make_client(app) as client:
        thread = await _thread(client, session)
        mine = await _attach(client, BUYER, thread, [("needs.pdf", pdf(), "application/pdf")])
        theirs = await _attach(client, EXHIBITOR, thread, [("offer.png", png(), "image/png")])
        assert mine.status_code == theirs.status_code == 201
        assert len(s3_server.keys(bucket)) == 2
        await login(client, BUYER)
        deleted = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
        assert deleted.status_code == 204, deleted.text
        await run_jobs(app, job_context(of_app(app)))
        (kept,) = s3_server.keys(bucket)
        # The bucket's keys carry the storage's prefix before the row's key.
        assert kept.endswith(
            "/" + await read_scalar(session, select(ConversationAttachment.storage_key))
        )
        await login(client, EXHIBITOR)
        assert (await client.get(mine.json()["attachments"][0]["url"])).status_code == 404
        assert (await client.get(theirs.json()["attachments"][0]["url"])).status_code == 200


async def test_organizers_open_the_files_of_a_reported_message_only_while_they_decide(
    client, session
):
    thread = await _thread(client, session)
    reported = await _attach(
        client, BUYER, thread, [("offer.pdf", pdf(), "application/pdf")], "See the offer"
    )
    other = await _attach(client, BUYER, thread, [("kettle.png", png(), "image/png")], "Photo")
    assert reported.status_code == other.status_code == 201
    message_id = reported.json()["id"]
    other_file = other.json()["attachments"][0]["id"]
    await login(client, EXHIBITOR)
    made = await client.post(
        f"/api/conversations/{thread}/messages/{message_id}/report", json={"reason": "Spam"}
    )
    assert made.status_code == 201, made.text
    report_id = made.json()["id"]

    await login(client, ORGANIZER)
    queue = await client.get("/organizer/conversation-reports")
    file_id = reported.json()["attachments"][0]["id"]
    link = f"/organizer/conversation-reports/{report_id}/files/{file_id}"
    assert f'href="{link}"' in queue.text and "offer.pdf" in queue.text
    # The API's queue lists the same files, each with the organizers' download.
    (listed,) = (await client.get("/api/conversation-reports")).json()["items"]
    assert listed["message"]["attachments"] == [
        {
            "id": file_id,
            "filename": "offer.pdf",
            "media_type": "application/pdf",
            "size": len(pdf()),
            "url": link,
        }
    ]
    got = await client.get(link)
    assert got.status_code == 200 and got.content == pdf()
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["content-security-policy"].startswith("sandbox")
    # A file of another message of the thread is not the organizers' to open.
    beside = f"/organizer/conversation-reports/{report_id}/files/{other_file}"
    assert (await client.get(beside)).status_code == 404

    for email, status in ((BUYER, 403), (EXHIBITOR, 403), ("staff@example.com", 403)):
        await login(client, email)
        assert (await client.get(link)).status_code == status, email

    await login(client, ORGANIZER)
    client.cookies.set("kk_csrf", CSRF)
    dismissed = await client.post(
        f"/api/conversation-reports/{report_id}/resolve",
        json={"action": "dismiss"},
        headers={"x-csrf-token": CSRF},
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (await client.get(link)).status_code == 404  # decided: the file is theirs again
