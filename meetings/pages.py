"""Meeting pages: the slot picker, my meetings, a meeting's page, the exhibitor's hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.models import Booth
from booths.service import can_manage, list_products, load_booth, load_managed_booth
from fair import clock, i18n
from fair.accounts.models import Role, User
from fair.accounts.routes import COMMON_TIMEZONES
from fair.accounts.service import require_user
from fair.errors import DomainError, NotFound, ValidationFailed
from fair.fairs.models import Fair
from fair.fairs.phase import Phase
from fair.fairs.service import phase_of
from fair.schemas import parse
from fair.web import (
    client_address,
    csrf_token,
    db,
    page,
    read_form,
    redirect,
    settings_of,
    user_of,
    viewer_zone,
)
from meetings import booking, changes, feeds, hosting, outcomes, reminders, video_room
from meetings.access import host_of, load_meeting
from meetings.goodhours import Party, good_for_both, viewer_party_of
from meetings.hours import NUMBER_SETTINGS, set_hours
from meetings.listing import my_meetings
from meetings.models import (
    ACTIVE,
    Attendance,
    BoothHours,
    BuyerFeedback,
    BuyerView,
    Meeting,
    MeetingSource,
    MeetingStatus,
    Side,
    Stage,
)
from meetings.responses import Hours
from meetings.schemas import AttendanceClaim, FeedbackEntry, HostChoice, HoursUpdate, OutcomeEntry
from meetings.slots import Slot

BEST_SHOWN = 6


def _by_day(slots: Iterable[tuple[Slot, bool]], zone: str) -> list[tuple[date, list[Any]]]:
    days: dict[date, list[Any]] = {}
    for slot, good in slots:
        local = slot.start.astimezone(ZoneInfo(zone))
        days.setdefault(local.date(), []).append((slot, good))
    return sorted(days.items())


async def _picker_context(
    request: Request, booth_id: str, *, zone: str, reschedule: Meeting | None = None
) -> dict[str, Any]:
    user = user_of(request)
    now = clock.now()
    fair_day = await _fair_window(request, booth_id)
    start = max(now, fair_day[0])
    end = max(start, fair_day[1])
    context: dict[str, Any] = {
        "zone": zone,
        "timezones": COMMON_TIMEZONES,
        "reschedule": reschedule,
        "interpreter_suggestion": "",
    }
    try:
        offer = await booking.offer(
            db(request),
            booth_id=booth_id,
            viewer=user,
            start=start,
            end=end,
            now=now,
            ignore=reschedule.id if reschedule else None,
            tags=True,  # the page names the booth's meeting languages
        )
    except DomainError as exc:
        booth = await load_booth(db(request), booth_id, viewer=user)
        return {**context, "booth": booth, "days": [], "best": [], "closed": exc.translated()}
    booth_party = Party(offer.availability.timezone, offer.exhibitor_country)
    viewer_party = viewer_party_of(user, zone)
    marked = [(slot, good_for_both(slot, booth_party, viewer_party)) for slot in offer.slots]
    phase = phase_of(offer.fair, now)
    return {
        **context,
        "booth": offer.booth,
        "fair": offer.fair,
        "phase": phase.value,
        # Before booking opens: when it does, and whether this buyer asked to be told.
        "opens_at": reminders.booking_opens_at(offer.fair),
        "reminder": await reminders.find_reminder(db(request), user, offer.fair)
        if phase == Phase.REGISTRATION
        else None,
        "interpreter_suggestion": interpreter_suggestion(user, offer.booth.languages),
        "booth_zone": offer.availability.timezone,
        "slot_minutes": offer.availability.slot_minutes,
        "days": _by_day(marked, zone),
        "best": [slot for slot, good in marked if good][:BEST_SHOWN],
        "closed": None,
    }


def interpreter_suggestion(user: User | None, booth_languages: list[str]) -> str:
    """The interpreter the booking form offers first: none when the buyer's profile says
    they speak one of the booth's meeting languages (or says nothing), else Japanese and the
    first language they speak (an interpreter works between Japanese and one other)."""
    spoken = list(user.languages or []) if user else []
    if not spoken or set(spoken) & set(booth_languages or ["ja"]):
        return ""
    return next((code for code in spoken if code != "ja"), "")


async def _fair_window(request: Request, booth_id: str) -> tuple[datetime, datetime]:
    booth = await load_booth(db(request), booth_id, viewer=user_of(request))
    fair = await db(request).get(Fair, booth.fair_id)
    assert fair is not None
    return booking.fair_window(fair)


def _slot_helpers(zone: str, booth_zone: str | None) -> dict[str, Any]:
    def local(instant: datetime, tz: str | None = None) -> datetime:
        return instant.astimezone(ZoneInfo(tz or zone))

    return {"local": local, "booth_zone": booth_zone}


async def book_page(request: Request) -> Response:
    booth_id = request.path_params["booth_id"]
    user = user_of(request)
    zone = viewer_zone(request)
    errors: dict[str, str] = {}
    status = 200
    recommended = request.query_params.get("source") == MeetingSource.RECOMMENDED
    source = MeetingSource.RECOMMENDED if recommended else MeetingSource.SELF
    if request.method == "POST":
        form = await read_form(request)
        try:
            meeting = await booking.book(
                db(request),
                actor=user,
                booth_id=booth_id,
                start=_form_start(form),
                interpreter_language=str(form.get("interpreter_language", "")) or None,
                note=str(form.get("note", ""))[:2000],
                limits=settings_of(request),
                address=client_address(request),
                source=source,
            )
        except DomainError as exc:
            errors, status = {"form": exc.translated()}, exc.status
        else:
            return redirect(f"/meetings/{meeting.id}/room?booked=1")
    context = await _picker_context(request, booth_id, zone=zone)
    context.update(_slot_helpers(zone, context.get("booth_zone")), errors=errors)
    # A recommendation's book link says so; the slot forms carry it on in their action.
    query = {"tz": zone} | ({"source": source.value} if source != MeetingSource.SELF else {})
    context["action"] = f"/booths/{booth_id}/book?{urlencode(query)}"
    context["source"] = query.get("source")
    context["auto_zone"] = user is None and not request.query_params.get("tz")
    return page(request, "meetings/book.html", context, status)


async def remind_page(request: Request) -> Response:
    """The booking page's "remind me" form (``action=stop`` withdraws); back to the page."""
    booth_id = request.path_params["booth_id"]
    form = await read_form(request)
    if form.get("action") == "stop":
        await reminders.withdraw(db(request), actor=user_of(request), booth_id=booth_id)
    else:
        await reminders.ask(db(request), actor=user_of(request), booth_id=booth_id)
    return redirect(f"/booths/{booth_id}/book")


