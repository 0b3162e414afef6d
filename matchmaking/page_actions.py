"""What the matchmaking pages' buttons share: running an action so that a refusal brings the
page back with its message, and the "propose" or "invite" form of the proposals page, the
booth's leads and the organizers' console."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fair import i18n
from fair.errors import DomainError, ValidationFailed
from fair.schemas import parse
from fair.web import db, settings_of, user_of
from matchmaking import proposals
from matchmaking.schemas import ProposalCreate

T = TypeVar("T")

# Brings the page back with a refusal's message and its status.
Again = Callable[[str, int], Awaitable[Response]]


async def attempt(
    request: Request, action: Callable[[], Awaitable[T]], again: Again
) -> T | Response:
    """``action`` in a savepoint: on a refusal its changes are undone (unless the error keeps
    them, as a rate limit's mark) and the page comes back (``again``) with the message and
    the error's status."""
    nested = await db(request).begin_nested()
    try:
        result = await action()
    except DomainError as exc:
        if exc.persist_changes:
            await nested.commit()
            request.state.persist_changes = True
        else:
            await nested.rollback()
        message = exc.translated()
        if isinstance(exc, ValidationFailed):
            message = " ".join([message, *(i18n.gettext(e) for e in exc.errors.values())])
        return await again(message, exc.status)
    await nested.commit()
    return result


async def propose(
    request: Request, form: FormData, values: dict[str, str], again: Again
) -> object | Response:
    """Proposes the meeting of ``values`` (fair, buyer, booth, note; the form's need, if it
    names one) as the signed-in user; the page comes back (``again``) on a refusal, which
    includes ``values`` that do not parse."""
    if form.get("need_id"):
        values = {**values, "need_id": str(form.get("need_id"))}

    async def act() -> object:
        return await proposals.propose(
            db(request),
            actor=user_of(request),
            data=parse(ProposalCreate, values),
            settings=settings_of(request),
        )

    return await attempt(request, act, again)
