"""Organizers invite exhibitors and buyers to a fair by e-mail, one by one or from a list;
the invitee accepts from the mailed link (a new account, or the one they have).

An address that already has a confirmed account of the role is admitted at once and told
so by mail (there is nothing for it to accept). One that has an account not yet confirmed
is sent the link like a new person: whoever registered the address may not own it, and the
link proves who does. Admitted means: a buyer is an approved buyer of the fair (so a vetted
fair, which only admitted buyers may book, takes them without a request); an exhibitor's
invitation is recorded as accepted (any exhibitor may set up a booth in a fair)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox
from fair.accounts.errors import InvalidLink
from fair.accounts.models import Role, User
from fair.accounts.service import (
    create_user,
    find_user_by_email,
    normalize_email,
    require_role,
)
from fair.accounts.tokens import MAX_TOKEN_LENGTH, digest
from fair.config import Settings
from fair.db import new_id
from fair.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fair.fairs.models import Fair, FairBuyer
from fair.fairs.service import get_fair
from fair.i18n import LANGUAGES, gettext, lazy
from fair.invitations.jobs import send_fair_admitted, send_fair_invitation
from fair.invitations.links import link_token
from fair.invitations.models import FairInvitation
from fair.invitations.sheets import Candidate, RowProblem, Sheet

# Addresses looked up in the database per query while checking a list.
LOOKUP_CHUNK = 500

Action = Literal["invite", "resend", "admit", "accepted_already"]


class RoleTaken(Conflict):
    code = "invitation_role_mismatch"
    message = lazy("This address belongs to an account of another role.")


class AlreadyAccepted(Conflict):
    code = "invitation_accepted"
    message = lazy("This invitation has been accepted already.")


class OtherAccount(Forbidden):
    code = "invitation_other_account"
    message = lazy(
        "This invitation is for another e-mail address. Sign out, then open the link again."
    )


class AccountExists(Conflict):
    code = "invitation_account_exists"
    message = lazy(
        "An account with this e-mail address exists already: sign in (or reset your "
        "password), then open the link again."
    )


class RowsInvalid(ValidationFailed):
    code = "import_rows_invalid"
    message = lazy("Some rows are not valid: nothing was imported. Correct them and upload again.")


def default_language(organizer: User) -> str:
    return organizer.locale if organizer.locale in LANGUAGES else "en"


def _choose_action(
    user: User | None, invitation: FairInvitation | None, role: str
) -> Action | RowProblem | type[Conflict]:
    if user is not None and (user.role != role or not user.is_active):
        return RoleTaken
    if invitation is not None and invitation.accepted_at is not None:
        return "accepted_already"
    if user is not None and user.verified:
        return "admit"
    return "resend" if invitation is not None else "invite"


async def _admit(
    session: AsyncSession, fair: Fair, user: User, by: str | None, now: datetime
) -> None:
    """A buyer becomes an approved buyer of the fair (whatever they asked before)."""
    if user.role != Role.BUYER:
        return
    request = await session.scalar(
        select(FairBuyer).where(FairBuyer.fair_id == fair.id, FairBuyer.user_id == user.id)
    )
    if request is None:
        request = FairBuyer(fair_id=fair.id, user_id=user.id, requested_at=now)
        session.add(request)
    request.status, request.decided_at, request.decided_by = "approved", now, by


@dataclass(frozen=True)
class Invited:
    invitation: FairInvitation
    action: Action


async def _apply(
    session: AsyncSession,
    *,
    fair: Fair,
    organizer: User,
    candidate: Candidate,
    user: User | None,
    invitation: FairInvitation | None,
    action: Action,
    settings: Settings,
    now: datetime,
) -> FairInvitation:
    """Write one invitation (new, sent again, or accepted at once) and queue its mail."""
    if action == "accepted_already":
        assert invitation is not None
        return invitation
    if invitation is None:
        invitation = FairInvitation(
            id=new_id(),  # the link is made from it before the row is flushed
            fair_id=fair.id,
            email=normalize_email(candidate.email),
            created_at=now,
            sends=0,
            token_hash="",
            name="",
            company="",
            country="",
        )
        session.add(invitation)
    invitation.role = candidate.role
    invitation.name = candidate.name[:120] or invitation.name
    invitation.company = candidate.company[:200] or invitation.company
    invitation.country = candidate.country or invitation.country
    invitation.locale = candidate.language or default_language(organizer)
    invitation.invited_by = organizer.id
    invitation.sends += 1
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.invitation_days)
    invitation.revoked_at = None
    invitation.token_hash = digest(link_token(invitation, settings.secret_key))
    if action == "admit":
        assert user is not None
        invitation.accepted_at, invitation.accepted_by = now, user.id
    await session.flush()
    if action == "admit":
        assert user is not None
        await _admit(session, fair, user, organizer.id, now)
        await outbox.enqueue(
            session,
            send_fair_admitted,
            key=f"fair-admitted:{invitation.id}",
            invitation_id=invitation.id,
        )
    else:
        await outbox.enqueue(
            session,
            send_fair_invitation,
            key=f"fair-invitation:{invitation.id}:{invitation.sends}",
            invitation_id=invitation.id,
            sends=invitation.sends,
        )
    return invitation


async def _existing(
    session: AsyncSession, fair: Fair, emails: Sequence[str]
) -> tuple[dict[str, User], dict[str, FairInvitation]]:
    users: dict[str, User] = {}
    invitations: dict[str, FairInvitation] = {}
    for start in range(0, len(emails), LOOKUP_CHUNK):
        chunk = list(emails[start : start + LOOKUP_CHUNK])
        for user in await session.scalars(select(User).where(User.email.in_(chunk))):
            users[user.email] = user
        for invitation in await session.scalars(
            select(FairInvitation).where(
                FairInvitation.fair_id == fair.id, FairInvitation.email.in_(chunk)
            )
        ):
            invitations[invitation.email] = invitation
    return users, invitations


async def invite(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    candidate: Candidate,
    settings: Settings,
    now: datetime | None = None,
) -> Invited:
    """An organizer invites one address (again: the link is sent anew). Raises
    ``RoleTaken`` (the address has an account of another role) and ``AlreadyAccepted``."""
    now = now or clock.now()
    organizer = require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=organizer)
    users, invitations = await _existing(session, fair, [candidate.email])
    user, invitation = users.get(candidate.email), invitations.get(candidate.email)
    action = _choose_action(user, invitation, candidate.role)
    if action == "accepted_already":
        raise AlreadyAccepted(field="email")
    if not isinstance(action, str):
        raise RoleTaken(field="email")
    written = await _apply(
        session,
        fair=fair,
        organizer=organizer,
        candidate=candidate,
        user=user,
        invitation=invitation,
        action=action,
        settings=settings,
        now=now,
    )
    return Invited(written, action)


@dataclass(frozen=True)
class PlannedRow:
    candidate: Candidate
    action: Action


@dataclass(frozen=True)
class ImportPlan:
    fair: Fair
    rows: list[PlannedRow]
    problems: list[RowProblem]
    written: bool


async def import_sheet(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    sheet: Sheet,
    dry_run: bool,
    settings: Settings,
    now: datetime | None = None,
) -> ImportPlan:
    """What each row of a checked list would do (``dry_run``) or does: all rows or none,
    so any problem (the file's own, or an address whose account has another role) raises
    ``RowsInvalid`` naming each row's fields, and nothing is written."""
    now = now or clock.now()
    organizer = require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=organizer)
    emails = [candidate.email for candidate in sheet.candidates]
    users, invitations = await _existing(session, fair, emails)
    problems = list(sheet.problems)
    planned: list[PlannedRow] = []
    for candidate in sheet.candidates:
        action = _choose_action(
            users.get(candidate.email), invitations.get(candidate.email), candidate.role
        )
        if isinstance(action, str):
            planned.append(PlannedRow(candidate, action))
        else:
            problems.append(RowProblem(candidate.row, "email", action.message))
    problems.sort(key=lambda problem: (problem.row, problem.field))
    if dry_run:
        return ImportPlan(fair, planned, problems, written=False)
    if problems:
        raise RowsInvalid({f"{p.row}.{p.field}": formatted(p) for p in problems})
    for row in planned:
        await _apply(
            session,
            fair=fair,
            organizer=organizer,
            candidate=row.candidate,
            user=users.get(row.candidate.email),
            invitation=invitations.get(row.candidate.email),
            action=row.action,
            settings=settings,
            now=now,
        )
    return ImportPlan(fair, planned, problems, written=True)