def _form_start(form: Any) -> datetime:
    try:
        start = datetime.fromisoformat(str(form.get("start", "")))
    except ValueError:
        raise ValidationFailed({"start": i18n.lazy("Choose a time.")}) from None
    if start.tzinfo is None:
        raise ValidationFailed({"start": i18n.lazy("Choose a time.")})
    return start


async def feed_page(request: Request) -> Response:
    """Make (or stop) the calendar subscription; a new URL is shown once, on this answer."""
    form = await read_form(request)
    if form.get("action") == "stop":
        await feeds.revoke_feed(db(request), actor=user_of(request))
        return redirect("/my/meetings")
    token = await feeds.new_feed(db(request), actor=user_of(request))
    return await my_meetings_page(
        request, feed_url=f"{settings_of(request).base_url}/calendar/{token}.ics"
    )


async def my_meetings_page(request: Request, feed_url: str | None = None) -> Response:
    user = require_user(user_of(request))
    rows = await my_meetings(db(request), actor=user)
    now = clock.now()
    upcoming = [(m, b) for m, b in rows if m.ends_at > now and m.status in ACTIVE]
    past = [(m, b) for m, b in rows if (m, b) not in upcoming]
    past.reverse()
    past = past[:50]
    zones = await _booth_zones(request, [b.id for _, b in rows])
    # What came of the past meetings the buyer held: their own view of each.
    held = [m.id for m, _ in past if m.buyer_id == user.id and m.attendance == Attendance.HELD]
    views = (
        dict(
            (
                await db(request).execute(
                    select(BuyerFeedback.meeting_id, BuyerFeedback.view).where(
                        BuyerFeedback.meeting_id.in_(held)
                    )
                )
            ).all()
        )
        if held
        else {}
    )
    # A day view: the coming meetings under the dates of the user's own calendar.
    upcoming_days: dict[date, list[Any]] = {}
    for meeting, booth in upcoming:
        day = meeting.starts_at.astimezone(ZoneInfo(user.timezone)).date()
        upcoming_days.setdefault(day, []).append((meeting, booth))
    return page(
        request,
        "meetings/my_meetings.html",
        {
            "upcoming": upcoming,
            "upcoming_days": sorted(upcoming_days.items()),
            "feed_url": feed_url,
            "has_feed": await feeds.has_feed(db(request), user),
            "past": past,
            "views": views,
            "zone": user.timezone,
            "zones": zones,
            **_slot_helpers(user.timezone, None),
        },
    )


