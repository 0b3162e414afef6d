"""Meeting mails and reminders, as jobs through the outbox.

Every change of a meeting queues one mail per participant, keyed by meeting, SEQUENCE,
event and recipient, so a retry sends nothing twice. Reminders are queued for a time
(24 hours and 15 minutes before) with the SEQUENCE they were made for: after a reschedule
or a cancel the old ones find a newer SEQUENCE and send nothing, and the new time has its
own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock, outbox, resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.fairs.models import Fair
from fair.i18n import format_when, pick_text, territory_name, timezone_label, use_language
from fair.i18n import gettext as _
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render
from meetings import reminders, video_room
from meetings.access import host_of
from meetings.calendars import invite_event, join_url
from meetings.invites import invite, method_of
from meetings.models import ACTIVE, Meeting, MeetingStatus, Outcome, Side
from meetings.outcomes import still_open

EVENTS = (
    "booked",
    "requested",
    "confirmed",
    "rescheduled",
    "cancelled",
    "declined",
    "released",
    "host",
)
REMINDERS = {"day": timedelta(hours=24), "soon": timedelta(minutes=15)}
# After the 24-hour reminder the buyer has this long to reconfirm a requested meeting.
RECONFIRM_HOURS = 12


def recipients(meeting: Meeting, booth: Booth) -> list[str]:
    people = [meeting.buyer_id, host_of(meeting, booth)]
    if meeting.interpreter_id:
        people.append(meeting.interpreter_id)
    return people


def mail_jobs(meeting: Meeting, booth: Booth, event: str) -> list[outbox.Queued]:
    """One mail per participant about ``event``."""
    return [
        outbox.queued(
            send_meeting_mail,
            key=f"meeting-mail:{meeting.id}:{meeting.sequence}:{event}:{user_id}",
            meeting_id=meeting.id,
            user_id=user_id,
            event=event,
            sequence=meeting.sequence,
        )
        for user_id in recipients(meeting, booth)
    ]


def reminder_jobs(meeting: Meeting, booth: Booth, now: datetime) -> list[outbox.Queued]:
    """Each participant's reminders 24 hours and 15 minutes before, those still ahead."""
    return [
        outbox.queued(
            send_meeting_reminder,
            key=f"meeting-reminder:{meeting.id}:{meeting.sequence}:{kind}:{user_id}",
            run_at=meeting.starts_at - before,
            meeting_id=meeting.id,
            user_id=user_id,
            kind=kind,
            sequence=meeting.sequence,
        )
        for kind, before in REMINDERS.items()
        if meeting.starts_at - before > now
        for user_id in recipients(meeting, booth)
    ]


def attendance_job(meeting: Meeting) -> outbox.Queued:
    """Decide held or no-show when the slot ends (the job waits out the grace period)."""
    return outbox.queued(
        decide_attendance,
        key=f"attendance:{meeting.id}:{meeting.sequence}",
        run_at=meeting.ends_at,
        meeting_id=meeting.id,
        sequence=meeting.sequence,
    )


async def queue_mails(session: AsyncSession, meeting: Meeting, booth: Booth, event: str) -> None:
    """One mail per participant about ``event``; in the caller's transaction."""
    await outbox.enqueue_all(session, mail_jobs(meeting, booth, event))


async def queue_announcement(
    session: AsyncSession, meeting: Meeting, booth: Booth, event: str, now: datetime
) -> None:
    """Mail everyone about ``event``; a confirmed meeting also gets its reminders and its
    attendance decision for its time. One insert for them all."""
    jobs = mail_jobs(meeting, booth, event)
    if meeting.status == MeetingStatus.CONFIRMED:
        jobs += [*reminder_jobs(meeting, booth, now), attendance_job(meeting)]
    await outbox.enqueue_all(session, jobs)