def formatted(problem: RowProblem) -> str:
    """A row's message in the request's language (the error handler looks each message up
    as a msgid; a translated one is simply not found, and stays)."""
    text = gettext(problem.message)
    return text % problem.params if problem.params else text


async def list_invitations(
    session: AsyncSession, *, actor: User | None, slug: str
) -> tuple[Fair, list[FairInvitation]]:
    """A fair's invitations for organizers, the newest sent first."""
    organizer = require_role(actor, Role.ORGANIZER)
    fair = await get_fair(session, slug, viewer=organizer)
    rows = await session.scalars(
        select(FairInvitation)
        .where(FairInvitation.fair_id == fair.id)
        .order_by(FairInvitation.sent_at.desc(), FairInvitation.email)
    )
    return fair, list(rows)


async def _own(
    session: AsyncSession, organizer: User, slug: str, invitation_id: str
) -> FairInvitation:
    fair = await get_fair(session, slug, viewer=organizer)
    invitation = (
        await session.get(FairInvitation, invitation_id) if len(invitation_id) <= 32 else None
    )
    if invitation is None or invitation.fair_id != fair.id:
        raise NotFound(lazy("There is no such invitation."))
    return invitation


async def revoke(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    invitation_id: str,
    now: datetime | None = None,
) -> FairInvitation:
    """The link stops working; revoking twice changes nothing. An accepted invitation is
    history (the organizers' answer to the buyer is changed on the buyers' page)."""
    organizer = require_role(actor, Role.ORGANIZER)
    invitation = await _own(session, organizer, slug, invitation_id)
    if invitation.accepted_at is not None:
        raise AlreadyAccepted()
    if invitation.revoked_at is None:
        invitation.revoked_at = now or clock.now()
        await session.flush()
    return invitation


