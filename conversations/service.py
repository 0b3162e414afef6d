"""Conversations between a buyer and a booth's company: who may read and write a thread,
starting one, its messages and unread markers, blocking, and reports to the organizers.

Who is in a thread: its buyer, whoever may manage the booth (``booths.service.can_manage``)
and the interpreter assigned to a live meeting between that buyer and that booth. For
everyone else, organizers and staff included, a thread does not exist (404): the programme
reads a private thread only through the messages reported to it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from booths.errors import BoothNotFound
from booths.media import MediaType, ReceivedFile
from booths.models import Booth
from booths.service import can_manage, of_company
from conversations.errors import (
    AttachmentNotFound,
    Blocked,
    ConversationNotFound,
    ConversationRefused,
    MessageNotFound,
    MessagesRateLimited,
    ReportHandled,
    ReportNotFound,
    ThreadsRateLimited,
)
from conversations.models import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationRead,
    ConversationReport,
    ReportStatus,
    UserBlock,
)
from conversations.schemas import ConversationStart
from fair import clock, ratelimit
from fair.accounts.models import Role, User
from fair.accounts.service import require_role, require_user, require_verified
from fair.db import insert_for, new_id
from fair.errors import BadRequest, Forbidden, ValidationFailed
from fair.fairs.models import Fair
from fair.i18n import lazy
from fair.storage import Storage
from fair.webhooks.service import publish
from matchmaking.models import Need
from meetings.models import ACTIVE, Meeting

# Rate limits: enough for a lively exchange, too few for a flood or a mass mailing.
MESSAGES_PER_MINUTE = 10
MESSAGES_PER_HOUR = 120
THREADS_PER_DAY = 30
MESSAGES_SHOWN = 500  # a thread's newest messages on one page


class Side(enum.StrEnum):
    BUYER = "buyer"
    EXHIBITOR = "exhibitor"
    INTERPRETER = "interpreter"


@dataclass(frozen=True)
class Thread:
    """A thread as one of its people sees it."""

    conversation: Conversation
    booth: Booth
    buyer: User
    side: Side
    unread: int = 0


def _interpreting(user_id: object) -> ColumnElement[bool]:
    """A live meeting between the thread's buyer and booth that ``user_id`` interprets."""
    return exists().where(
        Meeting.booth_id == Conversation.booth_id,
        Meeting.buyer_id == Conversation.buyer_id,
        Meeting.interpreter_id == user_id,
        Meeting.status.in_(ACTIVE),
    )


async def side_of(
    session: AsyncSession, user: User, conversation: Conversation, booth: Booth
) -> Side | None:
    if user.id == conversation.buyer_id:
        return Side.BUYER
    if can_manage(user, booth):
        return Side.EXHIBITOR
    if user.has_role(Role.INTERPRETER):
        found = await session.scalar(
            select(Conversation.id).where(
                Conversation.id == conversation.id, _interpreting(user.id)
            )
        )
        if found:
            return Side.INTERPRETER
    return None


async def load(
    session: AsyncSession, conversation_id: str, actor: User | None
) -> tuple[Conversation, Booth, User, Side]:
    """A thread the actor is in; for anyone else it does not exist (404)."""
    user = require_user(actor)
    conversation = (
        await session.get(Conversation, conversation_id) if len(conversation_id) <= 32 else None
    )
    booth = await session.get(Booth, conversation.booth_id) if conversation else None
    if conversation is None or booth is None:
        raise ConversationNotFound()
    side = await side_of(session, user, conversation, booth)
    if side is None:
        raise ConversationNotFound()
    return conversation, booth, user, side


async def _open_booth(session: AsyncSession, booth_id: str, user: User) -> Booth:
    """The booth a thread is opened with: approved, in a published fair. A booth anyone
    else may not see does not exist for them; its own company is told why it cannot."""
    booth = await session.get(Booth, booth_id)
    fair = await session.get(Fair, booth.fair_id) if booth else None
    if booth is None or fair is None:
        raise BoothNotFound()
    if booth.is_public and fair.status == "published":
        return booth
    if can_manage(user, booth):
        raise ConversationRefused(
            lazy("Conversations open once the booth is approved in a published fair.")
        )
    raise BoothNotFound()


