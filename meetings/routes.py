"""Meeting API: a booth's hours and free slots, bookings, cancel, reschedule, answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.models import Booth
from booths.service import load_booth, load_managed_booth
from fair import clock
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.api import Endpoint, Scope
from fair.errors import BadRequest
from fair.i18n import lazy
from fair.schemas import parse
from fair.web import client_address, db, json_response, read_json, settings_of, user_of, zone_param
from meetings import (
    access,
    booking,
    changes,
    feeds,
    hosting,
    listing,
    outcomes,
    reminders,
    responses,
    video_room,
)
from meetings.calendars import invite_event
from meetings.errors import MeetingNotFound
from meetings.goodhours import Party, best_first, viewer_party_of
from meetings.hours import get_hours, set_hours
from meetings.invites import feed, invite, method_of
from meetings.models import (
    Attendance,
    BoothHours,
    BuyerView,
    Meeting,
    MeetingSource,
    MeetingStatus,
)
from meetings.schemas import (
    AttendanceClaim,
    BookingRequest,
    Cancellation,
    ChatPost,
    FeedbackEntry,
    HostChoice,
    HoursUpdate,
    InterpreterChoice,
    OutcomeEntry,
    Reschedule,
)
from meetings.slots import local_iso
from signaling import tokens
from signaling.ice import ice_servers

MAX_WINDOW_DAYS = 62
MEETINGS_PER_PAGE = 200
MAX_MEETINGS_PER_PAGE = 500


def _moment(raw: str | None, zone: str, default: datetime, name: str) -> datetime:
    """A window edge: a date (midnight in ``zone``) or a date-time with an offset."""
    if not raw:
        return default
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(lazy("Not a valid date or time (use ISO 8601)."), field=name) from None
    if moment.tzinfo is None:
        raise BadRequest(lazy("Give the time with its UTC offset, or a date."), field=name)
    return moment


async def api_get_hours(request: Request) -> Response:
    booth = await load_booth(db(request), request.path_params["booth_id"], viewer=user_of(request))
    hours = await get_hours(db(request), booth)
    return json_response(responses.Hours.of(hours))


async def api_put_hours(request: Request) -> Response:
    await load_managed_booth(db(request), request.path_params["booth_id"], actor=user_of(request))
    data = parse(HoursUpdate, await read_json(request))
    hours = await set_hours(
        db(request), actor=user_of(request), booth_id=request.path_params["booth_id"], data=data
    )
    return json_response(responses.Hours.of(hours))


async def api_slots(request: Request) -> Response:
    viewer = user_of(request)
    zone = zone_param(request, viewer.timezone if viewer else "Asia/Tokyo")
    now = clock.now()
    start = _moment(request.query_params.get("from"), zone, now, "from")
    if not now - timedelta(days=366) < start < now + timedelta(days=3 * 366):
        raise BadRequest(lazy("Ask for slots within the coming three years."), field="from")
    end = _moment(request.query_params.get("to"), zone, start + timedelta(days=14), "to")
    if end <= start or end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise BadRequest(lazy("Ask for at most two months of slots, ending after they start."))
    offer = await booking.offer(
        db(request),
        booth_id=request.path_params["booth_id"],
        viewer=viewer,
        start=start,
        end=end,
        now=now,
    )
    booth_tz = offer.availability.timezone
    booth_party = Party(booth_tz, offer.exhibitor_country)
    marked = best_first(offer.slots, booth_party, viewer_party_of(viewer, zone))
    if request.query_params.get("order") == "time":
        marked.sort(key=lambda pair: pair[0].start)
    slots = [
        responses.Slot(
            start=local_iso(slot.start, zone),
            end=local_iso(slot.end, zone),
            booth_local_start=local_iso(slot.start, booth_tz),
            good_for_both=good,
        )
        for slot, good in marked
    ]
    return json_response(
        responses.Slots(
            booth_id=offer.booth.id,
            timezone=zone,
            booth_timezone=booth_tz,
            slot_minutes=offer.availability.slot_minutes,
            slots=slots,
        )
    )


_ZONES = select(BoothHours.booth_id, BoothHours.timezone).where(
    BoothHours.booth_id.in_(bindparam("booths", expanding=True))
)


async def _zones(request: Request, booth_ids: list[str]) -> dict[str, str]:
    """The booths' own zones (those with hours), in a statement built once."""
    rows = await db(request).execute(_ZONES, {"booths": list(booth_ids)})
    return dict(rows.all())


