"""Mail header injection: text users write (company and person names, booth names, fair
titles) reaches mail subjects. With a raw line break, or an RFC 2047 encoded word that
decodes to one, it must never become a header of its own (``Bcc:`` would send the mail to
whoever the attacker names, through SMTP's envelope too). Each field is written through the
API as a user would write it, every mail that names it is sent, and each mail is read back
as a mail client would (both databases)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from booth_helpers import approve, create_booth
from helpers import confirm_email
from meeting_helpers import meeting_at, run_jobs
from sqlalchemy import update

from fair import clock
from fair.config import Settings
from fair.fairs.models import Fair
from fair.mail import build_message, header_text
from fair.resources import job_context, of_app
from kakehashi import jobs
from meetings.models import Attendance, Meeting

INJECTED = ("bcc", "cc", "reply-to", "x-injected")
PAYLOADS = {
    "q-encoded": "Evil =?utf-8?q?=0D=0ABcc:_victim@evil.example?= Co",
    "b-encoded": "Evil =?utf-8?b?DQpSZXBseS1UbzogYXR0YWNrZXJAZXZpbC5leGFtcGxl?= Co",
    "encoded-lf": "Evil =?iso-8859-1?q?x=0ACc:_victim@evil.example?= Co",
    "raw-crlf": "Evil\r\nBcc: victim@evil.example\r\nX-Injected: 1",
    "raw-lf": "Evil\nReply-To: attacker@evil.example",
    "raw-cr": "Evil\rBcc: victim@evil.example",
    "line-separator": "Evil\u2028Bcc: victim@evil.example\u0085Cc: victim@evil.example",
    "nested": "Evil =?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0ABcc:_v@evil.example=3F=3D?= Co",
}
HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def parsed(message: EmailMessage) -> EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def assert_clean(message: EmailMessage) -> str:
    """The mail's own headers only, each one line; returns the subject as decoded."""
    names = {name.lower() for name in message}  # the header names
    assert names <= HEADERS, names
    assert not names & set(INJECTED), names
    subject = str(message["Subject"])
    assert not any(ch in subject for ch in "\r\n\x85\u2028\u2029"), subject
    assert "=?" not in subject, subject  # nothing the user wrote was decoded
    assert [str(a) for a in message["To"].addresses] == [str(message["To"])]
    return subject


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_subject_carries_user_text_as_text_never_as_headers(payload: str) -> None:
    built = build_message(
        Settings(), key="k", to="kenji@tsubame.example", subject=f"Re: {payload}", text="."
    )
    subject = assert_clean(parsed(built))
    assert subject.startswith("Re: Evil") and subject.endswith(("Co", "1", ".example"))
    # What remains is what the user wrote, on one line.
    assert header_text(payload) in subject


def test_a_recipient_is_one_plain_address_or_no_mail() -> None:
    for to in ("a@example.com\r\nBcc: v@evil.example", "a@example.com, v@evil.example"):
        with pytest.raises(ValueError):
            build_message(Settings(), key="k", to=to, subject="s", text=".")


def read_mails(settings: Settings) -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(settings.mail_dir.glob("*.eml"))
    ]


async def register(client: Any, role: str, email_address: str, text: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": email_address,
            "password": "correct horse battery staple",
            "name": f"{text} Person",
            "role": role,
            "company": f"{text} Company",
            "country": "VN",
            "timezone": "Asia/Ho_Chi_Minh",
            "locale": "en",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
async def test_every_mail_naming_user_text_keeps_its_headers(
    client: Any, session: Any, app: Any, payload: str
) -> None:
    start = clock.now().date() + timedelta(days=20)
    session.add(
        Fair(
            slug="2027-06",
            title={"en": f"{payload} Fair", "ja": f"{payload} 展示会"},
            starts_on=start,
            ends_on=start + timedelta(days=2),
            booking_opens_on=clock.now().date(),
            timezone="Asia/Tokyo",
            slot_minutes=30,
            status="published",
        )
    )
    await session.commit()
    exhibitor = await register(client, "exhibitor", "kenji@tsubame.example", payload)
    await confirm_email(client, app, "kenji@tsubame.example")  # else mailed only the link
    booth = await create_booth(client, company={"ja": f"{payload} 工業", "en": f"{payload} Ltd"})
    await approve(client, session, booth["id"])  # the review mail names the fair
    buyer = await register(client, "buyer", "lan@saigon.example", payload)
    await confirm_email(client, app, "lan@saigon.example")
    meeting = await meeting_at(session, booth["id"], buyer["id"], -timedelta(hours=2))
    await session.execute(
        update(Meeting).where(Meeting.id == meeting.id).values(attendance=Attendance.HELD)
    )
    await session.commit()

    settings: Settings = of_app(app).settings
    ctx = job_context(of_app(app))
    assert await run_jobs(app, ctx) >= 3  # two welcomes and the review
    send = jobs.JOBS["send_meeting_mail"]
    for user_id in (buyer["id"], exhibitor["id"]):
        # The buyer's subject names the booth's company, the exhibitor's the buyer's
        # name and company.
        assert await send(ctx, meeting_id=meeting.id, user_id=user_id, event="booked", sequence=0)
    assert await jobs.JOBS["ask_for_outcome"](ctx, meeting_id=meeting.id, days=1)

    mails = read_mails(settings)
    subjects = [assert_clean(mail) for mail in mails]
    naming = [s for s in subjects if header_text(payload) in s]
    # The review (fair title), both meeting mails and the outcome question (the buyer's
    # company) carry the user's text, as text.
    assert len(naming) == 4, subjects
    for mail in mails:
        assert str(mail["To"]) in {"kenji@tsubame.example", "lan@saigon.example"}