async def _ties(
    session: AsyncSession, data: ConversationStart, booth: Booth, buyer_id: str
) -> tuple[str | None, str | None]:
    """The need and meeting a thread is about: the buyer's own, this pair's own."""
    errors: dict[str, str] = {}
    if data.need_id:
        need = await session.get(Need, data.need_id)
        if need is None or need.buyer_id != buyer_id:
            errors["need_id"] = lazy("There is no such need of this buyer.")
    if data.meeting_id:
        meeting = await session.get(Meeting, data.meeting_id)
        if meeting is None or meeting.buyer_id != buyer_id or meeting.booth_id != booth.id:
            errors["meeting_id"] = lazy("There is no such meeting between this buyer and booth.")
    if errors:
        raise ValidationFailed(errors)
    return data.need_id, data.meeting_id


async def start(
    session: AsyncSession,
    *,
    actor: User | None,
    data: ConversationStart,
    now: datetime | None = None,
) -> tuple[Conversation, bool]:
    """The thread of a buyer and a booth, opened by the buyer (``booth_id``) or by the
    booth's company (``booth_id`` and ``buyer_id``); the existing one when there is one
    (``False``: not created)."""
    now = now or clock.now()
    user = require_verified(require_role(actor, Role.BUYER, Role.EXHIBITOR))
    booth = await _open_booth(session, data.booth_id, user)
    if user.has_role(Role.BUYER):
        if data.buyer_id not in (None, user.id):
            raise ValidationFailed({"buyer_id": lazy("Leave this out: you write as yourself.")})
        buyer_id = user.id
    else:
        if not can_manage(user, booth):
            raise Forbidden(lazy("Only the booth's company can write to buyers from it."))
        if not data.buyer_id:
            raise ValidationFailed({"buyer_id": lazy("Choose the buyer to write to.")})
        buyer = await session.get(User, data.buyer_id)
        if buyer is None or buyer.role != Role.BUYER or not buyer.is_active:
            raise ValidationFailed({"buyer_id": lazy("There is no such buyer.")})
        buyer_id = buyer.id
    need_id, meeting_id = await _ties(session, data, booth, buyer_id)
    where = (Conversation.booth_id == booth.id, Conversation.buyer_id == buyer_id)
    existing = await session.scalar(select(Conversation).where(*where))
    if existing is None:
        until = await ratelimit.blocked_until(
            session,
            Conversation.created_at,
            Conversation.started_by == user.id,
            limit=THREADS_PER_DAY,
            window=timedelta(days=1),
            now=now,
        )
        if until is not None:
            raise ThreadsRateLimited(retry_after=ratelimit.seconds_until(until, now))
        # ON CONFLICT DO NOTHING: two starts at once make one thread, both get it.
        made = await session.scalar(
            insert_for(session)(Conversation)
            .values(
                id=new_id(),
                fair_id=booth.fair_id,
                booth_id=booth.id,
                buyer_id=buyer_id,
                need_id=need_id,
                meeting_id=meeting_id,
                started_by=user.id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["booth_id", "buyer_id"])
            .returning(Conversation.id)
        )
        created = await session.scalar(select(Conversation).where(*where))
        assert created is not None
        return created, made is not None
    if need_id:
        existing.need_id = need_id
    if meeting_id:
        existing.meeting_id = meeting_id
    await session.flush()
    return existing, False


async def _unread_counts(
    session: AsyncSession, user_id: str, conversation_ids: list[str]
) -> dict[str, int]:
    if not conversation_ids:
        return {}
    message = ConversationMessage
    rows = await session.execute(
        select(message.conversation_id, func.count())
        .outerjoin(
            ConversationRead,
            and_(
                ConversationRead.conversation_id == message.conversation_id,
                ConversationRead.user_id == user_id,
            ),
        )
        .where(
            message.conversation_id.in_(conversation_ids),
            or_(message.author_id.is_(None), message.author_id != user_id),
            message.removed_at.is_(None),
            or_(
                ConversationRead.last_read_at.is_(None),
                message.created_at > ConversationRead.last_read_at,
            ),
        )
        .group_by(message.conversation_id)
    )
    return {conversation_id: count for conversation_id, count in rows.all()}