def _subject(event: str, other: str, when: str) -> str:
    """The subject names the other side of the meeting (``other``), as its lead does."""
    subjects = {
        "booked": _("Meeting confirmed: %(other)s, %(when)s"),
        "requested": _("Meeting request: %(other)s, %(when)s"),
        "confirmed": _("Meeting confirmed: %(other)s, %(when)s"),
        "rescheduled": _("Meeting moved: %(other)s, now %(when)s"),
        "cancelled": _("Meeting cancelled: %(other)s, %(when)s"),
        "declined": _("Meeting request declined: %(other)s, %(when)s"),
        "released": _("Meeting released: %(other)s, %(when)s"),
        "host": _("New host for your meeting: %(other)s, %(when)s"),
        "day": _("Tomorrow: your meeting with %(other)s, %(when)s"),
        "soon": _("In 15 minutes: your meeting with %(other)s"),
    }
    return subjects[event] % {"other": other, "when": when}


def _lead(event: str, meeting: Meeting, other: str, side: Side) -> str:
    """The mail's first sentence, plain text (the HTML template escapes it), naming the
    other side: the exhibitor to the buyer, the buyer to the exhibitor, both to the
    interpreter."""
    values = {"other": other}
    by_side = {
        ("requested", Side.EXHIBITOR): _(
            "%(other)s asks for a meeting. Please accept or decline it on your meetings page."
        ),
        ("requested", Side.INTERPRETER): _(
            "A meeting between %(other)s has been requested; the exhibitor has not answered yet."
        ),
        ("declined", Side.EXHIBITOR): _("You declined the meeting request of %(other)s."),
        ("host", Side.EXHIBITOR): _(
            "A colleague has handed you the meeting with %(other)s: you are now its host."
        ),
        ("released", Side.EXHIBITOR): _(
            "%(other)s did not confirm that they are coming, so you released the time for "
            "other buyers."
        ),
    }
    lines = {
        "booked": _("Your video meeting with %(other)s is confirmed."),
        "confirmed": _("Your video meeting with %(other)s is confirmed."),
        "requested": _(
            "Your meeting request has been sent to %(other)s. "
            "The time is held for you until they answer."
        ),
        "rescheduled": _("Your meeting with %(other)s has moved to a new time."),
        "cancelled": _("Your meeting with %(other)s has been cancelled."),
        "declined": _(
            "%(other)s could not accept this meeting request. Please choose another time."
        ),
        "released": _(
            "You did not confirm that you are coming, so %(other)s has released the time "
            "for other buyers."
        ),
        "host": _(
            "Your meeting with %(other)s will be hosted by another member of the team; "
            "the time stays the same."
        ),
        "day": _("Reminder: your video meeting with %(other)s is tomorrow."),
        "soon": _("Your video meeting with %(other)s starts in 15 minutes."),
    }
    lead = by_side.get((event, side), lines[event]) % values
    if event == "day" and side == Side.BUYER and meeting.status == MeetingStatus.CONFIRMED:
        lead += " " + _("Please confirm on the meeting page that you are coming.")
        if meeting.by_request:
            lead += " " + (
                _(
                    "If you have not confirmed within %(hours)s hours, the exhibitor may give "
                    "the time to another buyer."
                )
                % {"hours": RECONFIRM_HOURS}
            )
    if event == "cancelled" and meeting.cancel_reason:
        lead += " " + _("Reason: %(reason)s") % {"reason": meeting.cancel_reason}
    return lead


def buyer_label(buyer: User) -> str:
    """The buyer as the exhibitor meets them: name, and company and country where known
    (the country in the current language)."""
    details = [part for part in (buyer.company, territory_name(buyer.country or "")) if part]
    return f"{buyer.name} ({', '.join(details)})" if details else buyer.name


def other_side(side: Side, exhibitor: str, buyer: User) -> str:
    if side == Side.BUYER:
        return exhibitor
    if side == Side.EXHIBITOR:
        return buyer_label(buyer)
    return _("%(exhibitor)s and %(buyer)s") % {"exhibitor": exhibitor, "buyer": buyer_label(buyer)}


