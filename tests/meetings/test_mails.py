"""Meeting mails through a real SMTP server (aiosmtpd on 127.0.0.1): each participant gets
one mail per change, in their language and time zone, with the invite attached as
text/calendar and its method; reminders move with a reschedule and vanish with a cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpers import login, make_user, read_scalar
from icalendar import Calendar
from meeting_helpers import at_tokyo, book, booth_with_hours, lan, next_weekday, run_jobs
from sqlalchemy import select, update

from fair.outbox import OutboxJob
from kakehashi import jobs
from meetings.models import Meeting


def invite_of(message) -> tuple[str, Calendar]:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), Calendar.from_ical(part.get_content())
    raise AssertionError("no text/calendar part")


def by_recipient(messages) -> dict[str, Any]:
    return {m["To"]: m for m in messages}


async def test_booking_reschedule_cancel_mail_everyone_once_in_their_language(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await run_jobs(app, mail_context)  # the booth's approval notice
    inbox.messages.clear()
    await make_user(
        session,
        "buyer",
        "lan@saigon.example",
        timezone="Asia/Ho_Chi_Minh",
        country="VN",
        locale="vi",
    )
    await login(client, "lan@saigon.example")
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    assert await run_jobs(app, mail_context) == 2  # the two booking mails; reminders wait
    assert await run_jobs(app, mail_context) == 0  # nothing twice

    mails = by_recipient(inbox.messages)
    assert set(mails) == {"lan@saigon.example", "kenji@tsubame.example"}
    to_buyer = mails["lan@saigon.example"]
    text = to_buyer.get_body(("plain",)).get_content()
    assert "08:00" in text  # 10:00 Tokyo is 08:00 in Ho Chi Minh City
    assert "Xin chào" in text or "Chào" in text  # Vietnamese
    assert to_buyer.get_body(("html",)) is not None
    method, calendar = invite_of(to_buyer)
    event = calendar.walk("VEVENT")[0]
    assert (method, str(calendar["METHOD"]), event["SEQUENCE"]) == ("REQUEST", "REQUEST", 0)
    assert meeting["join_url"] in text

    inbox.messages.clear()
    moved = await client.post(
        f"/api/meetings/{meeting['id']}/reschedule", json={"start": at_tokyo(day, 15)}
    )
    assert moved.status_code == 200
    assert await run_jobs(app, mail_context) == 2
    method, calendar = invite_of(by_recipient(inbox.messages)["kenji@tsubame.example"])
    assert (method, calendar.walk("VEVENT")[0]["SEQUENCE"]) == ("REQUEST", 1)

    inbox.messages.clear()
    await client.post(f"/api/meetings/{meeting['id']}/cancel", json={"reason": "<b>ill</b>"})
    assert await run_jobs(app, mail_context) == 2
    to_exhibitor = by_recipient(inbox.messages)["kenji@tsubame.example"]
    method, calendar = invite_of(to_exhibitor)
    event = calendar.walk("VEVENT")[0]
    assert (method, event["SEQUENCE"], str(event["STATUS"])) == ("CANCEL", 2, "CANCELLED")
    html = to_exhibitor.get_body(("html",)).get_content()
    assert "&lt;b&gt;ill&lt;/b&gt;" in html and "<b>ill</b>" not in html


async def test_reminders_follow_the_meeting(client, session, app, smtp, mail_context):
    inbox, _ = smtp
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await run_jobs(app, mail_context)  # the booth's approval notice
    inbox.messages.clear()
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    await client.post(
        f"/api/meetings/{meeting['id']}/reschedule", json={"start": at_tokyo(day, 11)}
    )
    rows = [
        (row.job, row.key, dict(row.args), row.available_at)
        for row in await session.scalars(
            select(OutboxJob).where(OutboxJob.job == "send_meeting_reminder")
        )
    ]
    await session.rollback()
    # Two reminders (a day and 15 minutes before) for two people, for each SEQUENCE.
    assert sorted((args["sequence"], args["kind"]) for _, _, args, _ in rows) == sorted(
        [(s, k) for s in (0, 1) for k in ("day", "soon")] * 2
    )
    soon = [at for _, _, args, at in rows if args["kind"] == "soon" and args["sequence"] == 1]
    assert {at.isoformat() for at in soon} == {
        f"{day.isoformat()}T01:45:00+00:00"  # 11:00 Tokyo less 15 minutes, in UTC
    }
    # Run every reminder now, as if their time had come: only the current SEQUENCE mails.
    ctx = mail_context
    for job, key, args, _ in rows:
        await jobs.JOBS[job]({**ctx, "job_id": key}, **args)
    # Four reminders (two kinds, two people) for SEQUENCE 1; the four of SEQUENCE 0 are void.
    assert len(inbox.messages) == 4
    subjects = sorted(str(m["Subject"]).split(":")[0] for m in inbox.messages)
    assert subjects == ["In 15 minutes", "In 15 minutes", "Tomorrow", "Tomorrow"]


async def _day_reminders(session) -> list[dict[str, Any]]:
    rows = await session.scalars(select(OutboxJob).where(OutboxJob.job == "send_meeting_reminder"))
    found = [dict(row.args) for row in rows if row.args["kind"] == "day"]
    await session.rollback()
    return found


async def test_day_reminder_asks_to_reconfirm_and_an_unconfirmed_request_is_released(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, mode="request")
    await make_user(session, "buyer", "lan@saigon.example", locale="en")
    await login(client, "lan@saigon.example")
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    await login(client, "kenji@tsubame.example")
    await client.post(f"/api/meetings/{meeting['id']}/accept")
    too_early = await client.post(f"/api/meetings/{meeting['id']}/release")
    assert too_early.status_code == 409  # the buyer has not even been asked yet
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    for args in await _day_reminders(session):
        await jobs.JOBS["send_meeting_reminder"]({**mail_context, "job_id": "t"}, **args)
    to_buyer = by_recipient(inbox.messages)["lan@saigon.example"]
    text = to_buyer.get_body(("plain",)).get_content()
    assert "Please confirm on the meeting page that you are coming." in text
    assert "If you have not confirmed within 12 hours" in text
    asked = await read_scalar(
        session, select(Meeting.attendance_asked_at).where(Meeting.id == meeting["id"])
    )
    assert asked is not None
    # Straight after the reminder the buyer still has time to answer.
    assert (await client.post(f"/api/meetings/{meeting['id']}/release")).status_code == 409

    # Thirteen hours later, no answer: the exhibitor gives the time back.
    await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting["id"])
        .values(attendance_asked_at=asked - timedelta(hours=13))
    )
    await session.commit()
    inbox.messages.clear()
    released = await client.post(f"/api/meetings/{meeting['id']}/release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "cancelled" and released.json()["released_at"]
    await run_jobs(app, mail_context)
    mail = by_recipient(inbox.messages)["lan@saigon.example"]
    assert str(mail["Subject"]).startswith("Meeting released:")
    method, calendar = invite_of(mail)
    assert method == "CANCEL" and str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    # The slot is free for the next buyer.
    await make_user(session, "buyer", "wang@hengtai.example")
    await login(client, "wang@hengtai.example")
    assert (await book(client, booth["id"], at_tokyo(day, 10))).status_code == 201


async def test_a_booking_cancelled_before_its_mail_went_out_gets_only_the_cancellation(
    client, session, app, smtp, mail_context
):
    inbox, _ = smtp
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day)
    await run_jobs(app, mail_context)  # the booth's approval notice
    inbox.messages.clear()
    await make_user(session, "buyer", "lan@saigon.example", timezone="Asia/Ho_Chi_Minh")
    await login(client, "lan@saigon.example")
    meeting = (await book(client, booth["id"], at_tokyo(day, 10))).json()
    # The worker is behind: the cancellation comes before the booking's mails are sent.
    cancelled = await client.post(
        f"/api/meetings/{meeting['id']}/cancel", json={"reason": "Plans changed"}
    )
    assert cancelled.status_code == 200
    await run_jobs(app, mail_context)

    # One mail each, the cancellation; never "confirmed" carrying a CANCEL, nor two CANCELs.
    mails = by_recipient(inbox.messages)
    assert len(inbox.messages) == 2
    assert set(mails) == {"lan@saigon.example", "kenji@tsubame.example"}
    for message in mails.values():
        method, calendar = invite_of(message)
        assert (method, calendar.walk("VEVENT")[0]["SEQUENCE"]) == ("CANCEL", 1)


async def test_each_side_is_told_about_the_other_side(client, session, app, smtp, mail_context):
    """The exhibitor's mails name the buyer (name, company, country in the reader's
    language) with the buyer's local time; the buyer's name the exhibitor; the
    interpreter's name both; never one's own booth as the other side."""
    inbox, _ = smtp
    day = next_weekday()
    booth = await booth_with_hours(client, session, first=day, mode="request")
    await lan(session, company="Saigon Trading JSC", timezone="Asia/Ho_Chi_Minh", locale="en")
    interpreter = await make_user(
        session, "interpreter", "mai@interpreters.example", languages=["ja", "vi"], locale="ja"
    )
    await make_user(session, "organizer", "aiko@city.example")
    await run_jobs(app, mail_context)
    inbox.messages.clear()

    await login(client, "lan@saigon.example")
    meeting = (await book(client, booth["id"], at_tokyo(day, 10), interpreter_language="vi")).json()
    await run_jobs(app, mail_context)
    mails = by_recipient(inbox.messages)
    buyer_label = "Nguyễn Thị Lan (Saigon Trading JSC, Vietnam)"
    to_exhibitor = mails["kenji@tsubame.example"]
    assert str(to_exhibitor["Subject"]).startswith(f"Meeting request: {buyer_label}, ")
    text = to_exhibitor.get_body(("plain",)).get_content()
    assert f"{buyer_label} asks for a meeting." in text
    # 10:00 in Tokyo is 8:00 in Ho Chi Minh City (babel puts a narrow space before AM).
    assert "Buyer's local time: " in text and "8:00\u202fAM (Vietnam Time)" in text
    assert "Tsubame" not in str(to_exhibitor["Subject"])
    assert str(mails["lan@saigon.example"]["Subject"]).startswith("Meeting request: Tsubame Migaki")

    inbox.messages.clear()
    await login(client, "kenji@tsubame.example")
    assert (await client.post(f"/api/meetings/{meeting['id']}/accept")).is_success
    await run_jobs(app, mail_context)
    confirmed = by_recipient(inbox.messages)
    assert set(confirmed) == {"lan@saigon.example", "kenji@tsubame.example"}
    assert str(confirmed["kenji@tsubame.example"]["Subject"]).startswith(
        f"Meeting confirmed: {buyer_label}, "
    )
    assert f"Your video meeting with {buyer_label} is confirmed." in (
        confirmed["kenji@tsubame.example"].get_body(("plain",)).get_content()
    )
    assert "Your video meeting with Tsubame Migaki" in (
        confirmed["lan@saigon.example"].get_body(("plain",)).get_content()
    )

    inbox.messages.clear()
    await login(client, "aiko@city.example")
    assigned = await client.post(
        f"/api/meetings/{meeting['id']}/interpreter", json={"user_id": interpreter.id}
    )
    assert assigned.status_code == 200, assigned.text
    await run_jobs(app, mail_context)
    # The interpreter (in Japanese) is told both sides, the buyer's country in Japanese.
    to_interpreter = by_recipient(inbox.messages)["mai@interpreters.example"]
    subject = str(to_interpreter["Subject"])
    assert subject.startswith("商談日時の変更")  # "Meeting moved", in Japanese
    assert "燕ミガキ工業株式会社" in subject
    assert "Nguyễn Thị Lan (Saigon Trading JSC, ベトナム)" in subject