async def threads(session: AsyncSession, *, actor: User | None) -> list[Thread]:
    """The actor's threads, the latest written first, each with its unread count."""
    user = require_user(actor)
    buyer = aliased(User)
    rows = (
        await session.execute(
            select(Conversation, Booth, buyer)
            .join(Booth, Booth.id == Conversation.booth_id)
            .join(buyer, buyer.id == Conversation.buyer_id)
            .where(
                or_(
                    Conversation.buyer_id == user.id,
                    of_company(user),
                    _interpreting(user.id),
                )
            )
            .order_by(
                func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
                Conversation.id,
            )
        )
    ).all()
    unread = await _unread_counts(session, user.id, [row[0].id for row in rows])
    found = []
    for conversation, booth, person in rows:
        if conversation.buyer_id == user.id:
            side = Side.BUYER
        elif can_manage(user, booth):
            side = Side.EXHIBITOR
        else:
            side = Side.INTERPRETER
        found.append(Thread(conversation, booth, person, side, unread.get(conversation.id, 0)))
    return found


def _unread_of(user_id: object, company_id: object) -> Select[tuple[int]]:
    message = ConversationMessage
    return (
        select(func.count(message.id))
        .join(Conversation, Conversation.id == message.conversation_id)
        .join(Booth, Booth.id == Conversation.booth_id)
        .outerjoin(
            ConversationRead,
            and_(
                ConversationRead.conversation_id == message.conversation_id,
                ConversationRead.user_id == user_id,
            ),
        )
        .where(
            or_(
                Conversation.buyer_id == user_id,
                # The person's company's booths (booths.service.of_company); bound, a
                # NULL company compares false.
                Booth.company_id == company_id,
                _interpreting(user_id),
            ),
            or_(message.author_id.is_(None), message.author_id != user_id),
            message.removed_at.is_(None),
            or_(
                ConversationRead.last_read_at.is_(None),
                message.created_at > ConversationRead.last_read_at,
            ),
        )
    )


# Counted on every page a signed-in buyer, exhibitor or interpreter opens: built once, as
# SQLAlchemy keeps a statement's cache key on the statement (not built nor hashed again).
_UNREAD = _unread_of(bindparam("user_id"), bindparam("company_id"))


async def unread_total(session: AsyncSession, user: User) -> int:
    """Unread messages across the person's threads (the menu's marker): one count, asked of
    the database each time, so every process and machine shows the same."""
    count = await session.scalar(_UNREAD, {"user_id": user.id, "company_id": user.company_id})
    return int(count or 0)


class Said(NamedTuple):
    """A message as its thread shows it: its author's name and the files sent with it (none
    once the organizers removed it)."""

    message: ConversationMessage
    author: str
    files: list[ConversationAttachment]


async def attachments_of(
    session: AsyncSession, messages: Sequence[ConversationMessage]
) -> dict[str, list[ConversationAttachment]]:
    """The files of ``messages`` by message, in the order they were sent."""
    ids = [message.id for message in messages if message.removed_at is None]
    found: dict[str, list[ConversationAttachment]] = {}
    if not ids:
        return found
    rows = await session.scalars(
        select(ConversationAttachment)
        .where(ConversationAttachment.message_id.in_(ids))
        .order_by(ConversationAttachment.message_id, ConversationAttachment.position)
    )
    for row in rows:
        found.setdefault(row.message_id, []).append(row)
    return found


async def thread(
    session: AsyncSession, *, actor: User | None, conversation_id: str
) -> tuple[Thread, list[Said]]:
    """A thread and its messages (oldest first, with their authors' names and files)."""
    conversation, booth, user, side = await load(session, conversation_id, actor)
    buyer = await session.get(User, conversation.buyer_id)
    assert buyer is not None
    newest = (
        select(ConversationMessage, User.name)
        .outerjoin(User, User.id == ConversationMessage.author_id)
        .where(ConversationMessage.conversation_id == conversation.id)
        .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
        .limit(MESSAGES_SHOWN)
    )
    rows = list(reversed((await session.execute(newest)).all()))
    files = await attachments_of(session, [message for message, _name in rows])
    unread = await _unread_counts(session, user.id, [conversation.id])
    return Thread(conversation, booth, buyer, side, unread.get(conversation.id, 0)), [
        Said(message, name or "", files.get(message.id, [])) for message, name in rows
    ]