async def resend(
    session: AsyncSession,
    *,
    actor: User | None,
    slug: str,
    invitation_id: str,
    settings: Settings,
    now: datetime | None = None,
) -> Invited:
    """Send an invitation again (also a revoked or expired one): a new link, a new term."""
    organizer = require_role(actor, Role.ORGANIZER)
    invitation = await _own(session, organizer, slug, invitation_id)
    candidate = Candidate(
        row=0,
        email=invitation.email,
        role=invitation.role,
        name=invitation.name,
        company=invitation.company,
        country=invitation.country,
        language=invitation.locale,
    )
    return await invite(
        session, actor=organizer, slug=slug, candidate=candidate, settings=settings, now=now
    )


# Accepting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    invitation: FairInvitation
    fair: Fair
    user: User
    created: bool  # a new account was made (the caller signs it in)


async def find_by_token(session: AsyncSession, token: str) -> FairInvitation | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return await session.scalar(
        select(FairInvitation).where(FairInvitation.token_hash == digest(token))
    )


async def accept_fair_invitation(
    session: AsyncSession,
    token: str,
    *,
    user: User | None,
    name: str | None,
    password: str | None,
    now: datetime | None = None,
) -> Accepted | None:
    """Accept a fair invitation from its link: None when ``token`` is no fair invitation's
    (so another kind of invitation may be tried). Signed in (``user``) with the invited
    address: that account is admitted. Nobody signed in: a new account with ``name`` and
    ``password``, the invitation's role, and its address confirmed (the link proves it).
    ``InvalidLink`` when the link is expired, used, revoked or an older mail's; nothing
    changes on any refusal."""
    now = now or clock.now()
    invitation = await find_by_token(session, token)
    if invitation is None:
        return None
    if invitation.status(now) != "pending":
        raise InvalidLink()
    if user is not None:
        if user.email != invitation.email:
            raise OtherAccount()
        if user.role != invitation.role:
            raise RoleTaken()
    elif await find_user_by_email(session, invitation.email) is not None:
        raise AccountExists()
    elif not (name or "").strip():
        raise ValidationFailed({"name": lazy("This field is required.")})
    # Single use in the database itself: only a pending row of this very link passes.
    spent = await session.execute(
        update(FairInvitation)
        .where(
            FairInvitation.id == invitation.id,
            FairInvitation.token_hash == invitation.token_hash,
            FairInvitation.accepted_at.is_(None),
            FairInvitation.revoked_at.is_(None),
            FairInvitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        raise InvalidLink()
    created = user is None
    if user is None:
        user = await create_user(
            session,
            email=invitation.email,
            password=password or "",
            name=(name or "").strip()[:120],
            role=Role(invitation.role),
            company=invitation.company,
            country=invitation.country,
            locale=invitation.locale,
            verified=True,
        )
    elif not user.verified:
        user.email_verified_at = now
    await session.refresh(invitation)
    invitation.accepted_by = user.id
    fair = await session.get(Fair, invitation.fair_id)
    assert fair is not None  # the invitation goes with its fair
    await _admit(session, fair, user, invitation.invited_by, now)
    await session.flush()
    return Accepted(invitation, fair, user, created)


async def describe(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> tuple[FairInvitation, Fair]:
    """The invitation a link names, for its page: ``InvalidLink`` unless it is pending."""
    invitation = await find_by_token(session, token)
    if invitation is None or invitation.status(now or clock.now()) != "pending":
        raise InvalidLink()
    fair = await session.get(Fair, invitation.fair_id)
    assert fair is not None
    return invitation, fair
