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
from fair import outbox
from fair.accounts.models import User
from fair.config import Settings
from fair.db import utcnow
from fair.i18n import format_when, pick_text, timezone_label, use_language
from fair.i18n import gettext as _
from fair.mail import Mailer, build_message
from fair.outbox import run_once
from fair.templating import render
from meetings.calendars import invite_event, join_url
from meetings.invites import invite, method_of
from meetings.models import ACTIVE, Meeting, MeetingStatus, Outcome

EVENTS = (
    "booked",
    "requested",
    "confirmed",
    "rescheduled",
    "cancelled",
    "declined",
    "released",
)
REMINDERS = {"day": timedelta(hours=24), "soon": timedelta(minutes=15)}
# After the 24-hour reminder the buyer has this long to reconfirm a requested meeting.
RECONFIRM_HOURS = 12


def recipients(meeting: Meeting, booth: Booth) -> list[str]:
    people = [meeting.buyer_id, booth.owner_id]
    if meeting.interpreter_id:
        people.append(meeting.interpreter_id)
    return people


async def queue_mails(session: AsyncSession, meeting: Meeting, booth: Booth, event: str) -> None:
    """One mail per participant about ``event``; in the caller's transaction."""
    for user_id in recipients(meeting, booth):
        await outbox.enqueue(
            session,
            "send_meeting_mail",
            key=f"meeting-mail:{meeting.id}:{meeting.sequence}:{event}:{user_id}",
            meeting_id=meeting.id,
            user_id=user_id,
            event=event,
            sequence=meeting.sequence,
        )


async def queue_reminders(
    session: AsyncSession, meeting: Meeting, booth: Booth, now: datetime
) -> None:
    for kind, before in REMINDERS.items():
        when = meeting.starts_at - before
        if when <= now:
            continue
        for user_id in recipients(meeting, booth):
            await outbox.enqueue(
                session,
                "send_meeting_reminder",
                key=f"meeting-reminder:{meeting.id}:{meeting.sequence}:{kind}:{user_id}",
                run_at=when,
                meeting_id=meeting.id,
                user_id=user_id,
                kind=kind,
                sequence=meeting.sequence,
            )


async def queue_attendance_decision(session: AsyncSession, meeting: Meeting) -> None:
    """Decide held or no-show when the slot ends (the job waits out the grace period)."""
    await outbox.enqueue(
        session,
        "decide_attendance",
        key=f"attendance:{meeting.id}:{meeting.sequence}",
        run_at=meeting.ends_at,
        meeting_id=meeting.id,
        sequence=meeting.sequence,
    )


def _subject(event: str, exhibitor: str, when: str) -> str:
    subjects = {
        "booked": _("Meeting confirmed: %(exhibitor)s, %(when)s"),
        "requested": _("Meeting request: %(exhibitor)s, %(when)s"),
        "confirmed": _("Meeting confirmed: %(exhibitor)s, %(when)s"),
        "rescheduled": _("Meeting moved: %(exhibitor)s, now %(when)s"),
        "cancelled": _("Meeting cancelled: %(exhibitor)s, %(when)s"),
        "declined": _("Meeting request declined: %(exhibitor)s, %(when)s"),
        "released": _("Meeting released: %(exhibitor)s, %(when)s"),
        "day": _("Tomorrow: your meeting with %(exhibitor)s, %(when)s"),
        "soon": _("In 15 minutes: your meeting with %(exhibitor)s"),
    }
    return subjects[event] % {"exhibitor": exhibitor, "when": when}