async def _booth_zones(request: Request, booth_ids: list[str]) -> dict[str, str]:
    if not booth_ids:
        return {}
    rows = await db(request).execute(
        select(BoothHours.booth_id, BoothHours.timezone).where(BoothHours.booth_id.in_(booth_ids))
    )
    return dict(rows.all())


async def meeting_page(request: Request) -> Response:
    user = require_user(user_of(request))
    meeting, booth = await load_meeting(db(request), request.path_params["meeting_id"], actor=user)
    zones = await _booth_zones(request, [booth.id])
    other_id = booth.owner_id if user.id == meeting.buyer_id else meeting.buyer_id
    other = await db(request).get(User, other_id)
    booth_zone = zones.get(booth.id, "Asia/Tokyo")
    now = clock.now()
    return page(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "booth": booth,
            "other": other,
            "zone": user.timezone,
            "booth_zone": zones.get(booth.id, "Asia/Tokyo"),
            "is_owner": can_manage(user, booth),
            "host_id": host_of(meeting, booth),
            "colleagues": await hosting.colleagues(db(request), booth)
            if can_manage(user, booth)
            else [],
            "is_buyer": user.id == meeting.buyer_id,
            "active": meeting.status in ACTIVE and meeting.ends_at > clock.now(),
            "releasable": changes.releasable(meeting, clock.now()),
            "Status": MeetingStatus,
            "booked": request.query_params.get("booked") == "1",
            "room": await _room_context(request, meeting, booth, user, other, booth_zone, now),
            "now": now,
            "can_settle": user.has_role(Role.ORGANIZER),
            "can_dispute": video_room.side_of(user, meeting, booth) in {Side.EXHIBITOR, Side.BUYER},
            **await _outcome_context(request, meeting, user),
            **_slot_helpers(user.timezone, zones.get(booth.id)),
        },
    )


CURRENCIES = ("JPY", "USD", "CNY", "TWD", "VND", "THB", "EUR", "HKD", "SGD", "KRW")


async def _outcome_context(request: Request, meeting: Meeting, user: User) -> dict[str, Any]:
    if meeting.attendance != Attendance.HELD:
        return {"outcomes": [], "feedback": None, "products": []}
    _m, booth, entries, feedback = await outcomes.history(
        db(request), actor=user, meeting_id=meeting.id
    )
    products = await list_products(db(request), booth.id)
    return {
        "outcomes": entries,
        "feedback": feedback,
        "products": [(p.id, i18n.pick_text(p.name)[0]) for p in products],
        "currencies": CURRENCIES,
        "stages": list(Stage),
        "today": clock.now().date(),
    }


async def _room_context(
    request: Request,
    meeting: Meeting,
    booth: Booth,
    user: User,
    other: User | None,
    booth_zone: str,
    now: datetime,
) -> dict[str, Any] | None:
    """What the video room needs, for a participant of a confirmed meeting not yet over."""
    side = video_room.side_of(user, meeting, booth)
    window = video_room.join_window(meeting, settings_of(request))
    if side is None or meeting.status != MeetingStatus.CONFIRMED or now > window.closes_at:
        return None
    products = await list_products(db(request), booth.id)
    return {
        "meeting_id": meeting.id,
        "join_api": f"/api/meetings/{meeting.id}/join",
        "chat_api": f"/api/meetings/{meeting.id}/chat",
        "opens_at": window.opens_at,
        "closes_at": window.closes_at,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "my_zone": user.timezone,
        "other_zone": (other.timezone if other else None) or booth_zone,
        "other_name": other.name if other else "",
        "booth_zone": booth_zone,
        "my_side": str(side),
        "products": [
            {
                "id": product.id,
                "name": i18n.pick_text(product.name)[0],
                "url": f"/booths/{booth.id}/products/{product.id}",
            }
            for product in products
        ],
        "csrf_token": csrf_token(request),
    }


