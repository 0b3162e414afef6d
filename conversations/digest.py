"""The mail digest of unread messages: now and then (``EVERY_SECONDS``) each person with
messages unread for more than ``UNREAD_FOR`` gets one mail naming the threads and how many
messages wait in each, never one mail per message and never a message's text (the sender's
words stay on the site, whoever sent them). What a digest covered is marked
(``ConversationRead.notified_until``), so the next one tells only of newer messages; a person
gets at most one digest a period, whichever process queues it first.

The digest goes to the two sides of a thread (the buyer and the booth's owner); the
interpreter reads the threads of their meetings on the site.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from conversations.models import Conversation, ConversationMessage, ConversationRead
from fair import clock, outbox, resources
from fair.accounts.jobs import may_mail
from fair.accounts.models import User
from fair.i18n import gettext as _
from fair.i18n import ngettext, pick_text, use_language
from fair.mail import build_message
from fair.outbox import run_once
from fair.templating import render
from matchmaking.jobs import buyer_label

EVERY_SECONDS = 3600.0  # the period: one digest an hour at most
UNREAD_FOR = timedelta(minutes=15)  # a message read within this is never mailed about
LOOKBACK = timedelta(days=7)  # older unread messages are no longer news


def _period(now: datetime) -> int:
    return int(now.timestamp() // EVERY_SECONDS)


def digest_key(user_id: str, now: datetime) -> str:
    return f"conversation-digest:{user_id}:{_period(now)}"


async def queue_digests(session: AsyncSession, now: datetime | None = None) -> int:
    """Queue one digest for each person with messages waiting; returns how many."""
    now = now or clock.now()
    rows = (
        await session.execute(
            select(
                ConversationMessage.conversation_id,
                ConversationMessage.author_id,
                ConversationMessage.created_at,
                Conversation.buyer_id,
                Booth.owner_id,
            )
            .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
            .join(Booth, Booth.id == Conversation.booth_id)
            .where(
                ConversationMessage.created_at > now - LOOKBACK,
                ConversationMessage.created_at <= now - UNREAD_FOR,
                ConversationMessage.removed_at.is_(None),
            )
        )
    ).all()
    if not rows:
        return 0
    reads = {
        (read.conversation_id, read.user_id): read
        for read in await session.scalars(
            select(ConversationRead).where(
                ConversationRead.conversation_id.in_({row[0] for row in rows})
            )
        )
    }
    # person -> thread -> [how many waiting, the newest one's time]
    waiting: dict[str, dict[str, list[Any]]] = {}
    for conversation_id, author_id, created_at, buyer_id, owner_id in rows:
        for person in {buyer_id, owner_id} - {author_id}:
            read = reads.get((conversation_id, person))
            seen = [t for t in (read.last_read_at, read.notified_until) if t] if read else []
            if seen and created_at <= max(seen):
                continue
            entry = waiting.setdefault(person, {}).setdefault(conversation_id, [0, created_at])
            entry[0] += 1
            entry[1] = max(entry[1], created_at)
    queued = 0
    for person, threads in sorted(waiting.items()):
        made = await outbox.enqueue(
            session,
            send_conversation_digest,
            key=digest_key(person, now),
            user_id=person,
            period=_period(now),
            items=[[conversation_id, count] for conversation_id, (count, _) in threads.items()],
        )
        if made is None:
            continue  # this period's digest went already: these wait for the next one
        queued += 1
        for conversation_id, (_count, newest) in threads.items():
            read = reads.get((conversation_id, person))
            if read is None:
                read = ConversationRead(conversation_id=conversation_id, user_id=person)
                session.add(read)
            read.notified_until = newest
    await session.flush()
    return queued


async def send_conversation_digest(
    ctx: dict[str, Any], *, user_id: str, period: int, items: list[list[Any]]
) -> bool:
    """Mail one person the threads with messages waiting for them, in their language:
    who wrote, how many, a link; nothing for an address not confirmed."""
    res = resources.of_job(ctx)
    settings, mailer = res.settings, res.mailer
    key = f"conversation-digest-mail:{user_id}:{period}"  # one a period: a retry sends nothing

    async def effect(session: AsyncSession) -> None:
        user = await session.get(User, user_id)
        if not may_mail(user):
            return
        assert user is not None
        lines = []
        with use_language(user.locale):
            for conversation_id, count in items:
                conversation = await session.get(Conversation, conversation_id)
                booth = await session.get(Booth, conversation.booth_id) if conversation else None
                buyer = await session.get(User, conversation.buyer_id) if conversation else None
                if conversation is None or booth is None or buyer is None:
                    continue
                who = pick_text(booth.company)[0] if user.id == buyer.id else buyer_label(buyer)
                waiting = ngettext("%(count)s new message", "%(count)s new messages", count) % {
                    "count": count
                }
                url = f"{settings.base_url}/messages/{conversation.id}"
                lines.append({"who": who, "waiting": waiting, "url": url})
            if not lines:
                return
            message = build_message(
                settings,
                key=key,
                to=user.email,
                subject=_("New messages on Kakehashi"),
                text=render(
                    "mail/conversation_digest.txt",
                    user=user,
                    lines=lines,
                    url=f"{settings.base_url}/messages",
                ),
            )
        await mailer.send(message, key=key)

    return await run_once(res.sessionmaker, key, "send_conversation_digest", effect)


JOBS = (send_conversation_digest,)