async def _send(
    ctx: dict[str, Any],
    *,
    meeting_id: str,
    user_id: str,
    event: str,
    key: str,
    sequence: int,
    active_only: bool = False,
) -> bool:
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer

    async def effect(session: AsyncSession) -> None:
        meeting = await session.get(Meeting, meeting_id)
        user = await session.get(User, user_id)
        booth = await session.get(Booth, meeting.booth_id) if meeting else None
        if meeting is None or not may_mail(user) or booth is None:
            return  # an unconfirmed address is mailed nothing but its verification link
        if meeting.sequence != sequence or (active_only and meeting.status not in ACTIVE):
            # Changed again since this was queued: that change's own mail follows, and this
            # one would repeat its invite under the wrong subject ("confirmed" + CANCEL); a
            # reminder of a meeting that ended reminds of nothing.
            return
        if event == "day" and user.id == meeting.buyer_id:
            meeting.attendance_asked_at = clock.now()
        buyer = await session.get(User, meeting.buyer_id)
        assert buyer is not None
        side = (
            Side.BUYER
            if user.id == meeting.buyer_id
            else Side.EXHIBITOR
            if user.id == host_of(meeting, booth)
            else Side.INTERPRETER
        )
        with use_language(user.locale):
            item = await invite_event(session, meeting, settings.base_url)
            exhibitor = pick_text(booth.company)[0]
            other = other_side(side, exhibitor, buyer)
            when = format_when(meeting.starts_at, user.timezone)
            # Beside the reader's own time, the other side's: the booth's for the buyer and
            # the interpreter, the buyer's for the exhibitor.
            other_zone = meeting.buyer_timezone if side == Side.EXHIBITOR else item.timezone
            context = {
                "user": user,
                "meeting": meeting,
                "event": event,
                "other": other,
                "when": when,
                "other_when": f"{format_when(meeting.starts_at, other_zone, 'medium')} "
                f"({timezone_label(other_zone)})",
                "other_is_buyer": side == Side.EXHIBITOR,
                "join_url": join_url(meeting, settings.base_url),
                "base_url": settings.base_url,
                "lead": _lead(event, meeting, other, side),
            }
            message = build_message(
                settings,
                key=key,
                to=user.email,
                subject=_subject(event, other, when),
                text=render("mail/meeting.txt", **context),
            )
            message.add_alternative(render("mail/meeting.html", **context), subtype="html")
            if event not in REMINDERS:
                ics = invite(item)
                method = method_of(item)
                message.add_attachment(
                    ics,
                    maintype="text",
                    subtype="calendar",
                    params={"method": method, "charset": "utf-8"},
                    filename="kakehashi-meeting.ics",
                )
        await mailer.send(message, key=key)

    return await run_once(res.sessionmaker, key, "send_meeting_mail", effect)


async def send_meeting_mail(
    ctx: dict[str, Any], *, meeting_id: str, user_id: str, event: str, sequence: int
) -> bool:
    key = f"meeting-mail:{meeting_id}:{sequence}:{event}:{user_id}"
    return await _send(
        ctx, meeting_id=meeting_id, user_id=user_id, event=event, key=key, sequence=sequence
    )


async def send_meeting_reminder(
    ctx: dict[str, Any], *, meeting_id: str, user_id: str, kind: str, sequence: int
) -> bool:
    """A reminder, unless the meeting has moved or ended since it was queued."""
    key = f"meeting-reminder:{meeting_id}:{sequence}:{kind}:{user_id}"
    return await _send(
        ctx,
        meeting_id=meeting_id,
        user_id=user_id,
        event=kind,
        key=key,
        sequence=sequence,
        active_only=True,
    )


async def _again_at(
    session: AsyncSession, job: Any, moment: datetime, *, key: str, **args: Any
) -> bool:
    """A job that ran before its moment comes back then; returns False (nothing done now)."""
    await outbox.enqueue(session, job, key=key, run_at=moment, **args)
    return False


async def decide_attendance(ctx: dict[str, Any], *, meeting_id: str, sequence: int) -> bool:
    """Held, or who did not come, once the room has closed; before that, come back then."""
    res = resources.of_job(ctx)
    settings = res.settings
    key = f"attendance:{meeting_id}:{sequence}"
    now = clock.now()
    async with res.sessionmaker() as session, session.begin():
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.sequence != sequence:
            return False
        closes_at = video_room.join_window(meeting, settings).closes_at
        if now < closes_at:
            return await _again_at(
                session,
                decide_attendance,
                closes_at,
                key=f"{key}:at-close",
                meeting_id=meeting_id,
                sequence=sequence,
            )

    async def effect(session: AsyncSession) -> None:
        await video_room.decide(session, meeting_id, sequence, settings, now)

    return await run_once(res.sessionmaker, key, "decide_attendance", effect)


