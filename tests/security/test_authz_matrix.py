"""The authorization matrix: every route of the app × every role × its own or someone else's
resource, with the status each combination must get, and nothing changed by a refusal.

One world per database (built once per module): a fair open for booking with two approved
booths, side "a" and side "b", each with its exhibitor, a product, a photo, meeting hours,
changes waiting for review (a new tagline, a product and a photo added since the approval)
and a pending booth in a later fair; each side's buyer has four meetings at their side's booth
(one live now, one upcoming, one requested, one held with the exhibitor's outcome), each
with that side's interpreter. There is also an empty fair (to open or copy booths into), a
draft fair, calendar feeds, an exchange rate, an organizer and a staff member.

A case is (endpoint, role, side). For the buyer, the exhibitor and the interpreter the side
is ``own`` (the resources of the caller's side "a") or ``other`` (side "b"'s); anonymous,
organizer and staff own nothing and are asked once, on side "a"'s resources. Unsafe requests
carry a body that passes validation (JSON for the API, forms with the CSRF token of the
double-submit cookie, the multipart upload with its CSRF header), so the status is the
authorization's answer. A refused request (4xx) must leave every table as it was; an allowed
one may change the world, which is then put back as built before the next case. An allowed
answer must not show what the caller may not see: the other side's meetings, booths in
review that are not theirs, an exhibitor's outcomes to anyone but that exhibitor (and the
programme's organizers and staff), plus what a row lists in ``hides``.

An API token is another way of calling, as the cookie is: each role (side "a"'s people)
also holds a token with every scope, and ``test_authorization_by_token`` asks every API row
again with it alone (no cookie, no CSRF token, no CSRF header): the answer must be the
cookie's, but where the row is the account's own keys (password, sessions, tokens, sign-in
and out), which refuse every token (403).

``test_matrix_covers_every_route`` fails when a route is added to (or removed from) the app
without its row here: add an ``E(...)`` row to ENDPOINTS with the status for every role.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers import PASSWORD, REPORT_TABLES, empty_tables, make_client
from PIL import Image
from sqlalchemy import delete, insert, select, text
from starlette.routing import Route

from booths import gallery, revisions
from booths.models import Booth, BoothStatus, Product
from booths.sandbox import sandbox_of
from conversations.models import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationReport,
)
from fair import clock
from fair.accounts import api_tokens, companies
from fair.accounts.models import ApiToken, CompanyKind, Role, Session, User
from fair.accounts.service import hash_password, start_session
from fair.api import Endpoint as Declared
from fair.api import Scope
from fair.config import Settings
from fair.fairs.models import Fair
from fair.invitations.models import FairInvitation
from fair.money import ExchangeRate
from fair.resources import of_app
from fair.web import CSRF_COOKIE, SESSION_COOKIE
from fair.webhooks.models import WebhookDelivery, WebhookEndpoint
from kakehashi.app import create_app
from kakehashi.features import FEATURES
from kakehashi.models import metadata
from matchmaking.models import Need, Proposal
from meetings import feeds
from meetings.models import Attendance, BoothHours, CalendarFeed, Meeting, MeetingStatus, Stage
from meetings.outcomes import record_outcome

ROLES = ("anonymous", "buyer", "exhibitor", "interpreter", "organizer", "staff")
SIDED_ROLES = ("buyer", "exhibitor", "interpreter")
CSRF = "csrf-token-of-the-authz-matrix"
OUT_OF_SCOPE = {("/ws/signaling", "WEBSOCKET")}  # the signaling socket has its own tests

Status = int | tuple[int, int]


def who(
    anonymous: int,
    buyer: Status,
    exhibitor: Status,
    interpreter: Status,
    organizer: int,
    staff: int,
) -> dict[str, Status]:
    """Expected statuses by role; a pair is (own side, other side)."""
    return {
        "anonymous": anonymous,
        "buyer": buyer,
        "exhibitor": exhibitor,
        "interpreter": interpreter,
        "organizer": organizer,
        "staff": staff,
    }


def everyone(status: int) -> dict[str, Status]:
    return who(status, status, status, status, status, status)


def signed_in(status: int) -> dict[str, Status]:
    return who(401, status, status, status, status, status)


def owner_only(ok: int) -> dict[str, Status]:
    """A booth's own exhibitor; everyone else signed in is refused (403), nobody gets 401."""
    return who(401, 403, (ok, 403), 403, 403, 403)


def visible_when_pending(ok: int) -> dict[str, Status]:
    """A booth still in review: its exhibitor and the programme's insiders see it; for anyone
    else it does not exist."""
    return who(404, 404, (ok, 404), 404, ok, ok)


def draft_fair(ok: int) -> dict[str, Status]:
    return who(404, 404, 404, 404, ok, ok)


def organizer_only(ok: int) -> dict[str, Status]:
    return who(401, 403, 403, 403, ok, 403)


def keepers(ok: int) -> dict[str, Status]:
    """Organizers and staff (exchange rates)."""
    return who(401, 403, 403, 403, ok, ok)


def reporters(ok: int) -> dict[str, Status]:
    """The conversion report: organizers, staff, and exhibitors for their own booths."""
    return who(401, 403, ok, 403, ok, ok)


def participants_see(ok: int) -> dict[str, Status]:
    """A meeting's participants and the programme's insiders; for anyone else it does not
    exist."""
    return who(401, (ok, 404), (ok, 404), (ok, 404), ok, ok)


def in_the_room(ok: int) -> dict[str, Status]:
    """The participants only: insiders may look at a meeting but are not in its room."""
    return who(401, (ok, 404), (ok, 404), (ok, 404), 403, 403)


def buyer_or_exhibitor(ok: int) -> dict[str, Status]:
    """Cancel, reschedule: either side of the meeting, not its interpreter."""
    return who(401, (ok, 404), (ok, 404), (403, 404), 403, 403)


def its_exhibitor(ok: int) -> dict[str, Status]:
    return who(401, (403, 404), (ok, 404), (403, 404), 403, 403)


def its_buyer(ok: int) -> dict[str, Status]:
    return who(401, (ok, 404), (403, 404), (403, 404), 403, 403)


def attendance(ok: int) -> dict[str, Status]:
    """Either side disputes, an organizer settles; the interpreter and staff do neither."""
    return who(401, (ok, 404), (ok, 404), (403, 404), ok, 403)


def its_need(ok: int) -> dict[str, Status]:
    """A sourcing need: its buyer; another buyer's is not found."""
    return who(401, (ok, 404), 403, 403, 403, 403)


def its_company(ok: int) -> dict[str, Status]:
    """A company: its members (side "a"'s exhibitor owns its one); for anyone else it does
    not exist."""
    return who(401, 404, (ok, 404), 404, 404, 404)


def booker(ok: int) -> dict[str, Status]:
    """Booking: buyers only, at any approved booth."""
    return who(401, ok, 403, 403, 403, 403)


def in_thread(ok: int) -> dict[str, Status]:
    """A conversation: its buyer, its booth's company, the interpreter of their meeting."""
    return who(401, (ok, 404), (ok, 404), (ok, 404), 404, 404)


def two_sides(ok: int) -> dict[str, Status]:
    """Blocking: the buyer or the booth's company; the interpreter may read, not block."""
    return who(401, (ok, 404), (ok, 404), (403, 404), 404, 404)


def thread_start(world: World, side: str) -> dict[str, str]:
    """A thread of side "a"'s buyer with the side's booth."""
    return {"booth_id": world.sides[side]["booth"], "buyer_id": world.sides["a"]["buyer_id"]}


# The world ----------------------------------------------------------------------------------


@dataclass
class World:
    sides: dict[str, dict[str, str]]  # "a" / "b": booth, product, media, meeting kinds, ...
    common: dict[str, str]  # fairs, rate, ...
    tokens: dict[str, str]  # role -> session cookie (side "a"'s people)
    api_tokens: dict[str, str]  # role -> API token with every scope (side "a"'s people)
    emails: dict[str, str]
    fair_day: date  # the first day of the fair open for booking
    baseline: dict[str, str] = field(default_factory=dict)  # table -> its content's fingerprint
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def private(
        self, side: str, *, kinds: tuple[str, ...] = ("meeting", "pending", "outcome")
    ) -> set[str]:
        """What only some may see of a side: its meetings, its booth in review (with its
        product and photo), its approved booth's changes waiting for review (``pending_``
        keys too) and the exhibitor's outcome of the held meeting."""
        found = set()
        for key, value in self.sides[side].items():
            kind = "meeting" if key.endswith("_meeting") else key.split("_")[0]
            if kind in kinds:
                found.add(value)
        return found

    def hidden_from(self, role: str) -> set[str]:
        """What must not show in any answer to ``role`` (side "a"'s people)."""
        everything = self.private("a") | self.private("b")
        if role in {"organizer", "staff"}:
            return set()
        if role == "exhibitor":
            return everything - self.private("a")
        if role in {"buyer", "interpreter"}:  # the buyer never sees the exhibitor's outcomes
            return everything - self.private("a", kinds=("meeting",))
        return everything

    def value(self, spec: str, side: str) -> str:
        """``key`` (the side's, else common), ``other:key`` (the other side's) or ``=text``."""
        if spec.startswith("="):
            return spec[1:]
        if spec.startswith("other:"):
            side, spec = ("b" if side == "a" else "a"), spec.removeprefix("other:")
        return self.sides[side][spec] if spec in self.sides[side] else self.common[spec]