async def mark_read(
    session: AsyncSession, *, actor: User | None, conversation_id: str, now: datetime | None = None
) -> None:
    """The actor has read the thread up to now."""
    conversation, _booth, user, _side = await load(session, conversation_id, actor)
    now = now or clock.now()
    row = await session.get(ConversationRead, (conversation.id, user.id))
    if row is None:
        session.add(ConversationRead(conversation_id=conversation.id, user_id=user.id))
        await session.flush()
        row = await session.get(ConversationRead, (conversation.id, user.id))
        assert row is not None
    row.last_read_at = now
    await session.flush()


async def read_thread(
    session: AsyncSession, *, actor: User | None, conversation_id: str
) -> tuple[Thread, list[Said], bool]:
    """A thread as its reader opens it: its messages, marked read; whether the reader
    blocks the other side."""
    found, messages = await thread(session, actor=actor, conversation_id=conversation_id)
    await mark_read(session, actor=actor, conversation_id=conversation_id)
    user = require_user(actor)
    blocks = await has_blocked(session, user, found.conversation, found.booth, found.side)
    return found, messages, blocks


async def blocked(
    session: AsyncSession, conversation: Conversation, booth: Booth, side: Side
) -> bool:
    """Whether the other side has blocked the one writing from ``side``."""
    pairs = {
        Side.BUYER: (booth.owner_id, conversation.buyer_id),
        Side.EXHIBITOR: (conversation.buyer_id, booth.owner_id),
    }
    if side not in pairs:
        return False  # the interpreter: nobody blocks the programme's interpreter
    blocker, blocked_id = pairs[side]
    return await session.get(UserBlock, (blocker, blocked_id)) is not None


async def may_write(
    session: AsyncSession,
    *,
    actor: User | None,
    conversation_id: str,
    now: datetime | None = None,
) -> tuple[Conversation, Booth, User, Side]:
    """The thread the actor may write in now: one of its people (404 for anyone else), a
    confirmed address, not blocked by the other side (403), within the rate limits (429).
    Asked before a message is stored, and before an upload's body is read."""
    conversation, booth, user, side = await load(session, conversation_id, actor)
    require_verified(user)
    if await blocked(session, conversation, booth, side):
        raise Blocked()
    now = now or clock.now()
    for limit, window in (
        (MESSAGES_PER_MINUTE, timedelta(minutes=1)),
        (MESSAGES_PER_HOUR, timedelta(hours=1)),
    ):
        until = await ratelimit.blocked_until(
            session,
            ConversationMessage.created_at,
            ConversationMessage.author_id == user.id,
            limit=limit,
            window=window,
            now=now,
        )
        if until is not None:
            raise MessagesRateLimited(retry_after=ratelimit.seconds_until(until, now))
    return conversation, booth, user, side


def attachment_key(attachment_id: str, media_type: MediaType) -> str:
    """Where a file is stored: by its own id, not its content, so that two people sending
    the same file share no blob and one's erasure leaves the other's file."""
    return f"conversations/{attachment_id[:2]}/{attachment_id}.{media_type.extension}"


async def _attach(
    session: AsyncSession,
    storage: Storage,
    message: ConversationMessage,
    files: Sequence[ReceivedFile],
) -> list[ConversationAttachment]:
    """The rows of a message's checked files, then the files committed to the storage (the
    staging files are consumed); a storage failure takes back what it had stored."""
    rows = []
    for position, file in enumerate(files):
        attachment_id = new_id()
        rows.append(
            ConversationAttachment(
                id=attachment_id,
                message_id=message.id,
                conversation_id=message.conversation_id,
                position=position,
                filename=file.filename,
                media_type=file.media_type.content_type,
                size=file.size,
                sha256=file.sha256,
                storage_key=attachment_key(attachment_id, file.media_type),
                created_at=message.created_at,
            )
        )
    session.add_all(rows)
    await session.flush()
    stored: list[str] = []
    try:
        for row, file in zip(rows, files, strict=True):
            await storage.commit(file.path, row.storage_key)
            stored.append(row.storage_key)
    except BaseException:
        for key in stored:
            await storage.delete(key)
        raise
    return rows