async def ask_for_outcome(ctx: dict[str, Any], *, meeting_id: str, days: int) -> bool:
    """Ask the exhibitor what came of a held meeting, while the negotiation is open."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"outcome-ask:{meeting_id}:{days}"

    async def effect(session: AsyncSession) -> None:
        meeting = await session.get(Meeting, meeting_id)
        booth = await session.get(Booth, meeting.booth_id) if meeting else None
        if meeting is None or booth is None:
            return
        current = (
            await session.get(Outcome, meeting.current_outcome_id)
            if meeting.current_outcome_id
            else None
        )
        exhibitor = await session.get(User, host_of(meeting, booth))
        buyer = await session.get(User, meeting.buyer_id)
        if not may_mail(exhibitor) or buyer is None or not still_open(meeting, current):
            return
        with use_language(exhibitor.locale):
            context = {
                "user": exhibitor,
                "buyer": buyer,
                "days": days,
                "when": format_when(meeting.starts_at, exhibitor.timezone),
                "url": f"{settings.base_url}/meetings/{meeting.id}/room#outcome",
                "current": current,
            }
            subject = (
                _("How did your meeting with %(buyer)s go?")
                if current is None
                else _("Any news from %(buyer)s?")
            ) % {"buyer": buyer.company or buyer.name}
            message = build_message(
                settings,
                key=key,
                to=exhibitor.email,
                subject=subject,
                text=render("mail/outcome.txt", **context),
            )
            message.add_alternative(render("mail/outcome.html", **context), subtype="html")
        await mailer.send(message, key=key)

    return await run_once(res.sessionmaker, key, "ask_for_outcome", effect)


async def send_booking_open_reminder(ctx: dict[str, Any], *, fair_id: str, user_id: str) -> bool:
    """The mail a buyer asked for: booking has opened for the fair (``meetings.reminders``).
    Come back at the opening if run before it (the fair's dates moved)."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = reminders.job_key(fair_id, user_id)
    now = clock.now()
    async with res.sessionmaker() as session, session.begin():
        fair = await session.get(Fair, fair_id)
        if fair is None:
            return False
        opens_at = reminders.booking_opens_at(fair)
        if now < opens_at:
            return await _again_at(
                session,
                send_booking_open_reminder,
                opens_at,
                key=f"{key}:at-{opens_at.date().isoformat()}",
                fair_id=fair_id,
                user_id=user_id,
            )

    async def effect(session: AsyncSession) -> None:
        fair = await session.get(Fair, fair_id)
        user = await session.get(User, user_id)
        if fair is None or user is None or not may_mail(user):
            return
        reminder = await reminders.find_reminder(session, user, fair)
        booth = await session.get(Booth, reminder.booth_id) if reminder else None
        if reminder is None or booth is None or reminder.sent_at is not None:
            return  # withdrawn, or its booth is gone
        with use_language(user.locale):
            context = {
                "user": user,
                "fair": pick_text(fair.title)[0],
                "exhibitor": pick_text(booth.company)[0],
                "url": f"{settings.base_url}/booths/{booth.id}/book",
            }
            message = build_message(
                settings,
                key=key,
                to=user.email,
                subject=_("Booking is open: %(fair)s") % {"fair": context["fair"]},
                text=render("mail/booking_open.txt", **context),
            )
            message.add_alternative(render("mail/booking_open.html", **context), subtype="html")
        reminder.sent_at = now
        await mailer.send(message, key=key)

    return await run_once(res.sessionmaker, key, "send_booking_open_reminder", effect)


JOBS = (
    send_booking_open_reminder,
    send_meeting_mail,
    send_meeting_reminder,
    decide_attendance,
    ask_for_outcome,
)