def tokyo(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Tokyo")).isoformat()


def image(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


PHOTO = image((120, 80))  # every booth shows the same photo: one blob, never orphaned
UPLOAD = image((90, 60))
SENT_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NEW_PHOTO = image((100, 70))  # added to the approved booths since: waiting for review


async def changes_waiting(app: Any, session: Any, booth: Booth, side: str) -> dict[str, str]:
    """An approved booth's changes waiting for review: a tagline, a product, a photo."""
    added = Product(booth_id=booth.id, name={"en": f"Unreviewed kettle {side}"}, position=1)
    session.add(added)
    await session.flush()
    await revisions.mark_added(session, booth, added)
    photo, _ = await gallery.store_bytes(
        session,
        booth=booth,
        data=NEW_PHOTO,
        filename="new.png",
        storage=of_app(app).storage,
        sandbox=sandbox_of(of_app(app)),
        settings=of_app(app).settings,
    )
    text = f"revision-text-of-side-{side}"
    await revisions.hold_back(session, booth, "booth", booth, {"tagline": {"en": text}})
    return {"pending_new_product": added.id, "pending_new_media": photo.id, "pending_text": text}


def first_weekday(after_days: int) -> date:
    day = clock.now().date() + timedelta(days=after_days)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


async def stored_pdf(
    app: Any, session: Any, message: Any, filename: str, key: str
) -> ConversationAttachment:
    """``SENT_PDF`` as a file of ``message``, its bytes in the app's storage."""
    file = ConversationAttachment(
        message_id=message.id,
        conversation_id=message.conversation_id,
        filename=filename,
        media_type="application/pdf",
        size=len(SENT_PDF),
        sha256=hashlib.sha256(SENT_PDF).hexdigest(),
        storage_key=f"conversations/matrix/{key}",
    )
    session.add(file)
    await of_app(app).storage.write(file.storage_key, SENT_PDF)
    return file


async def build_world(app: Any) -> World:
    now = clock.now().replace(microsecond=0)
    fair_day = first_weekday(20)
    password_hash = hash_password(PASSWORD)
    async with of_app(app).sessionmaker() as session:

        def person(role: Role, email: str, **extra: Any) -> User:
            user = User(
                email=email,
                password_hash=password_hash,
                name=email.split("@")[0].title(),
                role=role.value,
                email_verified_at=now,
                **extra,
            )
            session.add(user)
            return user

        people = {
            "organizer": person(Role.ORGANIZER, "organizer@city.example", country="JP"),
            "staff": person(Role.STAFF, "staff@city.example", country="JP"),
        }
        for side, company in (("a", "Alpha Metal"), ("b", "Beta Ceramics")):
            people[f"exhibitor_{side}"] = person(
                Role.EXHIBITOR, f"exhibitor-{side}@example.jp", company=company, country="JP"
            )
            people[f"buyer_{side}"] = person(
                Role.BUYER,
                f"buyer-{side}@example.vn",
                company=f"Buyer {side}",
                country="VN",
                timezone="Asia/Ho_Chi_Minh",
            )
            people[f"interpreter_{side}"] = person(
                Role.INTERPRETER, f"interpreter-{side}@example.vn", languages=["ja", "vi"]
            )

        def fair(slug: str, first: date, status: str = "published") -> Fair:
            made = Fair(
                slug=slug,
                title={"en": f"Fair {slug}"},
                starts_on=first,
                ends_on=first + timedelta(days=4),
                booking_opens_on=now.date() - timedelta(days=1),
                timezone="Asia/Tokyo",
                slot_minutes=30,
                status=status,
            )
            session.add(made)
            return made

        open_fair = fair("open-fair", fair_day)
        next_fair = fair("next-fair", fair_day + timedelta(days=40))
        later_fair = fair("later-fair", fair_day + timedelta(days=80))
        draft = fair("draft-fair", fair_day + timedelta(days=120), status="draft")
        session.add(ExchangeRate(currency="USD", valid_from=date(2026, 1, 1), jpy_per_unit=150))
        await session.flush()

        sides: dict[str, dict[str, str]] = {}
        for side in ("a", "b"):
            owner = people[f"exhibitor_{side}"]
            buyer, interpreter = people[f"buyer_{side}"], people[f"interpreter_{side}"]
            # Each exhibitor and buyer owns a one-member company, as registration makes.
            company = await companies.create_company(
                session, owner=owner, name=owner.company, kind=CompanyKind.EXHIBITOR
            )
            await companies.create_company(
                session, owner=buyer, name=buyer.company, kind=CompanyKind.BUYER
            )
            ids: dict[str, str] = {
                "interpreter_id": interpreter.id,
                "company": company.id,
                "exhibitor_id": owner.id,
            }
            for key, in_fair, status in (
                ("booth", open_fair, BoothStatus.APPROVED),
                ("pending_booth", later_fair, BoothStatus.PENDING),
            ):
                booth = Booth(
                    fair_id=in_fair.id,
                    owner_id=owner.id,
                    company_id=company.id,
                    company={"en": owner.company},
                    status=status,
                    tags=[],
                )
                session.add(booth)
                await session.flush()
                product = Product(booth_id=booth.id, name={"en": f"Kettle {side}"})
                session.add(product)
                session.add(
                    BoothHours(
                        booth_id=booth.id,
                        timezone="Asia/Tokyo",
                        weekly=[
                            {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)
                        ],
                        exceptions=[],
                        min_notice_minutes=0,
                        max_per_buyer=10,
                    )
                )
                await session.flush()
                media, _ = await gallery.store_bytes(
                    session,
                    booth=booth,
                    data=PHOTO,
                    filename="front.png",
                    storage=of_app(app).storage,
                    sandbox=sandbox_of(of_app(app)),
                    settings=of_app(app).settings,
                )
                prefix = "" if key == "booth" else "pending_"
                ids |= {key: booth.id, f"{prefix}product": product.id, f"{prefix}media": media.id}
                if key == "booth":
                    await revisions.publish(session, booth)  # approved with its photo
                    ids |= await changes_waiting(app, session, booth, side)

            def meeting(starts_at: datetime, **extra: Any) -> Meeting:
                made = Meeting(
                    booth_id=ids["booth"],  # noqa: B023
                    buyer_id=buyer.id,  # noqa: B023
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=30),
                    buyer_timezone="Asia/Ho_Chi_Minh",
                    interpreter_language="vi",
                    interpreter_id=interpreter.id,  # noqa: B023
                    **{"status": MeetingStatus.CONFIRMED, "confirmed_at": now, **extra},
                )
                session.add(made)
                return made

            meetings = {
                # In its join window now (it opens ten minutes before the start).
                "live": meeting(now + timedelta(minutes=5)),
                # A confirmed request whose buyer was asked to reconfirm 13 hours ago and has
                # not: it can be reconfirmed, released, cancelled, moved, given an interpreter.
                "upcoming": meeting(
                    now + timedelta(days=3),
                    by_request=True,
                    attendance_asked_at=now - timedelta(hours=13),
                ),
                "requested": meeting(
                    now + timedelta(days=4),
                    status=MeetingStatus.REQUESTED,
                    confirmed_at=None,
                    by_request=True,
                    expires_at=now + timedelta(days=2),
                ),
                "held": meeting(
                    now - timedelta(days=2),
                    attendance=Attendance.HELD,
                    attendance_decided_at=now - timedelta(days=2),
                ),
            }
            await session.flush()
            ids |= {f"{kind}_meeting": m.id for kind, m in meetings.items()}
            need = Need(buyer_id=buyer.id, text=f"Copper kettles {side}", tags=[])
            session.add(need)
            await session.flush()
            ids["need"] = need.id
            # An organizer's proposal of a meeting between the side's buyer and booth, open.
            proposal = Proposal(
                fair_id=open_fair.id,
                buyer_id=buyer.id,
                booth_id=ids["booth"],
                proposed_by=people["organizer"].id,
                kind="organizer",
                status="open",
                buyer_answer="pending",
                booth_answer="pending",
                expires_at=now + timedelta(days=7),
            )
            session.add(proposal)
            await session.flush()
            ids["proposal"] = proposal.id
            # The side's buyer and booth talk; the buyer reported the exhibitor's message.
            thread = Conversation(
                fair_id=open_fair.id, booth_id=ids["booth"], buyer_id=buyer.id, started_by=buyer.id
            )
            session.add(thread)
            await session.flush()
            said = ConversationMessage(
                conversation_id=thread.id,
                author_id=owner.id,
                body=f"conversation-text-of-side-{side}",
            )
            session.add(said)
            await session.flush()
            reported = ConversationReport(
                conversation_id=thread.id, message_id=said.id, reporter_id=buyer.id, reason="Rude"
            )
            session.add(reported)
            await session.flush()
            # The buyer sent a file with a message of their own.
            with_file = ConversationMessage(
                conversation_id=thread.id, author_id=buyer.id, body="Our needs"
            )
            session.add(with_file)
            await session.flush()
            sent = await stored_pdf(app, session, with_file, "needs.pdf", f"{side}.pdf")
            # The reported message carries a file too: the organizers open it to decide.
            evidence = await stored_pdf(app, session, said, "offer.pdf", f"{side}-reported.pdf")
            await session.flush()
            ids |= {
                "conversation": thread.id,
                "attachment": sent.id,
                "reported_file": evidence.id,
                "message": said.id,
                "message_text": said.body,
                "report": reported.id,
            }
            outcome = await record_outcome(
                session,
                actor=owner,
                meeting_id=meetings["held"].id,
                stage=Stage.QUOTE,
                note=f"outcome-note-of-side-{side}",
            )
            ids |= {"outcome": outcome.id, "outcome_note": outcome.note, "buyer_id": buyer.id}
            token = f"calendar-feed-token-of-side-{side}"
            session.add(CalendarFeed(user_id=buyer.id, token_hash=feeds._hash(token)))
            ids["feed"] = f"{token}.ics"
            sides[side] = ids
        await session.flush()

        tokens, secrets = {}, {}
        settings = of_app(app).settings
        for role in ROLES[1:]:
            user = people[f"{role}_a"] if role in SIDED_ROLES else people[role]
            tokens[role] = await start_session(session, user, settings=settings)
            secrets[role] = f"kk_{role:-<43}"
            session.add(
                ApiToken(
                    user_id=user.id,
                    name=f"{role}'s integration",
                    scopes=[scope.value for scope in Scope],
                    token_hash=api_tokens.digest(secrets[role]),
                    prefix=secrets[role][:8],
                    created_at=now,
                    expires_at=now + timedelta(days=30),
                    # "Used" ahead of the clock: the matrix's calls never note a use, which
                    # would make every allowed case restore the world.
                    last_used_at=now + timedelta(days=1),
                )
            )
        # A signed-in device and an API token of someone none of the callers is: no one
        # else may end or revoke them.
        await start_session(session, people["buyer_b"], settings=settings)
        foreign_token = ApiToken(
            user_id=people["buyer_b"].id,
            name="buyer b's integration",
            scopes=[Scope.READ.value],
            token_hash=api_tokens.digest("kk_" + "b" * 43),
            prefix="kk_bbbbb",
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
        session.add(foreign_token)
        foreign_session = await session.scalar(
            select(Session.public_id).where(Session.user_id == people["buyer_b"].id)
        )
        emails = {role: u.email for role, u in people.items()}
        # The organizer's webhook endpoint, with one delivery made.
        endpoint = WebhookEndpoint(
            created_by=people["organizer"].id,
            url="https://93.184.216.34/hooks",
            events=["booth.approved"],
            secret="whsec_" + "A" * 32,
        )
        session.add(endpoint)
        await session.flush()
        delivery = WebhookDelivery(
            id="msg_of_the_authz_matrix",
            endpoint_id=endpoint.id,
            event_type="booth.approved",
            payload={"type": "booth.approved", "data": {"booth_id": sides["a"]["booth"]}},
            status="succeeded",
            attempts=1,
            last_status_code=204,
        )
        session.add(delivery)
        # A pending invitation of the open fair (its link is never mailed here).
        invitation = FairInvitation(
            token_hash="0" * 64,
            email="invitee@example.com",
            role="buyer",
            fair_id=open_fair.id,
            locale="en",
            invited_by=people["organizer"].id,
            expires_at=now + timedelta(days=14),
        )
        session.add(invitation)
        await session.commit()

    common = {
        "fair": open_fair.slug,
        "next_fair": next_fair.slug,
        "draft_fair": draft.slug,
        "later_fair": later_fair.slug,
        "foreign_session": foreign_session,
        "foreign_token": foreign_token.id,
        "webhook": endpoint.id,
        "webhook_delivery": delivery.id,
        "invitation": invitation.id,
    }
    world = World(sides, common, tokens, secrets, emails, fair_day)
    world.rows = await read_rows(app)
    world.baseline = await fingerprint(app)
    return world


# Snapshots ----------------------------------------------------------------------------------


async def read_rows(app: Any) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    async with of_app(app).sessionmaker() as session:
        for table in metadata.sorted_tables:
            result = await session.execute(select(table))
            rows[table.name] = [dict(row._mapping) for row in result]
        await session.rollback()
    return rows


# Numbers the database's triggers move whenever rows are written, for the app's in-memory
# caches (migrations 0030 and 0031): putting the world back writes every row again, which
# moves them. They tell that rows were written, not what the rows hold, so the snapshot
# leaves them out; a refusal that changed what a booth or a fair holds still shows.
CACHE_VERSIONS = {("fairs", "directory_version"), ("booths", "facts_version")}


def fingerprint_query(dialect: str) -> str:
    """One statement giving each table's whole content as a value (a digest on PostgreSQL),
    in an order that does not depend on how the database stores the rows: the snapshot taken
    after every case costs one round trip."""
    parts = []  # table and column names come from our own models
    for table in metadata.sorted_tables:
        name = f'"{table.name}"'
        columns = ", ".join(
            f'"{c.name}"' for c in table.columns if (table.name, c.name) not in CACHE_VERSIONS
        )
        if dialect == "postgresql":
            digest = "coalesce(md5(string_agg(r, '|' ORDER BY r)), '')"
            rows = f"SELECT row({columns})::text AS r FROM {name}"  # noqa: S608
            parts.append(f"(SELECT {digest} FROM ({rows}) AS t)")  # noqa: S608
        else:
            rows = f"SELECT json_array({columns}) AS r FROM {name} ORDER BY r"  # noqa: S608
            joined = "coalesce(group_concat(r, '|'), '')"
            parts.append(f"(SELECT {joined} FROM ({rows}))")  # noqa: S608
    return "SELECT " + ", ".join(parts)


async def fingerprint(app: Any) -> dict[str, str]:
    async with of_app(app).engine.connect() as connection:
        query = fingerprint_query(connection.dialect.name)
        values = (await connection.execute(text(query))).one()
        await connection.rollback()
    return {table.name: v for table, v in zip(metadata.sorted_tables, values, strict=True)}


async def restore(app: Any, world: World) -> None:
    """Put every table back as the world was built."""
    async with of_app(app).sessionmaker() as session:
        await empty_tables(session)
        for table in metadata.sorted_tables:
            if world.rows[table.name] and table.name not in REPORT_TABLES:
                await session.execute(insert(table), world.rows[table.name])
        # The meetings put back appended their counts again: the report's rows as they were.
        for name in REPORT_TABLES:
            table = metadata.tables[name]
            await session.execute(delete(table))
            if world.rows[name]:
                await session.execute(insert(table), world.rows[name])
        await session.commit()


def changed_tables(world: World, now: dict[str, str]) -> list[str]:
    return [name for name, content in now.items() if content != world.baseline[name]]


# The matrix ---------------------------------------------------------------------------------


Body = Callable[[World, str], Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # exactly as in the route table
    expect: dict[str, Status]
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> World.value spec
    json: Body = None
    form: Body = None  # sent with the CSRF token
    upload: Body = None  # a multipart file upload (with these fields) and the CSRF header
    query: str = ""
    variant: str = ""  # what sets this row apart from others of the same route
    # By role: World.value specs of what an allowed answer must not show (beyond the
    # meetings and booths in review that no answer may show to those who may not see them).
    hides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def secret_url(self) -> bool:
        """A capability URL: whoever holds it sees what it names."""
        return self.path == "/calendar/{token}"

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


def E(method: str, path: str, expect: dict[str, Status], **options: Any) -> Endpoint:
    return Endpoint(method, path, expect, **options)


BOOTH = {"booth_id": "booth"}
PENDING = {"booth_id": "pending_booth"}
MEETING = {"meeting_id": "upcoming_meeting"}
LIVE = {"meeting_id": "live_meeting"}
HELD = {"meeting_id": "held_meeting"}
REQUESTED = {"meeting_id": "requested_meeting"}
NEED = {"need_id": "need"}
COMPANY = {"id": "company"}
INVITE = {"email": "new.colleague@example.jp"}
PROPOSAL = {"proposal_id": "proposal"}
THREAD = {"conversation_id": "conversation"}
SENT_FILE = {"conversation_id": "conversation", "attachment_id": "attachment"}
REPORTED = {"conversation_id": "conversation", "message_id": "message"}
# Everyone's own threads only: organizers and staff read none (only reported messages).
OTHER_THREAD = {
    "buyer": ("other:conversation", "other:message_text"),
    "exhibitor": ("other:conversation", "other:message_text"),
    "interpreter": ("other:conversation", "other:message_text"),
    "organizer": ("conversation", "message_text"),
    "staff": ("conversation", "message_text"),
}
DRAFT = {"slug": "draft_fair"}
FAIR = {"slug": "fair"}
LATER = {"slug": "later_fair"}
# An exhibitor's report covers their own booths only.
OTHER_BOOTH = {"exhibitor": ("other:booth", "=Beta Ceramics")}
NEW_FAIR = {
    "slug": "new-fair",
    "title": {"en": "New fair"},
    "starts_on": "2031-03-10",
    "ends_on": "2031-03-12",
}
REGISTRATION = {
    "email": "newcomer@example.vn",
    "password": PASSWORD,
    "name": "Newcomer",
    "role": "buyer",
    "company": "Newcomer Trading",
    "country": "VN",
    "timezone": "Asia/Ho_Chi_Minh",
    "locale": "vi",
}
HOURS = {
    "timezone": "Asia/Tokyo",
    "weekly": [{"weekday": 1, "start": "10:00", "end": "12:00"}],
    "min_notice_minutes": 0,
}
HOURS_FORM = {"timezone": "Asia/Tokyo", "open_1": "1", "start_1": "10:00", "end_1": "12:00"}


NO_LINK = {"token": "a-link-that-was-never-mailed"}
LINK = {"token": "=a-link-that-was-never-mailed"}
NEW_PASSWORD = "lantern orchid seventeen harbour"
PASSWORD_CHANGE = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
FOREIGN_SESSION = {"id": "foreign_session"}
PROFILE_CHANGE = {
    "position": "Director",
    "languages": ["ja", "en"],
    "working_hours": {"start": "08:00", "end": "17:00"},
}
PROFILE_FORM = {
    "name": "Someone Else",
    "position": "Director",
    "country": "JP",
    "timezone": "Asia/Tokyo",
    "locale": "en",
    "languages": ["ja", "en"],
    "day_start": "08:00",
    "day_end": "17:00",
}
EMAIL_CHANGE = {"email": "moving@example.jp", "password": PASSWORD}
FOREIGN_TOKEN = {"id": "foreign_token"}
EXPORT_LINK = {"export_id": "=0123456789abcdef0123456789abcdef", "token": "=never-mailed"}
NEW_TOKEN = {"name": "City CRM", "scopes": ["read", "meetings"]}
WEBHOOK = {"id": "webhook"}
WEBHOOK_DELIVERY = {"id": "webhook", "delivery_id": "webhook_delivery"}
INVITATION = {"slug": "fair", "id": "invitation"}
NEW_INVITATION = {"email": "new.buyer@example.com", "role": "buyer"}
# The matrix's upload is an image: the organizer gets past every check to "not a list".


def invitation_list(world: World, side: str) -> dict[str, Any]:
    return {"fair": world.common["fair"], "dry_run": "true"}


# A public address written as one: no name to resolve (tests run without DNS).
NEW_WEBHOOK = {"url": "https://93.184.216.34/new-hooks", "events": ["meeting.booked"]}


def reset_request(world: World, side: str) -> dict[str, Any]:
    return {"email": world.emails["buyer_b"]}


def login_body(world: World, side: str) -> dict[str, Any]:
    return {"email": world.emails["buyer_a"], "password": PASSWORD}


def booking(world: World, side: str) -> dict[str, Any]:
    return {"booth_id": world.sides[side]["booth"], "start": tokyo(world.fair_day, 11)}


def pending_booking(world: World, side: str) -> dict[str, Any]:
    return {"booth_id": world.sides[side]["pending_booth"], "start": tokyo(world.fair_day, 11)}


def booking_form(world: World, side: str) -> dict[str, Any]:
    return {"start": tokyo(world.fair_day, 11)}


def moving(world: World, side: str) -> dict[str, Any]:
    return {"start": tokyo(world.fair_day, 10)}


def interpreter_choice(world: World, side: str) -> dict[str, Any]:
    return {"user_id": world.sides[side]["interpreter_id"]}


def host_choice(world: World, side: str) -> dict[str, Any]:
    """The booth's exhibitor, its host already: handing it to them changes nothing."""
    return {"user_id": world.sides[side]["exhibitor_id"]}


def product_order(world: World, side: str) -> dict[str, Any]:
    return {"ids": [world.sides[side]["product"], world.sides[side]["pending_new_product"]]}


def media_order(world: World, side: str) -> dict[str, Any]:
    return {"ids": [world.sides[side]["media"], world.sides[side]["pending_new_media"]]}


def foreign_order(world: World, side: str) -> dict[str, Any]:
    return {"ids": [world.value("other:product", side)]}


def foreign_product(world: World, side: str) -> dict[str, Any]:
    return {"product_id": world.value("other:product", side)}


def foreign_outcome(world: World, side: str) -> dict[str, Any]:
    return {**OUTCOME, "product_ids": [world.value("other:product", side)]}


def invitation(world: World, side: str) -> dict[str, Any]:
    """A meeting proposed at the side's booth to the other side's buyer (no proposal yet)."""
    return {
        "fair": world.common["fair"],
        "buyer_id": world.value("other:buyer_id", side),
        "booth_id": world.sides[side]["booth"],
    }


def proposal_time(world: World, side: str) -> dict[str, Any]:
    return {"start": tokyo(world.fair_day, 10)}


SIDED_BODIES = (
    invitation,
    booking,
    pending_booking,
    interpreter_choice,
    host_choice,
    product_order,
    media_order,
    foreign_order,
    foreign_product,
    foreign_outcome,
    thread_start,
)
# Another booth's product named in the body of one's own booth's request.
FOREIGN = "another booth's product in the body"


def copy_to_next(world: World, side: str) -> dict[str, Any]:
    return {"fair": world.common["next_fair"]}


CLAIM = {"status": "no_show_buyer", "reason": "Nobody came on the other side."}
OUTCOME = {"stage": "follow_up", "note": "Samples next week."}
MEETING_ACTIONS: dict[str, tuple[dict[str, str], Body, dict[str, Status]]] = {
    "cancel": (MEETING, {"reason": "Plans changed."}, buyer_or_exhibitor(303)),
    "reschedule": (MEETING, moving, buyer_or_exhibitor(303)),
    "accept": (REQUESTED, {}, its_exhibitor(303)),
    "decline": (REQUESTED, {}, its_exhibitor(303)),
    "reconfirm": (MEETING, {}, its_buyer(303)),
    "release": (MEETING, {}, its_exhibitor(303)),
    "attendance": (HELD, CLAIM, attendance(303)),
    "outcome": (HELD, OUTCOME, its_exhibitor(303)),
    "feedback": (HELD, {"view": "useful"}, its_buyer(303)),
    # Handing over is for the booth's company; a meeting's other people may not.
    "host": (MEETING, host_choice, its_exhibitor(303)),
}

ENDPOINTS: list[Endpoint] = [
    # Health and the API document
    E("GET", "/healthz", everyone(200)),
    # The metrics answer only this machine or FAIR_METRICS_TOKEN: nobody's session opens them.
    E("GET", "/metrics", everyone(404)),
    E("GET", "/api/openapi.json", everyone(200)),
    # Accounts
    E("POST", "/api/auth/register", everyone(201), json=REGISTRATION),
    *(
        E(
            "POST",
            "/api/auth/register",
            everyone(422),
            json={**REGISTRATION, "role": role},
            variant=f"as {role}",
        )
        for role in ("organizer", "staff", "interpreter")
    ),
    E("POST", "/api/auth/login", everyone(200), json=login_body),
    E("POST", "/api/auth/logout", everyone(204)),
    E("GET", "/api/auth/me", signed_in(200)),
    E("GET", "/register", everyone(200)),
    E("POST", "/register", everyone(303), form=REGISTRATION),
    E(
        "POST",
        "/register",
        everyone(422),
        form={**REGISTRATION, "role": "organizer"},
        variant="as organizer",
    ),
    E("GET", "/login", everyone(200)),
    E("POST", "/login", everyone(303), form=login_body),
    E("POST", "/logout", everyone(303), form={}),
    E("POST", "/language", everyone(303), form={"locale": "ja"}),
    # Accounts: e-mail verification, passwords, signed-in devices. Everyone of the world has
    # confirmed their address; a made-up link is refused alike for all.
    E("POST", "/api/auth/verify", everyone(400), json=NO_LINK),
    E("POST", "/api/auth/verify/resend", signed_in(409)),
    E("POST", "/api/auth/password-reset", everyone(202), json=reset_request),
    E(
        "POST",
        "/api/auth/password-reset/confirm",
        everyone(400),
        json={**NO_LINK, "password": NEW_PASSWORD},
    ),
    E("POST", "/api/auth/password", signed_in(204), json=PASSWORD_CHANGE),
    E("GET", "/api/auth/sessions", signed_in(200)),
    E("DELETE", "/api/auth/sessions/{id}", signed_in(404), params=FOREIGN_SESSION),
    E("POST", "/api/auth/sessions/revoke-others", signed_in(200)),
    E("GET", "/verify/{token}", everyone(200), params=LINK),
    E("POST", "/verify/{token}", everyone(400), params=LINK, form={}),
    E("GET", "/account", signed_in(200)),
    E("POST", "/account/verify/resend", signed_in(409), form={}),
    E("POST", "/account/password", signed_in(303), form=PASSWORD_CHANGE),
    E("GET", "/account/sessions", signed_in(200)),
    E("POST", "/account/sessions/revoke-others", signed_in(303), form={}),
    E(
        "POST",
        "/account/sessions/{id}/revoke",
        signed_in(404),
        params=FOREIGN_SESSION,
        form={},
    ),
    # The profile: one's own, whoever one is. Changing the address needs the password and
    # a link mailed to the new address; a made-up link is refused alike for all.
    E("GET", "/api/me", signed_in(200)),
    E("PATCH", "/api/me", signed_in(200), json=PROFILE_CHANGE),
    E("POST", "/api/me/email", signed_in(202), json=EMAIL_CHANGE),
    E("POST", "/api/me/email/confirm", signed_in(400), json=NO_LINK),
    E("POST", "/api/me/export", signed_in(202)),
    E("DELETE", "/api/me", signed_in(204), json={"password": PASSWORD}),
    E("POST", "/account/export", signed_in(303), form={}),
    E("GET", "/account/export/{export_id}/{token}", signed_in(404), params=EXPORT_LINK),
    E("POST", "/account/delete", signed_in(200), form={"delete_password": PASSWORD}),
    E("POST", "/account/profile", signed_in(303), form=PROFILE_FORM),
    E("POST", "/account/email", signed_in(303), form=EMAIL_CHANGE),
    E("GET", "/account/email/{token}", everyone(200), params=LINK),
    E("POST", "/account/email/{token}", signed_in(400), params=LINK, form={}),
    # Companies: the exhibitor's own (side "a"'s exhibitor is its one member and owner);
    # for anyone else it does not exist. Removing the last owner is refused (409).
    E("GET", "/api/companies/mine", who(401, 200, 200, 404, 404, 404)),
    E("GET", "/api/companies/{id}/members", its_company(200), params=COMPANY),
    E("POST", "/api/companies/{id}/invitations", its_company(201), params=COMPANY, json=INVITE),
    E(
        "DELETE",
        "/api/companies/{id}/members/{user_id}",
        its_company(409),
        params={**COMPANY, "user_id": "exhibitor_id"},
    ),
    E(
        "POST",
        "/account/company/{id}/invitations",
        its_company(303),
        params=COMPANY,
        form={**INVITE, "role": "member"},
    ),
    E(
        "POST",
        "/account/company/{id}/members/{user_id}/remove",
        its_company(409),
        params={**COMPANY, "user_id": "exhibitor_id"},
        form={},
    ),
    E("POST", "/api/companies/{id}/confirm", organizer_only(200), params=COMPANY),
    E("GET", "/api/companies", keepers(200)),
    E("GET", "/organizer/companies", keepers(200)),
    # The organizers' desk: organizers and staff, each seeing the tools their role may use.
    E("GET", "/organizer", keepers(200)),
    E("POST", "/organizer/companies/{id}/confirm", organizer_only(303), params=COMPANY, form={}),
    # Accepting: only the link's holder; a token that is no invitation is an invalid link.
    E("POST", "/api/invitations/{token}/accept", everyone(400), params=LINK, json={}),
    # The link's page (/invitations/{token}) is one for both kinds of invitation: its rows
    # stand with the fair invitations' below (a token that is neither is a 400).
    # API tokens: one's own; another account's is not found.
    E("GET", "/api/tokens", signed_in(200)),
    E("POST", "/api/tokens", signed_in(201), json=NEW_TOKEN),
    E("DELETE", "/api/tokens/{id}", signed_in(404), params=FOREIGN_TOKEN),
    E("GET", "/account/tokens", signed_in(200)),
    E("POST", "/account/tokens", signed_in(200), form={**NEW_TOKEN, "scopes": "read"}),
    E("POST", "/account/tokens/{id}/revoke", signed_in(404), params=FOREIGN_TOKEN, form={}),
    E("GET", "/password-reset", everyone(200)),
    E("POST", "/password-reset", everyone(202), form=reset_request),
    E("GET", "/password-reset/{token}", everyone(200), params=LINK),
    E(
        "POST",
        "/password-reset/{token}",
        everyone(400),
        params=LINK,
        form={"password": NEW_PASSWORD},
    ),
    # Fairs
    E("GET", "/api/fairs", everyone(200)),
    E("POST", "/api/fairs", organizer_only(201), json=NEW_FAIR),
    E("GET", "/api/fairs/{slug}", everyone(200), params=FAIR),
    E("GET", "/api/fairs/{slug}", draft_fair(200), params=DRAFT, variant="draft"),
    E("POST", "/api/fairs/{slug}/publish", organizer_only(200), params=DRAFT, json={}),
    E(
        "PATCH",
        "/api/fairs/{slug}",
        organizer_only(200),
        params=FAIR,
        json={"buyer_admission": "vetted"},
    ),
    # Vetted fairs: a buyer asks (this fair is open to every buyer: 409), organizers and
    # staff read the requests, organizers answer (admitting side "a"'s buyer).
    E("POST", "/api/fairs/{slug}/buyers", who(401, 409, 403, 403, 403, 403), params=FAIR, json={}),
    E("GET", "/api/fairs/{slug}/buyers", keepers(200), params=FAIR),
    *(
        E(
            "POST",
            f"/api/fairs/{{slug}}/buyers/{{user_id}}/{answer}",
            organizer_only(200),
            params={**FAIR, "user_id": "buyer_id"},
        )
        for answer in ("approve", "reject")
    ),
    E(
        "POST",
        "/fairs/{slug}/admission",
        who(401, 409, 403, 403, 403, 403),
        params=FAIR,
        form={"message": "We source kettles."},
    ),
    E("GET", "/fairs/{slug}/buyers", keepers(200), params=FAIR),
    E(
        "POST",
        "/fairs/{slug}/buyers",
        organizer_only(303),
        params=FAIR,
        form=lambda world, side: {"user_id": world.sides["a"]["buyer_id"], "answer": "approve"},
    ),
    E("GET", "/", everyone(200)),
    E("GET", "/fairs/{slug}", everyone(200), params=FAIR),
    E("GET", "/fairs/{slug}", draft_fair(200), params=DRAFT, variant="draft"),
    # Booths: the API
    E(
        "POST",
        "/api/fairs/{slug}/booths",
        who(401, 403, 201, 403, 403, 403),
        params={"slug": "next_fair"},
        json={"company": {"ja": "自社ブース", "en": "A booth of one's own"}},
    ),
    E("GET", "/api/fairs/{slug}/booths", everyone(200), params=FAIR),
    # A fair whose booths are all in review lists none of them.
    E("GET", "/api/fairs/{slug}/booths", everyone(200), params=LATER, variant="booths in review"),
    E("GET", "/api/fairs/{slug}/booths", draft_fair(200), params=DRAFT, variant="draft"),
    E("GET", "/api/me/booths", signed_in(200)),
    E("GET", "/api/review/booths", organizer_only(200)),
    E("GET", "/api/review/changes", organizer_only(200)),
    E("GET", "/api/booths/{booth_id}", everyone(200), params=BOOTH),
    E(
        "GET",
        "/api/booths/{booth_id}",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E("PATCH", "/api/booths/{booth_id}", owner_only(200), params=BOOTH, json={"city": "Sanjo"}),
    E("POST", "/api/booths/{booth_id}/approve", organizer_only(200), params=PENDING, json={}),
    E(
        "POST",
        "/api/booths/{booth_id}/reject",
        organizer_only(200),
        params=PENDING,
        json={"reason": "Add photos."},
    ),
    E("POST", "/api/booths/{booth_id}/changes/approve", organizer_only(200), params=BOOTH, json={}),
    E(
        "POST",
        "/api/booths/{booth_id}/changes/reject",
        organizer_only(200),
        params=BOOTH,
        json={"reason": "Tone the tagline down."},
    ),
    E("POST", "/api/booths/{booth_id}/copy", owner_only(201), params=BOOTH, json=copy_to_next),
    E(
        "GET",
        "/api/booths/{booth_id}/analytics",
        who(401, 403, (200, 403), 403, 200, 200),
        params=BOOTH,
    ),
    E("GET", "/api/booths/{booth_id}/products", everyone(200), params=BOOTH),
    E(
        "GET",
        "/api/booths/{booth_id}/products",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E(
        "POST",
        "/api/booths/{booth_id}/products",
        owner_only(201),
        params=BOOTH,
        json={"name": {"ja": "タンブラー", "en": "Tumbler"}},
    ),
    E(
        "PUT",
        "/api/booths/{booth_id}/products/order",
        owner_only(200),
        params=BOOTH,
        json=product_order,
    ),
    E(
        "PUT",
        "/api/booths/{booth_id}/products/order",
        who(401, 403, (400, 403), 403, 403, 403),
        params=BOOTH,
        json=foreign_order,
        variant=FOREIGN,
    ),
    E(
        "PATCH",
        "/api/booths/{booth_id}/products/{product_id}",
        owner_only(200),
        params={**BOOTH, "product_id": "product"},
        json={"moq": 10},
    ),
    E(
        "PATCH",
        "/api/booths/{booth_id}/products/{product_id}",
        who(401, 403, (404, 403), 403, 403, 403),
        params={**BOOTH, "product_id": "other:product"},
        json={"moq": 10},
        variant="another booth's product",
    ),
    E(
        "DELETE",
        "/api/booths/{booth_id}/products/{product_id}",
        owner_only(204),
        params={**BOOTH, "product_id": "product"},
    ),
    E(
        "DELETE",
        "/api/booths/{booth_id}/products/{product_id}",
        who(401, 403, (404, 403), 403, 403, 403),
        params={**BOOTH, "product_id": "other:product"},
        variant="another booth's product",
    ),
    E("GET", "/api/booths/{booth_id}/media", everyone(200), params=BOOTH),
    E(
        "GET",
        "/api/booths/{booth_id}/media",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E("POST", "/api/booths/{booth_id}/media", owner_only(201), params=BOOTH, upload={}),
    E(
        "POST",
        "/api/booths/{booth_id}/media",
        who(401, 403, (404, 403), 403, 403, 403),
        params=BOOTH,
        upload=foreign_product,
        variant=FOREIGN,
    ),
    E("PUT", "/api/booths/{booth_id}/media/order", owner_only(200), params=BOOTH, json=media_order),
    E(
        "PATCH",
        "/api/media/{media_id}",
        owner_only(200),
        params={"media_id": "media"},
        json={"title": {"ja": "正面", "en": "Front"}},
    ),
    E(
        "PATCH",
        "/api/media/{media_id}",
        who(401, 403, (404, 403), 403, 403, 403),
        params={"media_id": "media"},
        json=foreign_product,
        variant=FOREIGN,
    ),
    E("DELETE", "/api/media/{media_id}", owner_only(204), params={"media_id": "media"}),
    E("GET", "/media/{media_id}", everyone(200), params={"media_id": "media"}),
    E(
        "GET",
        "/media/{media_id}",
        visible_when_pending(200),
        params={"media_id": "pending_media"},
        variant="pending",
    ),
    # A photo added to an approved booth is served as a booth in review is, until approved.
    E(
        "GET",
        "/media/{media_id}",
        visible_when_pending(200),
        params={"media_id": "pending_new_media"},
        variant="waiting for review",
    ),
    E(
        "GET",
        "/media/{media_id}/{variant}",
        everyone(200),
        params={"media_id": "media", "variant": "=thumb"},
    ),
    E(
        "GET",
        "/media/{media_id}/{variant}",
        visible_when_pending(200),
        params={"media_id": "pending_new_media", "variant": "=thumb"},
        variant="waiting for review",
    ),
    E(
        "GET",
        "/media/{media_id}/{variant}",
        visible_when_pending(200),
        params={"media_id": "pending_media", "variant": "=large"},
        variant="pending",
    ),
    # Booths: the public pages
    E("GET", "/fairs/{slug}/booths", everyone(200), params=FAIR),
    E("GET", "/fairs/{slug}/booths", everyone(200), params=LATER, variant="booths in review"),
    E("GET", "/fairs/{slug}/booths", draft_fair(200), params=DRAFT, variant="draft"),
    E("GET", "/booths/{booth_id}", everyone(200), params=BOOTH),
    E("GET", "/booths/{booth_id}", visible_when_pending(200), params=PENDING, variant="pending"),
    E(
        "GET",
        "/booths/{booth_id}/products/{product_id}",
        everyone(200),
        params={**BOOTH, "product_id": "product"},
    ),
    E(
        "GET",
        "/booths/{booth_id}/products/{product_id}",
        visible_when_pending(200),
        params={**PENDING, "product_id": "pending_product"},
        variant="pending",
    ),
    E(
        "GET",
        "/booths/{booth_id}/products/{product_id}",
        visible_when_pending(200),
        params={**BOOTH, "product_id": "pending_new_product"},
        variant="waiting for review",
    ),
    E(
        "GET",
        "/booths/{booth_id}/products/{product_id}",
        everyone(404),
        params={**BOOTH, "product_id": "other:product"},
        variant="another booth's product",
    ),
    # Booths: the exhibitor's and the organizer's pages
    E("GET", "/my/booths", who(401, 403, 200, 403, 403, 403)),
    E(
        "GET",
        "/fairs/{slug}/booths/new",
        who(401, 403, 200, 403, 403, 403),
        params={"slug": "next_fair"},
    ),
    E(
        "POST",
        "/fairs/{slug}/booths/new",
        who(401, 403, 303, 403, 403, 403),
        params={"slug": "next_fair"},
        form={"company.ja": "自社ブース", "company.en": "A booth of one's own"},
    ),
    E("GET", "/booths/{booth_id}/edit", owner_only(200), params=BOOTH),
    E(
        "POST",
        "/booths/{booth_id}/edit",
        owner_only(303),
        params=BOOTH,
        form={"company.ja": "新社名", "company.en": "Renamed", "city": "Sanjo"},
    ),
    E("POST", "/booths/{booth_id}/copy", owner_only(303), params=BOOTH, form=copy_to_next),
    E("GET", "/booths/{booth_id}/manage/products", owner_only(200), params=BOOTH),
    E(
        "POST",
        "/booths/{booth_id}/manage/products",
        owner_only(303),
        params=BOOTH,
        form={
            "name.ja": "タンブラー",
            "name.en": "Tumbler",
            "currency": "JPY",
            "moq_unit": "piece",
        },
    ),
    E(
        "GET",
        "/booths/{booth_id}/manage/products/{product_id}",
        owner_only(200),
        params={**BOOTH, "product_id": "product"},
    ),
    E(
        "GET",
        "/booths/{booth_id}/manage/products/{product_id}",
        who(401, 403, (404, 403), 403, 403, 403),
        params={**BOOTH, "product_id": "other:product"},
        variant="another booth's product",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/products/{product_id}",
        owner_only(303),
        params={**BOOTH, "product_id": "product"},
        form={"name.ja": "ケトル", "name.en": "Kettle XL", "currency": "JPY", "moq_unit": "piece"},
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/products/{product_id}/{action:str}",
        owner_only(303),
        params={**BOOTH, "product_id": "product", "action": "=delete"},
        form={},
        variant="delete",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/products/{product_id}/{action:str}",
        who(401, 403, (404, 403), 403, 403, 403),
        params={**BOOTH, "product_id": "other:product", "action": "=delete"},
        form={},
        variant="delete another booth's product",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/products/{product_id}/{action:str}",
        owner_only(303),
        params={**BOOTH, "product_id": "product", "action": "=move"},
        form={"direction": "down"},
        variant="move",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/products/{product_id}/{action:str}",
        everyone(404),
        params={**BOOTH, "product_id": "product", "action": "=frobnicate"},
        form={},
        variant="unknown action",
    ),
    E("GET", "/booths/{booth_id}/manage/media", owner_only(200), params=BOOTH),
    E(
        "POST",
        "/booths/{booth_id}/manage/media/{media_id}/{action:str}",
        owner_only(303),
        params={**BOOTH, "media_id": "media", "action": "=delete"},
        form={},
        variant="delete",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/media/{media_id}/{action:str}",
        # The item decides: through another booth's address one still deletes only one's own.
        who(401, 403, (403, 303), 403, 403, 403),
        params={**BOOTH, "media_id": "other:media", "action": "=delete"},
        form={},
        variant="delete another booth's media",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/media/{media_id}/{action:str}",
        owner_only(303),
        params={**BOOTH, "media_id": "media", "action": "=edit"},
        form={"title.ja": "正面", "title.en": "Front"},
        variant="edit",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/media/{media_id}/{action:str}",
        owner_only(303),
        params={**BOOTH, "media_id": "media", "action": "=move"},
        form={"direction": "up"},
        variant="move",
    ),
    E(
        "POST",
        "/booths/{booth_id}/manage/media/{media_id}/{action:str}",
        everyone(404),
        params={**BOOTH, "media_id": "media", "action": "=frobnicate"},
        form={},
        variant="unknown action",
    ),
    E(
        "GET",
        "/booths/{booth_id}/manage/analytics",
        who(401, 403, (200, 403), 403, 200, 200),
        params=BOOTH,
    ),
    E("GET", "/review/booths", organizer_only(200)),
    E(
        "POST",
        "/review/booths/{booth_id}/{action:str}",
        organizer_only(303),
        params={**PENDING, "action": "=approve"},
        form={},
        variant="approve",
    ),
    E(
        "POST",
        "/review/booths/{booth_id}/{action:str}",
        organizer_only(303),
        params={**PENDING, "action": "=reject"},
        form={"reason": "Add photos."},
        variant="reject",
    ),
    E(
        "POST",
        "/review/booths/{booth_id}/{action:str}",
        organizer_only(303),
        params={**BOOTH, "action": "=approve-changes"},
        form={},
        variant="approve changes",
    ),
    E(
        "POST",
        "/review/booths/{booth_id}/{action:str}",
        organizer_only(303),
        params={**BOOTH, "action": "=reject-changes"},
        form={"reason": "Tone the tagline down."},
        variant="reject changes",
    ),
    E("GET", "/review/booths", organizer_only(200), query="?status=changes", variant="changes"),
    # Hours and slots
    E("GET", "/api/booths/{booth_id}/availability", everyone(200), params=BOOTH),
    E(
        "GET",
        "/api/booths/{booth_id}/availability",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E("PUT", "/api/booths/{booth_id}/availability", owner_only(200), params=BOOTH, json=HOURS),
    E("GET", "/api/booths/{booth_id}/slots", everyone(200), params=BOOTH),
    E(
        "GET",
        "/api/booths/{booth_id}/slots",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E("GET", "/booths/{booth_id}/book", everyone(200), params=BOOTH),
    E(
        "GET",
        "/booths/{booth_id}/book",
        visible_when_pending(200),
        params=PENDING,
        variant="pending",
    ),
    E("POST", "/booths/{booth_id}/book", booker(303), params=BOOTH, form=booking_form),
    # "Mail me when booking opens": buyers only; this fair takes bookings already (409).
    E(
        "POST",
        "/api/booths/{booth_id}/booking-reminder",
        who(401, 409, 403, 403, 403, 403),
        params=BOOTH,
    ),
    E(
        "POST",
        "/api/booths/{booth_id}/booking-reminder",
        who(401, 404, 403, 403, 403, 403),
        params=PENDING,
        variant="pending",
    ),
    E("DELETE", "/api/booths/{booth_id}/booking-reminder", signed_in(204), params=BOOTH),
    E(
        "POST",
        "/booths/{booth_id}/remind",
        who(401, 409, 403, 403, 403, 403),
        params=BOOTH,
        form={},
    ),
    E(
        "POST",
        "/booths/{booth_id}/remind",
        signed_in(303),
        params=BOOTH,
        form={"action": "stop"},
        variant="stop",
    ),
    E("GET", "/booths/{booth_id}/manage/hours", owner_only(200), params=BOOTH),
    E("POST", "/booths/{booth_id}/manage/hours", owner_only(303), params=BOOTH, form=HOURS_FORM),
    # Matchmaking: a buyer's needs (another's do not exist for them), what is read from them
    E("GET", "/api/needs", booker(200), hides={"buyer": ("other:need",)}),
    E("POST", "/api/needs", booker(201), json={"text": "Enamel kettles", "hs_codes": ["7323"]}),
    E("PATCH", "/api/needs/{need_id}", its_need(200), params=NEED, json={"text": "Tea kettles"}),
    E("DELETE", "/api/needs/{need_id}", its_need(204), params=NEED),
    E("GET", "/api/fairs/{slug}/recommendations", booker(200), params=FAIR),
    E(
        "GET",
        "/api/fairs/{slug}/recommendations",
        who(401, 404, 403, 403, 403, 403),
        params=DRAFT,
        variant="draft fair",
    ),
    E("GET", "/api/booths/{booth_id}/leads", owner_only(200), params=BOOTH),
    E("GET", "/api/fairs/{slug}/matches", keepers(200), params=FAIR),
    E("GET", "/api/fairs/{slug}/matches", keepers(200), params=DRAFT, variant="draft fair"),
    # The match engine's weights: organizers and staff see them, organizers refit them.
    E("GET", "/api/matchmaking/weights", keepers(200)),
    E("GET", "/organizer/matchmaking/weights", keepers(200)),
    E("POST", "/organizer/matchmaking/weights/refit", organizer_only(303), form={}),
    E("GET", "/my/needs", booker(200), hides={"buyer": ("other:need",)}),
    E("POST", "/my/needs", booker(303), form={"text": "Enamel kettles", "hs_codes": "7323"}),
    E("GET", "/my/needs/{need_id}/edit", its_need(200), params=NEED),
    E("POST", "/my/needs/{need_id}", its_need(303), params=NEED, form={"text": "Enamel pots"}),
    E("POST", "/my/needs/{need_id}/delete", its_need(303), params=NEED, form={}),
    # Conversations: the buyer, the booth's company and the interpreter of their meeting;
    # for anyone else (organizers and staff too) a thread does not exist. A buyer opens one
    # with any approved booth (their own side's exists: 200), a company only from its booth.
    E("GET", "/api/conversations", signed_in(200), hides=OTHER_THREAD),
    E(
        "POST",
        "/api/conversations",
        who(401, (200, 201), (200, 403), 403, 403, 403),
        json=thread_start,
    ),
    E("GET", "/api/conversations/{conversation_id}/messages", in_thread(200), params=THREAD),
    E(
        "POST",
        "/api/conversations/{conversation_id}/messages",
        in_thread(201),
        params=THREAD,
        json={"body": "Hello"},
    ),
    E(
        "POST",
        "/api/conversations/{conversation_id}/attachments",
        in_thread(201),
        params=THREAD,
        upload={"body": "Our catalogue"},
    ),
    E(
        "GET",
        "/api/conversations/{conversation_id}/attachments/{attachment_id}",
        in_thread(200),
        params=SENT_FILE,
    ),
    *(
        E("POST", f"/api/conversations/{{conversation_id}}/{act}", two_sides(200), params=THREAD)
        for act in ("block", "unblock")
    ),
    # The exhibitor wrote the message: reporting one's own is refused.
    E(
        "POST",
        "/api/conversations/{conversation_id}/messages/{message_id}/report",
        who(401, (201, 404), (400, 404), (201, 404), 404, 404),
        params=REPORTED,
        json={"reason": "Spam"},
    ),
    E("GET", "/api/conversation-reports", organizer_only(200)),
    E(
        "POST",
        "/api/conversation-reports/{report_id}/resolve",
        organizer_only(200),
        params={"report_id": "report"},
        json={"action": "dismiss"},
    ),
    E("GET", "/messages", signed_in(200), hides=OTHER_THREAD),
    E(
        "POST",
        "/messages/start",
        who(401, (303, 303), (303, 403), 403, 403, 403),
        form=thread_start,
    ),
    E("GET", "/messages/{conversation_id}", in_thread(200), params=THREAD),
    E("POST", "/messages/{conversation_id}", in_thread(303), params=THREAD, form={"body": "Hi"}),
    *(
        E("POST", f"/messages/{{conversation_id}}/{act}", two_sides(303), params=THREAD, form={})
        for act in ("block", "unblock")
    ),
    E(
        "POST",
        "/messages/{conversation_id}/messages/{message_id}/report",
        who(401, (303, 404), (400, 404), (303, 404), 404, 404),
        params=REPORTED,
        form={"reason": "Spam"},
    ),
    E("GET", "/organizer/conversation-reports", organizer_only(200)),
    E(
        "GET",
        "/organizer/conversation-reports/{report_id}/files/{attachment_id}",
        organizer_only(200),
        params={"report_id": "report", "attachment_id": "reported_file"},
    ),
    E(
        "POST",
        "/organizer/conversation-reports/{report_id}/resolve",
        organizer_only(303),
        params={"report_id": "report"},
        form={"action": "remove"},
    ),
    # Proposals: an organizer to both sides, an exhibitor from its own booth; the invited
    # sides answer (the buyer with a time); those who may see one but are not asked: 403.
    E("POST", "/api/proposals", who(401, 403, (201, 403), 403, 201, 403), json=invitation),
    E(
        "GET",
        "/api/proposals",
        signed_in(200),
        hides={
            "buyer": ("other:proposal",),
            "exhibitor": ("other:proposal",),
            "interpreter": ("proposal", "other:proposal"),
        },
    ),
    E(
        "POST",
        "/api/proposals/{proposal_id}/accept",
        who(401, (200, 404), (422, 404), 404, 403, 403),
        params=PROPOSAL,
        json=proposal_time,
        variant="with a time",
    ),
    E(
        "POST",
        "/api/proposals/{proposal_id}/accept",
        who(401, (422, 404), (200, 404), 404, 403, 403),
        params=PROPOSAL,
        json={},
    ),
    E(
        "POST",
        "/api/proposals/{proposal_id}/decline",
        who(401, (200, 404), (200, 404), 404, 403, 403),
        params=PROPOSAL,
        json={"reason": "Not this month."},
    ),
    E(
        "GET",
        "/proposals",
        signed_in(200),
        hides={
            "buyer": ("other:proposal",),
            "exhibitor": ("other:proposal",),
            "interpreter": ("proposal", "other:proposal"),
        },
    ),
    E("POST", "/proposals", who(401, 403, (303, 403), 403, 303, 403), form=invitation),
    E(
        "POST",
        "/proposals/{proposal_id}/accept",
        who(401, (303, 404), (422, 404), 404, 403, 403),
        params=PROPOSAL,
        form=proposal_time,
        variant="with a time",
    ),
    E(
        "POST",
        "/proposals/{proposal_id}/accept",
        who(401, (422, 404), (303, 404), 404, 403, 403),
        params=PROPOSAL,
        form={},
    ),
    E(
        "POST",
        "/proposals/{proposal_id}/decline",
        who(401, (303, 404), (303, 404), 404, 403, 403),
        params=PROPOSAL,
        form={"reason": "Not this month."},
    ),
    # Where matches are acted on: the organizers' console of a fair (staff read it; only
    # organizers propose), a booth's leads (its exhibitor, who invites from them).
    E("POST", "/api/fairs/{slug}/proposals/top", organizer_only(201), params=FAIR, json={"n": 1}),
    E("GET", "/organizer/fairs/{slug}/matchmaking", keepers(200), params=FAIR),
    E(
        "POST",
        "/organizer/fairs/{slug}/matchmaking/propose",
        who(401, 403, (303, 403), 403, 303, 403),
        params=FAIR,
        form=invitation,
    ),
    E(
        "POST",
        "/organizer/fairs/{slug}/matchmaking/top",
        organizer_only(303),
        params=FAIR,
        form={"n": "1"},
    ),
    E("GET", "/booths/{booth_id}/manage/leads", owner_only(200), params=BOOTH),
    E("POST", "/booths/{booth_id}/manage/leads", owner_only(303), params=BOOTH, form=invitation),
    # Meetings: the API
    E("POST", "/api/meetings", booker(201), json=booking),
    E(
        "POST",
        "/api/meetings",
        who(401, 404, (403, 404), 404, 403, 403),
        json=pending_booking,
        variant="pending booth",
    ),
    E("GET", "/api/meetings", signed_in(200)),
    # A fair's meetings: all of them for its organizers and staff, one's own for the others.
    E("GET", "/api/meetings", signed_in(200), query="?fair=open-fair", variant="a fair's"),
    E(
        "GET",
        "/api/meetings",
        who(401, 404, 404, 404, 200, 200),
        query="?fair=draft-fair",
        variant="a draft fair's",
    ),
    E("GET", "/api/meetings/{meeting_id}", participants_see(200), params=MEETING),
    E(
        "POST",
        "/api/meetings/{meeting_id}/cancel",
        buyer_or_exhibitor(200),
        params=MEETING,
        json={"reason": "Plans changed."},
    ),
    E(
        "POST",
        "/api/meetings/{meeting_id}/reschedule",
        buyer_or_exhibitor(200),
        params=MEETING,
        json=moving,
    ),
    E("POST", "/api/meetings/{meeting_id}/accept", its_exhibitor(200), params=REQUESTED, json={}),
    E("POST", "/api/meetings/{meeting_id}/decline", its_exhibitor(200), params=REQUESTED, json={}),
    E("POST", "/api/meetings/{meeting_id}/reconfirm", its_buyer(200), params=MEETING, json={}),
    E("POST", "/api/meetings/{meeting_id}/release", its_exhibitor(200), params=MEETING, json={}),
    E("GET", "/api/meetings/{meeting_id}/invite.ics", participants_see(200), params=MEETING),
    E("POST", "/api/meetings/{meeting_id}/join", in_the_room(200), params=LIVE, json={}),
    E("POST", "/api/meetings/{meeting_id}/attendance", attendance(200), params=HELD, json=CLAIM),
    # What was said in the room is the participants' own (organizers may see the meeting).
    E("GET", "/api/meetings/{meeting_id}/chat", in_the_room(200), params=LIVE),
    E(
        "POST",
        "/api/meetings/{meeting_id}/chat",
        in_the_room(201),
        params=LIVE,
        json={"body": "Hello"},
    ),
    E("POST", "/api/meetings/{meeting_id}/outcome", its_exhibitor(201), params=HELD, json=OUTCOME),
    E(
        "POST",
        "/api/meetings/{meeting_id}/outcome",
        who(401, (403, 404), (400, 404), (403, 404), 403, 403),
        params=HELD,
        json=foreign_outcome,
        variant=FOREIGN,
    ),
    E("GET", "/api/meetings/{meeting_id}/outcomes", participants_see(200), params=HELD),
    E(
        "POST",
        "/api/meetings/{meeting_id}/feedback",
        its_buyer(200),
        params=HELD,
        json={"view": "useful"},
    ),
    E(
        "POST",
        "/api/meetings/{meeting_id}/interpreter",
        organizer_only(200),
        params=MEETING,
        json=interpreter_choice,
    ),
    E(
        "POST",
        "/api/meetings/{meeting_id}/host",
        its_exhibitor(200),
        params=MEETING,
        json=host_choice,
    ),
    E("POST", "/api/me/calendar-feed", signed_in(201), json={}),
    E("DELETE", "/api/me/calendar-feed", signed_in(204)),
    # The secret URL is the key, whoever holds it.
    E("GET", "/calendar/{token}", everyone(200), params={"token": "feed"}),
    E(
        "GET",
        "/calendar/{token}",
        everyone(404),
        params={"token": "=not-a-feed-token.ics"},
        variant="unknown token",
    ),
    # Meetings: the pages
    E("GET", "/my/meetings", signed_in(200)),
    E("POST", "/my/meetings/calendar", signed_in(200), form={}),
    E("GET", "/meetings/{meeting_id}/room", participants_see(200), params=LIVE),
    E("GET", "/meetings/{meeting_id}/reschedule", participants_see(200), params=MEETING),
    *(
        E(
            "POST",
            "/meetings/{meeting_id}/{action:str}",
            expect,
            params={**params, "action": f"={action}"},
            form=body,
            variant=action,
        )
        for action, (params, body, expect) in MEETING_ACTIONS.items()
    ),
    E(
        "POST",
        "/meetings/{meeting_id}/{action:str}",
        everyone(404),
        params={**MEETING, "action": "=frobnicate"},
        form={},
        variant="unknown action",
    ),
    E("GET", "/review/attendance", organizer_only(200)),
    # The connection test: past the sign-in, a junk offer is the echo peer's 400 (a real
    # WebRTC offer would start a peer; tests/signaling covers that).
    E(
        "POST",
        "/api/connection-test",
        signed_in(400),
        json={"sdp": "not a session description", "type": "offer"},
    ),
    E("GET", "/connection-test", signed_in(200)),
    # Exchange rates and the conversion report
    E("GET", "/api/exchange-rates", keepers(200)),
    E(
        "PUT",
        "/api/exchange-rates",
        keepers(200),
        json={"currency": "EUR", "valid_from": "2026-01-01", "jpy_per_unit": "160"},
    ),
    E(
        "DELETE",
        "/api/exchange-rates/{currency}/{day}",
        keepers(204),
        params={"currency": "=USD", "day": "=2026-01-01"},
    ),
    E("GET", "/reports/rates", keepers(200)),
    E(
        "POST",
        "/reports/rates",
        keepers(303),
        form={"currency": "EUR", "valid_from": "2026-01-01", "jpy_per_unit": "160"},
    ),
    E("GET", "/api/reports/conversion", reporters(200)),
    E(
        "GET",
        "/api/reports/conversion",
        reporters(200),
        query="?group_by=booth",
        hides=OTHER_BOOTH,
        variant="by booth",
    ),
    E("GET", "/reports", reporters(200)),
    E(
        "GET",
        "/reports",
        reporters(200),
        query="?group_by=booth",
        hides=OTHER_BOOTH,
        variant="by booth",
    ),
    E("GET", "/reports/conversion.csv", reporters(200)),
    E(
        "GET",
        "/reports/conversion.csv",
        reporters(200),
        query="?group_by=booth",
        hides=OTHER_BOOTH,
        variant="by booth",
    ),
    E("GET", "/reports/conversion.xlsx", reporters(200)),
    E(
        "GET",
        "/reports/conversion.xlsx",
        reporters(200),
        query="?group_by=booth",
        hides=OTHER_BOOTH,
        variant="by booth",
    ),
    # Webhooks: each organizer's own endpoints.
    E("GET", "/api/webhooks", organizer_only(200)),
    E("POST", "/api/webhooks", organizer_only(201), json=NEW_WEBHOOK),
    E("DELETE", "/api/webhooks/{id}", organizer_only(204), params=WEBHOOK),
    E("GET", "/api/webhooks/{id}/deliveries", organizer_only(200), params=WEBHOOK),
    E(
        "POST",
        "/api/webhooks/{id}/deliveries/{delivery_id}/replay",
        organizer_only(202),
        params=WEBHOOK_DELIVERY,
    ),
    E("GET", "/organizer/webhooks", organizer_only(200)),
    E("POST", "/organizer/webhooks", organizer_only(201), form=NEW_WEBHOOK),
    E("GET", "/organizer/webhooks/{id}", organizer_only(200), params=WEBHOOK),
    E("POST", "/organizer/webhooks/{id}/delete", organizer_only(303), params=WEBHOOK, form={}),
    E(
        "POST",
        "/organizer/webhooks/{id}/deliveries/{delivery_id}/replay",
        organizer_only(303),
        params=WEBHOOK_DELIVERY,
        form={},
    ),
    # Invitations: organizers invite, list, revoke and import; the link's holder accepts
    # (a link never mailed is refused to everyone alike).
    E(
        "POST",
        "/api/fairs/{slug}/invitations",
        organizer_only(201),
        params=FAIR,
        json=NEW_INVITATION,
    ),
    E("GET", "/api/fairs/{slug}/invitations", organizer_only(200), params=FAIR),
    E("DELETE", "/api/fairs/{slug}/invitations/{id}", organizer_only(204), params=INVITATION),
    E("POST", "/api/invitations/import", organizer_only(422), upload=invitation_list),
    E("POST", "/api/invitations/{token}/accept", everyone(400), params=LINK, json={}),
    E("GET", "/invitations/{token}", everyone(400), params=LINK),
    E("POST", "/invitations/{token}", everyone(400), params=LINK, form={}),
    E("GET", "/fairs/{slug}/invitations", organizer_only(200), params=FAIR),
    E("POST", "/fairs/{slug}/invitations", organizer_only(303), params=FAIR, form=NEW_INVITATION),
    E(
        "POST",
        "/fairs/{slug}/invitations/import",
        organizer_only(422),
        params=FAIR,
        upload=invitation_list,
    ),
    *(
        E(
            "POST",
            f"/fairs/{{slug}}/invitations/{{id}}/{action}",
            organizer_only(303),
            params=INVITATION,
            form={},
        )
        for action in ("revoke", "resend")
    ),
]


def readable(response: Any) -> str:
    """The answer's text; for a workbook (a zip), the XML of its parts, where the cells are."""
    if response.content[:2] != b"PK":
        return response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        return "\n".join(
            book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml")
        )


def is_sided(endpoint: Endpoint) -> bool:
    """Whether the resources depend on the side (so own and other are two cases)."""
    side_keys = {"booth", "pending_booth", "product", "media", "pending_media", "pending_product"}
    side_keys |= {"pending_new_media", "pending_new_product"}
    side_keys |= {"upcoming_meeting", "live_meeting", "held_meeting", "requested_meeting"}
    side_keys |= {"need", "proposal", "conversation", "company", "exhibitor_id"}
    by_params = any(spec.removeprefix("other:") in side_keys for spec in endpoint.params.values())
    by_body = any(body in SIDED_BODIES for body in (endpoint.json, endpoint.form, endpoint.upload))
    return by_params or by_body


@dataclass(frozen=True)
class Case:
    endpoint: Endpoint
    role: str
    side: str  # "own", "other" or "" (one case for roles that own nothing)

    @property
    def expected(self) -> int:
        status = self.endpoint.expect[self.role]
        if isinstance(status, tuple):
            return status[0] if self.side != "other" else status[1]
        return status

    @property
    def id(self) -> str:
        who = self.role if not self.side else f"{self.role} ({self.side})"
        return f"{self.endpoint.label} as {who}"


def cases() -> list[Case]:
    made = []
    for endpoint in ENDPOINTS:
        for role in ROLES:
            if role in SIDED_ROLES and is_sided(endpoint):
                made += [Case(endpoint, role, "own"), Case(endpoint, role, "other")]
            else:
                made.append(Case(endpoint, role, ""))
    return made


CASES = cases()


# The tests ----------------------------------------------------------------------------------


def served_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(env="test"))
    served = set()
    for route in app.routes:
        if isinstance(route, Route):
            served |= {(route.path, m) for m in route.methods or () if m != "HEAD"}
        elif getattr(route, "path", "").startswith("/static"):
            continue  # the static files: no authorization
        else:
            served.add((route.path, "WEBSOCKET"))
    return served


def test_matrix_covers_every_route():
    """A new route needs its row in ENDPOINTS (and a removed one loses it)."""
    covered = {(e.path, e.method) for e in ENDPOINTS} | OUT_OF_SCOPE
    served = served_routes()
    assert sorted(served - covered) == [], "routes without a row in the authorization matrix"
    assert sorted(covered - served) == [], "rows for routes the app no longer serves"


def test_every_row_names_every_role():
    for endpoint in ENDPOINTS:
        assert set(endpoint.expect) == set(ROLES), endpoint.label
        for role, status in endpoint.expect.items():
            if isinstance(status, tuple):
                assert role in SIDED_ROLES and is_sided(endpoint), (endpoint.label, role)


@pytest.fixture(scope="module")
async def world(module_app: Any) -> World:
    return await build_world(module_app)


@pytest.fixture(scope="module")
async def matrix_client(module_app: Any) -> Any:
    async with make_client(module_app) as client:
        yield client


def _payload(body: Body, world: World, side: str) -> Any:
    return body(world, side) if callable(body) else body


async def send(
    client: httpx.AsyncClient, world: World, case: Case, *, by_token: bool = False
) -> httpx.Response:
    """The case's request with the role's cookie (and the CSRF token where one is due), or
    ``by_token`` with the role's API token alone."""
    endpoint = case.endpoint
    side = "b" if case.side == "other" else "a"
    path = endpoint.path.replace(":str}", "}")
    for name, spec in endpoint.params.items():
        path = path.replace("{" + name + "}", world.value(spec, side))
    client.cookies.clear()
    headers = {"accept": "application/json" if path.startswith("/api/") else "text/html"}
    if by_token:
        headers["authorization"] = f"Bearer {world.api_tokens[case.role]}"
    else:
        client.cookies.set(CSRF_COOKIE, CSRF)
        if case.role != "anonymous":
            client.cookies.set(SESSION_COOKIE, world.tokens[case.role])
    options: dict[str, Any] = {"headers": headers}
    if endpoint.json is not None:
        options["json"] = _payload(endpoint.json, world, side)
    elif endpoint.form is not None:
        options["data"] = {**_payload(endpoint.form, world, side), "csrf_token": CSRF}
    elif endpoint.upload is not None:
        options["files"] = {"file": ("upload.png", UPLOAD, "image/png")}
        options["data"] = _payload(endpoint.upload, world, side)
        if not by_token:
            headers["x-csrf-token"] = CSRF
    elif endpoint.method in {"POST", "PUT", "PATCH"}:
        options["json"] = {}
    return await client.request(endpoint.method, path + endpoint.query, **options)


def explain(response: httpx.Response) -> str:
    """The answer in a line: the JSON error, or the page's heading and field messages."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.text[:300]
    found = re.findall(
        r"<h1[^>]*>(.*?)</h1>|<li>(.*?)</li>|class=\"error[^\"]*\"[^>]*>(.*?)<", response.text
    )
    return " | ".join(" ".join(part for part in parts if part) for parts in found)[:300]


async def test_the_snapshot_sees_a_change_and_the_world_comes_back(
    world: World, module_app: Any, matrix_client: Any
):
    """The harness itself: an allowed edit shows in its table, and restoring undoes it."""
    patch_booth = next(e for e in ENDPOINTS if e.label == "PATCH /api/booths/{booth_id}")
    edit = Case(patch_booth, "exhibitor", "own")
    assert (await send(matrix_client, world, edit)).status_code == 200
    # The booth is approved: the new city waits for review beside it.
    assert "booth_revisions" in changed_tables(world, await fingerprint(module_app))
    await restore(module_app, world)
    assert changed_tables(world, await fingerprint(module_app)) == []


async def ask(
    case: Case, world: World, app: Any, client: Any, *, by_token: bool = False
) -> tuple[httpx.Response, list[str]]:
    """The case's answer and the tables it changed (the world is then put back)."""
    changed: list[str] = []
    try:
        response = await send(client, world, case, by_token=by_token)
    finally:  # the next case starts from the world as built, whatever happened here
        changed = changed_tables(world, await fingerprint(app))
        if changed:
            await restore(app, world)
    return response, changed


def check(case: Case, world: World, response: httpx.Response, changed: list[str], expected: int):
    assert response.status_code == expected, explain(response)
    if response.status_code >= 400:
        assert changed == [], f"a refused request changed {changed}"
    elif not case.endpoint.secret_url:
        side = "b" if case.side == "other" else "a"
        hidden = world.hidden_from(case.role)
        hidden |= {world.value(spec, side) for spec in case.endpoint.hides.get(case.role, ())}
        text = readable(response)
        seen = {i for i in hidden if i in text}
        assert seen == set(), f"the answer shows {case.role} what is not theirs: {sorted(seen)}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_authorization(case: Case, world: World, module_app: Any, matrix_client: Any):
    response, changed = await ask(case, world, module_app, matrix_client)
    check(case, world, response, changed, case.expected)


# The API's declarations: what an API token needs on each route.
DECLARED: dict[tuple[str, str], Declared] = {
    (e.method, e.path): e for feature in FEATURES for e in feature.api
}
TOKEN_CASES = [
    case
    for case in CASES
    if (case.endpoint.method, case.endpoint.path) in DECLARED and case.role != "anonymous"
]


@pytest.mark.parametrize("case", TOKEN_CASES, ids=[case.id for case in TOKEN_CASES])
async def test_authorization_by_token(
    case: Case, world: World, module_app: Any, matrix_client: Any
):
    """The role's token with every scope, without cookie or CSRF token: the cookie's answer;
    403 where the route is the account's own and takes no token."""
    declared = DECLARED[(case.endpoint.method, case.endpoint.path)]
    expected = case.expected if declared.token_scope is not None else 403
    response, changed = await ask(case, world, module_app, matrix_client, by_token=True)
    check(case, world, response, changed, expected)
    if declared.token_scope is None:
        assert response.json()["error"]["code"] == "api_token_not_accepted"