def _lead(event: str, meeting: Meeting, exhibitor: str, is_buyer: bool) -> str:
    """The mail's first sentence, plain text (the HTML template escapes it)."""
    values = {"exhibitor": exhibitor}
    if event == "requested" and not is_buyer:
        return (
            _(
                "A buyer asks for a meeting with %(exhibitor)s. "
                "Please accept or decline it on your meetings page."
            )
            % values
        )
    lines = {
        "booked": _("Your video meeting with %(exhibitor)s is confirmed."),
        "confirmed": _("Your video meeting with %(exhibitor)s is confirmed."),
        "requested": _(
            "Your meeting request has been sent to %(exhibitor)s. "
            "The time is held for you until they answer."
        ),
        "rescheduled": _("Your meeting with %(exhibitor)s has moved to a new time."),
        "cancelled": _("Your meeting with %(exhibitor)s has been cancelled."),
        "declined": _(
            "%(exhibitor)s could not accept this meeting request. Please choose another time."
        ),
        "released": _(
            "You did not confirm that you are coming, so %(exhibitor)s has released the time "
            "for other buyers."
        ),
        "day": _("Reminder: your video meeting with %(exhibitor)s is tomorrow."),
        "soon": _("Your video meeting with %(exhibitor)s starts in 15 minutes."),
    }
    lead = lines[event] % values
    if event == "day" and is_buyer and meeting.status == MeetingStatus.CONFIRMED:
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
    settings: Settings = ctx["settings"]
    mailer: Mailer = ctx["mailer"]

    async def effect(session: AsyncSession) -> None:
        meeting = await session.get(Meeting, meeting_id)
        user = await session.get(User, user_id)
        booth = await session.get(Booth, meeting.booth_id) if meeting else None
        if meeting is None or user is None or booth is None:
            return
        if meeting.sequence != sequence or (active_only and meeting.status not in ACTIVE):
            # Changed again since this was queued: that change's own mail follows, and this
            # one would repeat its invite under the wrong subject ("confirmed" + CANCEL); a
            # reminder of a meeting that ended reminds of nothing.
            return
        if event == "day" and user.id == meeting.buyer_id:
            meeting.attendance_asked_at = utcnow()
        with use_language(user.locale):
            item = await invite_event(session, meeting, settings.base_url)
            exhibitor = pick_text(booth.company)[0]
            when = format_when(meeting.starts_at, user.timezone)
            context = {
                "user": user,
                "meeting": meeting,
                "event": event,
                "exhibitor": exhibitor,
                "when": when,
                "booth_when": f"{format_when(meeting.starts_at, item.timezone, 'medium')} "
                f"({timezone_label(item.timezone)})",
                "join_url": join_url(meeting, settings.base_url),
                "base_url": settings.base_url,
                "lead": _lead(event, meeting, exhibitor, user.id == meeting.buyer_id),
            }
            message = build_message(
                settings,
                key=key,
                to=user.email,
                subject=_subject(event, exhibitor, when),
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

    return await run_once(ctx["sessionmaker"], key, "send_meeting_mail", effect)


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


async def decide_attendance(ctx: dict[str, Any], *, meeting_id: str, sequence: int) -> bool:
    """Held, or who did not come, once the room has closed; before that, come back then."""
    from meetings import room  # here: room imports the service, which imports this module

    settings: Settings = ctx["settings"]
    key = f"attendance:{meeting_id}:{sequence}"
    now = utcnow()
    async with ctx["sessionmaker"]() as session, session.begin():
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.sequence != sequence:
            return False
        closes_at = room.join_window(meeting, settings).closes_at
        if now < closes_at:
            await outbox.enqueue(
                session,
                "decide_attendance",
                key=f"{key}:at-close",
                run_at=closes_at,
                meeting_id=meeting_id,
                sequence=sequence,
            )
            return False

    async def effect(session: AsyncSession) -> None:
        await room.decide(session, meeting_id, sequence, settings, now)

    return await run_once(ctx["sessionmaker"], key, "decide_attendance", effect)


async def ask_for_outcome(ctx: dict[str, Any], *, meeting_id: str, days: int) -> bool:
    """Ask the exhibitor what came of a held meeting, while the negotiation is open."""
    from meetings.outcomes import (
        still_open,  # here: outcomes imports the service, which imports this module
    )

    settings: Settings = ctx["settings"]
    mailer: Mailer = ctx["mailer"]
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
        exhibitor = await session.get(User, booth.owner_id)
        buyer = await session.get(User, meeting.buyer_id)
        if exhibitor is None or buyer is None or not still_open(meeting, current):
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

    return await run_once(ctx["sessionmaker"], key, "ask_for_outcome", effect)


JOBS = {
    "send_meeting_mail": send_meeting_mail,
    "send_meeting_reminder": send_meeting_reminder,
    "decide_attendance": decide_attendance,
    "ask_for_outcome": ask_for_outcome,
}