async def _one(
    request: Request,
    meeting: Meeting,
    viewer_tz: str,
    status_code: int = 200,
    zone: str | None = None,
) -> Response:
    """The meeting in JSON; ``zone``: the booth's, when the caller has it already."""
    if zone is None:
        zone = (await _zones(request, [meeting.booth_id])).get(meeting.booth_id, "Asia/Tokyo")
    base_url = settings_of(request).base_url
    return json_response(responses.Meeting.of(meeting, viewer_tz, zone, base_url), status_code)


async def api_book(request: Request) -> Response:
    data = parse(BookingRequest, await read_json(request))
    made = await booking.booked(
        db(request),
        actor=user_of(request),
        booth_id=data.booth_id,
        start=data.start,
        timezone=data.timezone,
        interpreter_language=data.interpreter_language,
        note=data.note,
        limits=settings_of(request),
        address=client_address(request),
        source=MeetingSource(data.source) if data.source else MeetingSource.SELF,
    )
    meeting = made.meeting
    return await _one(request, meeting, meeting.buyer_timezone, 201, made.hours.timezone)


def _viewer_tz(request: Request) -> str:
    user = user_of(request)
    return zone_param(request, user.timezone if user else "UTC")


def _whole(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(
            lazy("Give a whole number from %(low)s to %(high)s."), field=name, low=low, high=high
        )
    return int(raw)


def _statuses(request: Request) -> tuple[MeetingStatus, ...]:
    raw = request.query_params.get("status") or ""
    try:
        return tuple(MeetingStatus(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise BadRequest(
            lazy("Unknown meeting status; use %(statuses)s."),
            field="status",
            statuses=", ".join(MeetingStatus),
        ) from None


def _bound(raw: str | None, zone: str, name: str) -> datetime | None:
    """An optional window edge, within the years any meeting can have (clear of the date
    arithmetic's edges at years 1 and 9999)."""
    if not raw:
        return None
    moment = _moment(raw, zone, clock.now(), name)
    if not 2000 <= moment.year <= 9000:
        raise BadRequest(lazy("Not a valid date or time (use ISO 8601)."), field=name)
    return moment


def _meeting_filter(request: Request, zone: str) -> listing.MeetingFilter:
    """``?fair=&status=&from=&to=&page=&per_page=``: ``from`` and ``to`` are dates (midnight
    in the viewer's zone) or instants with an offset, and bound the meetings' starts."""
    params = request.query_params
    starts_from = _bound(params.get("from"), zone, "from")
    starts_before = _bound(params.get("to"), zone, "to")
    if starts_from and starts_before and starts_before <= starts_from:
        raise BadRequest(lazy("The end must come after the start."), field="to")
    per_page = _whole(request, "per_page", MEETINGS_PER_PAGE, 1, MAX_MEETINGS_PER_PAGE)
    page = _whole(request, "page", 1, 1, 100_000)
    return listing.MeetingFilter(
        fair=params.get("fair") or None,
        statuses=_statuses(request),
        starts_from=starts_from,
        starts_before=starts_before,
        offset=(page - 1) * per_page,
        limit=per_page,
    )


async def api_my_meetings(request: Request) -> Response:
    """My meetings; with ``fair``, that fair's (all of them for its organizers and staff)."""
    zone = _viewer_tz(request)
    wanted = _meeting_filter(request, zone)
    rows, total = await listing.find_meetings(db(request), actor=user_of(request), wanted=wanted)
    zones = await _zones(request, [b.id for _, b in rows])
    base_url = settings_of(request).base_url
    return json_response(
        responses.Meetings(
            meetings=[
                responses.Meeting.of(m, zone, zones.get(b.id, "Asia/Tokyo"), base_url)
                for m, b in rows
            ],
            total=total,
            page=wanted.offset // wanted.limit + 1,
            per_page=wanted.limit,
        )
    )


async def api_meeting(request: Request) -> Response:
    zone = _viewer_tz(request)
    meeting, _ = await access.load_meeting(
        db(request), request.path_params["meeting_id"], actor=user_of(request)
    )
    return await _one(request, meeting, zone)


T = TypeVar("T")


async def _on_meeting(request: Request, action: Callable[..., Awaitable[T]], **fields: Any) -> T:
    """A service's action on the meeting in the path, by the signed-in user."""
    return await action(
        db(request),
        actor=user_of(request),
        meeting_id=request.path_params["meeting_id"],
        **fields,
    )


async def _change(
    request: Request,
    change: Callable[..., Awaitable[Meeting]],
    seen: tuple[Meeting, Booth] | None = None,
    **fields: Any,
) -> Response:
    """One of meetings.changes; the meeting as it is now in the answer. ``seen``: the
    meeting and booth ``_seen_first`` loaded, held until the change has read them again
    from the session (its identity map holds objects only weakly: dropped, they were read
    again, three statements more per cancel)."""
    meeting = await _on_meeting(request, change, **fields)
    return await _one(request, meeting, _viewer_tz(request))


async def _seen_first(request: Request) -> tuple[Meeting, Booth]:
    """Someone else's meeting is 404 before its body is read (a 400 would say it exists)."""
    return await access.load_meeting(
        db(request), request.path_params["meeting_id"], actor=user_of(request)
    )


async def api_cancel(request: Request) -> Response:
    seen = await _seen_first(request)
    data = parse(Cancellation, await read_json(request))
    return await _change(request, changes.cancel, seen, reason=data.reason)


async def api_reschedule(request: Request) -> Response:
    seen = await _seen_first(request)
    data = parse(Reschedule, await read_json(request))
    return await _change(
        request, changes.reschedule, seen, start=data.start, timezone=data.timezone
    )


async def api_accept(request: Request) -> Response:
    return await _change(request, changes.answer_request, accept=True)


async def api_decline(request: Request) -> Response:
    return await _change(request, changes.answer_request, accept=False)


async def api_reconfirm(request: Request) -> Response:
    return await _change(request, changes.confirm_attendance)


async def api_release(request: Request) -> Response:
    return await _change(request, changes.release)


async def api_interpreter(request: Request) -> Response:
    require_role(user_of(request), Role.ORGANIZER)
    data = parse(InterpreterChoice, await read_json(request))
    return await _change(request, changes.assign_interpreter, interpreter_id=data.user_id)


async def api_host(request: Request) -> Response:
    data = parse(HostChoice, await read_json(request))
    return await _change(request, hosting.hand_over, user_id=data.user_id)


async def api_invite(request: Request) -> Response:
    meeting, _ = await access.load_meeting(
        db(request), request.path_params["meeting_id"], actor=user_of(request)
    )
    item = await invite_event(db(request), meeting, settings_of(request).base_url)
    return Response(
        invite(item),
        media_type=f"text/calendar; charset=utf-8; method={method_of(item)}",
        headers={
            "Content-Disposition": f'attachment; filename="kakehashi-{meeting.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


async def api_ask_reminder(request: Request) -> Response:
    """A buyer asks for a mail when booking opens for the booth's fair (201; 200 if asked
    already)."""
    reminder, fair, new = await reminders.ask(
        db(request), actor=user_of(request), booth_id=request.path_params["booth_id"]
    )
    body = responses.BookingReminder(
        fair=fair.slug,
        booth_id=reminder.booth_id,
        opens_at=reminders.booking_opens_at(fair),
        created_at=reminder.created_at,
    )
    return json_response(body, 201 if new else 200)


async def api_withdraw_reminder(request: Request) -> Response:
    await reminders.withdraw(
        db(request), actor=user_of(request), booth_id=request.path_params["booth_id"]
    )
    return Response(status_code=204)


def feed_url(request: Request, token: str) -> str:
    return f"{settings_of(request).base_url}/calendar/{token}.ics"


async def api_new_feed(request: Request) -> Response:
    token = await feeds.new_feed(db(request), actor=user_of(request))
    return json_response(responses.CalendarFeed(url=feed_url(request, token)), 201)


async def api_revoke_feed(request: Request) -> Response:
    await feeds.revoke_feed(db(request), actor=user_of(request))
    return Response(status_code=204)


async def calendar_feed(request: Request) -> Response:
    """The subscription itself: no cookie, the secret in the URL is the key."""
    token = request.path_params["token"].removesuffix(".ics")
    user = await feeds.owner_of(db(request), token)
    if user is None:
        raise MeetingNotFound()
    base_url = settings_of(request).base_url
    items = []
    for meeting, _booth in await listing.my_meetings(db(request), actor=user):
        items.append(await invite_event(db(request), meeting, base_url))
    return Response(
        feed(items, "Kakehashi"),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


# The video room ------------------------------------------------------------------------------


def signaling_url(request: Request) -> str:
    configured = settings_of(request).signaling_url
    if configured:
        return configured
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.netloc}/ws/signaling"


async def api_join(request: Request) -> Response:
    settings = settings_of(request)
    meeting, user, side, window = await _on_meeting(request, video_room.admit, settings=settings)
    token = tokens.issue(
        settings.secret_key,
        user_id=user.id,
        meeting_id=meeting.id,
        role=str(side),
        name=user.name,
        until=window.closes_at,
        now=clock.now(),
    )
    body = responses.Join(
        ws_url=signaling_url(request),
        token=token,
        ice_servers=ice_servers(settings, user.id, now=clock.real_now()),
        peer_role=side,
        until=window.closes_at,
    )
    return json_response(body, headers={"Cache-Control": "no-store"})


async def api_attendance(request: Request) -> Response:
    data = parse(AttendanceClaim, await read_json(request))
    meeting = await _on_meeting(
        request, video_room.claim, status=Attendance(data.status), reason=data.reason.strip()
    )
    return json_response(responses.AttendanceRecord.of(meeting))


async def api_chat(request: Request) -> Response:
    rows = await _on_meeting(request, video_room.chat_history)
    messages = [responses.ChatMessage.of(m, name) for m, name in rows]
    return json_response(responses.ChatMessages(messages=messages))


async def api_post_chat(request: Request) -> Response:
    data = parse(ChatPost, await read_json(request))
    message = await _on_meeting(
        request, video_room.post_chat, body=data.body, settings=settings_of(request)
    )
    user = user_of(request)
    return json_response(responses.ChatMessage.of(message, user.name if user else ""), 201)


# Outcomes -------------------------------------------------------------------------------------


async def api_record_outcome(request: Request) -> Response:
    data = parse(OutcomeEntry, await read_json(request))
    outcome = await _on_meeting(request, outcomes.record_outcome, **data.arguments())
    return json_response(responses.Outcome.of(outcome), 201)


async def api_outcomes(request: Request) -> Response:
    meeting, _booth, entries, feedback = await _on_meeting(request, outcomes.history)
    history = [responses.Outcome.of(entry) for entry in entries]
    return json_response(
        responses.Outcomes(
            meeting_id=meeting.id,
            attendance=meeting.attendance,
            current=history[0] if history else None,
            history=history,
            buyer_view=responses.BuyerFeedback.of(feedback) if feedback else None,
        )
    )


async def api_feedback(request: Request) -> Response:
    data = parse(FeedbackEntry, await read_json(request))
    feedback = await _on_meeting(
        request, outcomes.give_feedback, view=BuyerView(data.view), note=data.note
    )
    return json_response(responses.BuyerFeedback.of(feedback))


# Besides a JSON body's own (fair.api): not signed in, not allowed, no such meeting, not now.
WRITE = (401, 403, 404, 409)

API = [
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/availability",
        api_get_hours,
        "A booth's meeting hours",
        responses.Hours,
        errors=(404, 409),
    ),
    Endpoint(
        "PUT",
        "/api/booths/{booth_id}/availability",
        api_put_hours,
        "Set meeting hours (its exhibitor)",
        responses.Hours,
        body=HoursUpdate,
        errors=WRITE,
        scope=Scope.BOOTHS,
    ),
    Endpoint(
        "GET",
        "/api/booths/{booth_id}/slots",
        api_slots,
        "Free slots in the viewer's zone, good-for-both first",
        responses.Slots,
        query=("tz", "from", "to", "order"),
        errors=(404, 409),
    ),
    Endpoint(
        "POST",
        "/api/booths/{booth_id}/booking-reminder",
        api_ask_reminder,
        "Mail me when booking opens for this booth's fair (buyer; 200 if asked already)",
        responses.BookingReminder,
        status=201,
        also={200: "asked already"},
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "DELETE",
        "/api/booths/{booth_id}/booking-reminder",
        api_withdraw_reminder,
        "No mail when booking opens",
        status=204,
        errors=(401, 404),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings",
        api_book,
        "Book a slot (buyer)",
        responses.Meeting,
        status=201,
        body=BookingRequest,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/meetings",
        api_my_meetings,
        "My meetings; with fair, that fair's (all of them for organizers and staff)",
        responses.Meetings,
        query=("tz", "fair", "status", "from", "to", "page", "per_page"),
        errors=(401, 404),
    ),
    Endpoint(
        "GET",
        "/api/meetings/{meeting_id}",
        api_meeting,
        "One meeting (participants)",
        responses.Meeting,
        query=("tz",),
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/cancel",
        api_cancel,
        "Cancel",
        responses.Meeting,
        body=Cancellation,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/reschedule",
        api_reschedule,
        "Move to another slot",
        responses.Meeting,
        body=Reschedule,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/accept",
        api_accept,
        "Confirm a request (exhibitor)",
        responses.Meeting,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/decline",
        api_decline,
        "Decline a request (exhibitor)",
        responses.Meeting,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/reconfirm",
        api_reconfirm,
        "The buyer confirms they are coming (asked by the 24-hour reminder)",
        responses.Meeting,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/release",
        api_release,
        "Release a requested meeting the buyer did not reconfirm (exhibitor)",
        responses.Meeting,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/meetings/{meeting_id}/invite.ics",
        api_invite,
        "RFC 5545 invite (METHOD:REQUEST, or CANCEL once cancelled)",
        str,
        media_type="text/calendar",
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/join",
        api_join,
        "Enter the video room: signaling URL, single-use token, ICE servers "
        "(participants, from FAIR_JOIN_EARLY_MINUTES before the start to "
        "FAIR_JOIN_GRACE_MINUTES after the end)",
        responses.Join,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/attendance",
        api_attendance,
        "Dispute the recorded attendance (exhibitor or buyer) or settle it (organizer)",
        responses.AttendanceRecord,
        body=AttendanceClaim,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/meetings/{meeting_id}/chat",
        api_chat,
        "The room's chat, kept with the meeting (participants)",
        responses.ChatMessages,
        errors=(401, 403, 404),
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/chat",
        api_post_chat,
        "Keep a chat line (participants, while the room is open; 30 a minute per account)",
        responses.ChatMessage,
        status=201,
        body=ChatPost,
        errors=(*WRITE, 429),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/outcome",
        api_record_outcome,
        "Record where the negotiation stands (its exhibitor; held meetings only); "
        "appended to the history, the latest entry is the current stage",
        responses.Outcome,
        status=201,
        body=OutcomeEntry,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "GET",
        "/api/meetings/{meeting_id}/outcomes",
        api_outcomes,
        "The outcome history, newest first, and the buyer's view (the buyer sees "
        "only their own view)",
        responses.Outcomes,
        errors=(401, 404),
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/feedback",
        api_feedback,
        "The buyer's own view of a held meeting (useful, not useful, wants follow-up)",
        responses.BuyerFeedback,
        body=FeedbackEntry,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/host",
        api_host,
        "Hand the meeting to another member of the booth's company (any member)",
        responses.Meeting,
        body=HostChoice,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/meetings/{meeting_id}/interpreter",
        api_interpreter,
        "Assign an interpreter (organizer)",
        responses.Meeting,
        body=InterpreterChoice,
        errors=WRITE,
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "POST",
        "/api/me/calendar-feed",
        api_new_feed,
        "A new secret calendar URL of all my meetings (the old one stops working)",
        responses.CalendarFeed,
        status=201,
        errors=(401,),
        scope=Scope.MEETINGS,
    ),
    Endpoint(
        "DELETE",
        "/api/me/calendar-feed",
        api_revoke_feed,
        "Revoke my calendar URL",
        status=204,
        errors=(401,),
        scope=Scope.MEETINGS,
    ),
]

routes = [
    Route("/calendar/{token}", calendar_feed, methods=["GET"]),
]