async def post_message(
    session: AsyncSession,
    *,
    actor: User | None,
    conversation_id: str,
    body: str,
    files: Sequence[ReceivedFile] = (),
    storage: Storage | None = None,
    now: datetime | None = None,
) -> ConversationMessage:
    """A message in the thread from one of its people, with the files already checked
    (``conversations.files``) kept in ``storage``: whoever may write (``may_write``; refused,
    nothing is stored). Text alone and text with files take this one path."""
    now = now or clock.now()
    conversation, booth, user, side = await may_write(
        session, actor=actor, conversation_id=conversation_id, now=now
    )
    message = ConversationMessage(
        conversation_id=conversation.id, author_id=user.id, body=body, created_at=now
    )
    session.add(message)
    conversation.last_message_at = now
    await session.flush()
    if files:
        assert storage is not None, "files need the storage to keep them"
        await _attach(session, storage, message, files)
    # One's own message is read: it never counts as unread for its author.
    await mark_read(session, actor=user, conversation_id=conversation.id, now=now)
    fair = await session.get(Fair, booth.fair_id)
    # Who wrote to whom and when, never what: the thread is its people's own.
    await publish(
        session,
        "conversation.message",
        {
            "conversation_id": conversation.id,
            "message_id": message.id,
            "booth_id": booth.id,
            "buyer_id": conversation.buyer_id,
            "author_id": user.id,
            "side": side.value,
            "fair": fair.slug if fair else None,
            "sent_at": now.isoformat(),
        },
        now=now,
    )
    return message


async def _shown_file(session: AsyncSession, attachment_id: str) -> ConversationAttachment:
    """A stored file whose message is still shown (a removed message's files are gone with
    its text); who may have it is the caller's question."""
    found = (
        await session.get(ConversationAttachment, attachment_id)
        if len(attachment_id) <= 32
        else None
    )
    message = await session.get(ConversationMessage, found.message_id) if found else None
    if found is None or message is None or message.removed_at is not None:
        raise AttachmentNotFound()
    return found


async def attachment(
    session: AsyncSession, *, actor: User | None, conversation_id: str, attachment_id: str
) -> ConversationAttachment:
    """A file of the thread, for its people only (404 for anyone else, as the thread is)."""
    conversation, _booth, _user, _side = await load(session, conversation_id, actor)
    found = await _shown_file(session, attachment_id)
    if found.conversation_id != conversation.id:
        raise AttachmentNotFound()
    return found


def _other(conversation: Conversation, booth: Booth, side: Side) -> str:
    if side == Side.BUYER:
        return booth.owner_id
    if side == Side.EXHIBITOR:
        return conversation.buyer_id
    raise Forbidden(lazy("Only the buyer or the booth's company can block the other side."))


async def block(session: AsyncSession, *, actor: User | None, conversation_id: str) -> bool:
    """The other side can no longer write to the actor; True (the state after)."""
    conversation, booth, user, side = await load(session, conversation_id, actor)
    other = _other(conversation, booth, side)
    await session.execute(
        insert_for(session)(UserBlock)
        .values(blocker_id=user.id, blocked_id=other, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["blocker_id", "blocked_id"])
    )
    return True


async def unblock(session: AsyncSession, *, actor: User | None, conversation_id: str) -> bool:
    conversation, booth, user, side = await load(session, conversation_id, actor)
    other = _other(conversation, booth, side)
    await session.execute(
        delete(UserBlock).where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == other)
    )
    return False