async def _cancel(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise ValidationFailed({"reason": i18n.lazy("Tell the other side why.")})
    await changes.cancel(session, actor=user, meeting_id=meeting_id, reason=reason[:1000])


async def _attendance(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    claim = parse(AttendanceClaim, {k: form.get(k, "") for k in ("status", "reason")})
    await video_room.claim(
        session,
        actor=user,
        meeting_id=meeting_id,
        status=Attendance(claim.status),
        reason=claim.reason,
    )


async def _outcome(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    fields = {k: form.get(k) or None for k in ("stage", "value", "currency", "next_step_on")}
    fields.update({k: form.get(k, "") for k in ("next_step", "note")})
    fields["occurred_on"] = form.get("occurred_on") or None
    fields["product_ids"] = form.getlist("product_ids")
    entry = parse(OutcomeEntry, fields)
    await outcomes.record_outcome(session, actor=user, meeting_id=meeting_id, **entry.arguments())


async def _feedback(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    entry = parse(FeedbackEntry, {k: form.get(k, "") for k in ("view", "note")})
    await outcomes.give_feedback(
        session, actor=user, meeting_id=meeting_id, view=BuyerView(entry.view), note=entry.note
    )


async def _reconfirm(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    await changes.confirm_attendance(session, actor=user, meeting_id=meeting_id)


async def _release(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    await changes.release(session, actor=user, meeting_id=meeting_id)


async def _reschedule(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    await changes.reschedule(
        session, actor=user, meeting_id=meeting_id, start=_form_start(form), timezone=None
    )


async def _accept(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    await changes.answer_request(session, actor=user, meeting_id=meeting_id, accept=True)


async def _decline(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    await changes.answer_request(session, actor=user, meeting_id=meeting_id, accept=False)


async def _host(session: Any, user: User | None, meeting_id: str, form: Any) -> None:
    choice = parse(HostChoice, {"user_id": form.get("user_id", "")})
    await hosting.hand_over(session, actor=user, meeting_id=meeting_id, user_id=choice.user_id)


ACTIONS = {
    "host": _host,
    "cancel": _cancel,
    "attendance": _attendance,
    "outcome": _outcome,
    "feedback": _feedback,
    "reconfirm": _reconfirm,
    "release": _release,
    "reschedule": _reschedule,
    "accept": _accept,
    "decline": _decline,
}
# Where the page scrolls back to after a form, so the answer is in view.
ANCHORS = {
    "host": "#host",
    "attendance": "#attendance",
    "outcome": "#outcome",
    "feedback": "#outcome",
}


async def meeting_action(request: Request) -> Response:
    action = request.path_params["action"]
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound()
    form = await read_form(request)
    meeting_id = request.path_params["meeting_id"]
    await handler(db(request), user_of(request), meeting_id, form)
    return redirect(f"/meetings/{meeting_id}/room{ANCHORS.get(action, '')}")


async def reschedule_page(request: Request) -> Response:
    user = require_user(user_of(request))
    meeting, booth = await load_meeting(db(request), request.path_params["meeting_id"], actor=user)
    zone = viewer_zone(request)
    context = await _picker_context(request, booth.id, zone=zone, reschedule=meeting)
    context.update(_slot_helpers(zone, context.get("booth_zone")), errors={})
    context["action"] = f"/meetings/{meeting.id}/reschedule?{urlencode({'tz': zone})}"
    context["auto_zone"] = False
    return page(request, "meetings/book.html", context)


async def disputes_page(request: Request) -> Response:
    rows = await video_room.disputes(db(request), actor=user_of(request))
    return page(request, "meetings/disputes.html", {"rows": rows})


WEEKDAY_NAMES = (1, 2, 3, 4, 5, 6, 7)


def _hours_values(hours: BoothHours | None, owner: User) -> dict[str, Any]:
    if hours is None:
        return {
            "timezone": owner.timezone or "Asia/Tokyo",
            "weekly": {d: ("09:00", "17:00") for d in range(1, 6)},
            "exceptions": "",
            "buffer_minutes": 0,
            "min_notice_minutes": 720,
            "max_per_day": "",
            "max_per_buyer": 2,
            "mode": "instant",
            "request_hours": 48,
            "slot_minutes": "",
        }
    lines = [
        f"{e['date']} closed" if e.get("closed") else f"{e['date']} {e['start']}-{e['end']}"
        for e in hours.exceptions
    ]
    weekly: dict[int, tuple[str, str]] = {}
    for rule in hours.weekly:
        weekly.setdefault(rule["weekday"], (rule["start"], rule["end"]))
    return {
        **Hours.of(hours).model_dump(mode="json"),
        "weekly": weekly,
        "exceptions": "\n".join(lines),
        "max_per_day": hours.max_per_day or "",
        "slot_minutes": hours.slot_minutes or "",
    }


def _hours_from_form(form: Any) -> dict[str, Any]:
    weekly = [
        {
            "weekday": d,
            "start": str(form.get(f"start_{d}", "")),
            "end": str(form.get(f"end_{d}", "")),
        }
        for d in WEEKDAY_NAMES
        if form.get(f"open_{d}")
    ]
    exceptions = []
    for line in str(form.get("exceptions", "")).splitlines():
        parts = line.replace("–", "-").split()
        if not parts:
            continue
        if len(parts) == 2 and parts[1].lower() in {"closed", "休業", "休み"}:
            exceptions.append({"date": parts[0], "closed": True})
        elif len(parts) == 2 and "-" in parts[1]:
            start, _, end = parts[1].partition("-")
            exceptions.append({"date": parts[0], "start": start, "end": end})
        else:
            exceptions.append({"date": line.strip()})  # refused by the schema, with a message
    number = lambda name: str(form.get(name, "")).strip() or None  # noqa: E731
    data: dict[str, Any] = {
        "timezone": str(form.get("timezone", "")),
        "weekly": weekly,
        "exceptions": exceptions,
        "mode": str(form.get("mode", "instant")),
    }
    for name in NUMBER_SETTINGS:
        if number(name) is not None:
            data[name] = number(name)
    return data


async def hours_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    booth = await load_managed_booth(session, request.path_params["booth_id"], actor=user)
    assert user is not None
    hours = await session.get(BoothHours, booth.id)
    values = _hours_values(hours, user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        data = _hours_from_form(form)
        try:
            await set_hours(session, actor=user, booth_id=booth.id, data=parse(HoursUpdate, data))
        except DomainError as exc:
            status = exc.status
            if isinstance(exc, ValidationFailed):
                errors = {k.split(".")[0]: i18n.gettext(v) for k, v in exc.errors.items()}
            else:
                errors = {exc.field or "form": exc.translated()}
            values = {
                **values,
                **{k: form.get(k, "") for k in form},
                "weekly": {
                    d: (str(form.get(f"start_{d}", "")), str(form.get(f"end_{d}", "")))
                    for d in WEEKDAY_NAMES
                    if form.get(f"open_{d}")
                },
            }
        else:
            return redirect(f"/booths/{booth.id}/manage/hours?saved=1")
    fair = await session.get(Fair, booth.fair_id)
    return page(
        request,
        "meetings/hours.html",
        {
            "booth": booth,
            "fair": fair,
            "values": values,
            "errors": errors,
            "timezones": COMMON_TIMEZONES,
            "saved": request.query_params.get("saved") == "1",
            "weekday_name": lambda d: i18n.babel_locale().days["format"]["wide"][d - 1],
        },
        status,
    )


routes = [
    Route("/booths/{booth_id}/book", book_page, methods=["GET", "POST"]),
    Route("/booths/{booth_id}/remind", remind_page, methods=["POST"]),
    Route("/booths/{booth_id}/manage/hours", hours_page, methods=["GET", "POST"]),
    Route("/my/meetings", my_meetings_page, methods=["GET"]),
    Route("/my/meetings/calendar", feed_page, methods=["POST"]),
    Route("/meetings/{meeting_id}/room", meeting_page, methods=["GET"]),
    Route("/meetings/{meeting_id}/reschedule", reschedule_page, methods=["GET"]),
    Route("/meetings/{meeting_id}/{action:str}", meeting_action, methods=["POST"]),
    Route("/review/attendance", disputes_page, methods=["GET"]),
]