async def has_blocked(
    session: AsyncSession, user: User, conversation: Conversation, booth: Booth, side: Side
) -> bool:
    """Whether ``user`` blocks the other side of the thread (the page's button)."""
    if side == Side.INTERPRETER:
        return False
    other = _other(conversation, booth, side)
    return await session.get(UserBlock, (user.id, other)) is not None


async def report(
    session: AsyncSession,
    *,
    actor: User | None,
    conversation_id: str,
    message_id: str,
    reason: str,
    now: datetime | None = None,
) -> ConversationReport:
    """One of the thread's people reports another's message to the organizers."""
    conversation, _booth, user, _side = await load(session, conversation_id, actor)
    message = await session.get(ConversationMessage, message_id) if len(message_id) <= 32 else None
    if message is None or message.conversation_id != conversation.id:
        raise MessageNotFound()
    if message.author_id == user.id:
        raise BadRequest(lazy("You cannot report your own message."))
    made = ConversationReport(
        conversation_id=conversation.id,
        message_id=message.id,
        reporter_id=user.id,
        reason=reason,
        created_at=now or clock.now(),
    )
    session.add(made)
    await session.flush()
    return made


@dataclass(frozen=True)
class Reported:
    """A report as the organizers' queue shows it: the reported message, not the thread."""

    report: ConversationReport
    message: ConversationMessage
    author: str
    reporter: str
    files: list[ConversationAttachment] = field(default_factory=list)


async def open_reports(session: AsyncSession, *, actor: User | None) -> list[Reported]:
    """The reports waiting for an organizer, oldest first."""
    require_role(actor, Role.ORGANIZER)
    author, reporter = aliased(User), aliased(User)
    rows = await session.execute(
        select(ConversationReport, ConversationMessage, author.name, reporter.name)
        .join(ConversationMessage, ConversationMessage.id == ConversationReport.message_id)
        .outerjoin(author, author.id == ConversationMessage.author_id)
        .outerjoin(reporter, reporter.id == ConversationReport.reporter_id)
        .where(ConversationReport.status == ReportStatus.OPEN)
        .order_by(ConversationReport.created_at, ConversationReport.id)
    )
    found = rows.all()
    files = await attachments_of(session, [message for _, message, _, _ in found])
    return [
        Reported(row, message, a or "", r or "", files.get(message.id, []))
        for row, message, a, r in found
    ]


async def reported_attachment(
    session: AsyncSession, *, actor: User | None, report_id: str, attachment_id: str
) -> ConversationAttachment:
    """A file of a reported message, for the organizers deciding the report: only while it
    is open, and only the reported message's files (the rest of the thread stays its
    people's own)."""
    require_role(actor, Role.ORGANIZER)
    report = await session.get(ConversationReport, report_id) if len(report_id) <= 32 else None
    if report is None or report.status != ReportStatus.OPEN:
        raise AttachmentNotFound()
    found = await _shown_file(session, attachment_id)
    if found.message_id != report.message_id:
        raise AttachmentNotFound()
    return found


async def open_report_count(session: AsyncSession, actor: User) -> int:
    """How many reported messages wait for an organizer (the desk)."""
    require_role(actor, Role.ORGANIZER)
    found = await session.scalar(
        select(func.count())
        .select_from(ConversationReport)
        .where(ConversationReport.status == ReportStatus.OPEN)
    )
    return int(found or 0)


async def resolve(
    session: AsyncSession,
    *,
    actor: User | None,
    report_id: str,
    action: str,
    now: datetime | None = None,
) -> ConversationReport:
    """An organizer dismisses a report, or removes the reported message from its thread."""
    user = require_role(actor, Role.ORGANIZER)
    found = await session.get(ConversationReport, report_id) if len(report_id) <= 32 else None
    if found is None:
        raise ReportNotFound()
    if found.status != ReportStatus.OPEN:
        raise ReportHandled()
    now = now or clock.now()
    if action == "remove":
        message = await session.get(ConversationMessage, found.message_id)
        if message is not None and message.removed_at is None:
            message.removed_at = now
        found.status = ReportStatus.ACTIONED
    else:
        found.status = ReportStatus.DISMISSED
    found.handled_by, found.handled_at = user.id, now
    await session.flush()
    return found
