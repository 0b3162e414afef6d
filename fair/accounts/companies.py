"""Companies: the exhibiting or buying organization a person works for, its members and
their roles, invitations of colleagues, and an organizer confirming who a company is.

Every exhibitor and buyer belongs to one company (one-member when they registered alone);
what a company owns (its booths, the meetings at them) every member manages. The owner
invites colleagues; a member may leave; the last owner may not. Who may do what is decided
here, not in the routes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, outbox, ratelimit
from fair.accounts import tokens
from fair.accounts.errors import EmailNotVerified, LinkRateLimited
from fair.accounts.jobs import INVITATION_PURPOSE, send_company_invitation
from fair.accounts.models import (
    Company,
    CompanyInvitation,
    CompanyKind,
    CompanyMember,
    CompanyRole,
    Role,
    User,
)
from fair.db import new_id
from fair.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from fair.i18n import lazy

# How long an invitation link works, and how many one company may send in a day.
INVITATION_LIFETIME = timedelta(days=7)
INVITATIONS_PER_DAY = 20
# The organizers' list of companies shows at most this many (pending ones first).
MAX_LISTED = 500
# Which companies the organizers' list shows.
LISTS = ("all", "pending", "confirmed", "clashing")

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def name_key(name: str) -> str:
    """A company name folded for comparison: "Sectest  Delta Co., Ltd." and "sectest delta
    co ltd" are one name (NFKC, case folded, punctuation and spacing dropped)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_PUNCTUATION.sub(" ", folded).split())[:200]


class CompanyNotFound(NotFound):
    code = "company_not_found"
    message = lazy("There is no such company, or you are not one of its members.")


class NotCompanyOwner(Forbidden):
    code = "not_company_owner"
    message = lazy("Only an owner of the company may do this.")


class LastOwner(Conflict):
    code = "last_owner"
    message = lazy(
        "A company needs an owner: make another member an owner before the last one leaves."
    )


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = lazy("This person is not a member of the company.")


class AlreadyInCompany(Conflict):
    code = "already_in_company"
    message = lazy(
        "This account already works with another company's booths or colleagues; "
        "it cannot join a second company."
    )


class InvitationForOthers(Forbidden):
    code = "invitation_for_others"
    message = lazy(
        "This invitation was sent to another e-mail address. Sign out, or ask for an "
        "invitation to your own address."
    )


class InvitationsRateLimited(LinkRateLimited):
    code = "invitations_rate_limited"
    message = lazy(
        "Too many invitations sent today. Please wait %(minutes)d minutes and try again."
    )


def kind_for(role: str) -> CompanyKind | None:
    """The kind of company a person of ``role`` works for; None for the programme's staff."""
    if role == Role.EXHIBITOR:
        return CompanyKind.EXHIBITOR
    if role == Role.BUYER:
        return CompanyKind.BUYER
    return None


async def create_company(
    session: AsyncSession, *, owner: User, name: str, kind: CompanyKind, country: str = ""
) -> Company:
    """A new company with ``owner`` as its one member (flushed)."""
    cleaned = " ".join(name.split())[:200] or owner.email
    company = Company(name=cleaned, name_key=name_key(cleaned), kind=kind.value, country=country)
    session.add(company)
    await session.flush()
    owner.membership = CompanyMember(
        company=company, company_id=company.id, user_id=owner.id, role=CompanyRole.OWNER.value
    )
    await session.flush()
    return company


async def ensure_company(session: AsyncSession, user: User) -> Company | None:
    """The company of an exhibitor or buyer, made (one member, named from the profile's
    company or else the e-mail address) when they have none; None for other roles."""
    if user.membership is not None:
        return user.membership.company
    kind = kind_for(user.role)
    if kind is None:
        return None
    return await create_company(
        session, owner=user, name=user.company or user.email, kind=kind, country=user.country
    )


def company_of(user: User | None) -> Company | None:
    if user is None or user.membership is None:
        return None
    return user.membership.company


def is_member(user: User | None, company_id: str | None) -> bool:
    return user is not None and company_id is not None and user.company_id == company_id


def is_owner(user: User | None, company_id: str) -> bool:
    return (
        is_member(user, company_id)
        and user is not None
        and user.membership is not None
        and user.membership.role == CompanyRole.OWNER
    )


async def load_company(session: AsyncSession, company_id: str, *, actor: User | None) -> Company:
    """A company the actor belongs to; any other is not found (its existence is not told)."""
    company = await session.get(Company, company_id) if len(company_id) <= 32 else None
    if company is None or not is_member(actor, company.id):
        raise CompanyNotFound()
    return company


async def list_members(
    session: AsyncSession, company_id: str, *, actor: User | None
) -> list[tuple[CompanyMember, User]]:
    """The company's members, owners first, then by when they joined."""
    company = await load_company(session, company_id, actor=actor)
    return await _members(session, company.id)


async def _members(session: AsyncSession, company_id: str) -> list[tuple[CompanyMember, User]]:
    rows = await session.execute(
        select(CompanyMember, User)
        .join(User, User.id == CompanyMember.user_id)
        .where(CompanyMember.company_id == company_id)
        .order_by(CompanyMember.role.desc(), CompanyMember.joined_at, User.name)
    )
    return [(member, user) for member, user in rows.all()]


async def invite(
    session: AsyncSession,
    company_id: str,
    *,
    actor: User | None,
    email: str,
    role: CompanyRole,
    secret: str,
) -> CompanyInvitation:
    """The owner invites a colleague: a signed single-use link is mailed to ``email``.
    404 for outsiders, 403 for a member who is not an owner, 409 when the address is a
    member already, 429 over ``INVITATIONS_PER_DAY`` a company.

    Side effects: queues the invitation mail (``send_company_invitation``)."""
    company = await load_company(session, company_id, actor=actor)
    if not is_owner(actor, company.id):
        raise NotCompanyOwner()
    assert actor is not None
    if not actor.verified:  # the mail carries the inviter's words: an address proved first
        raise EmailNotVerified()
    address = email.strip().lower()
    already = await session.scalar(
        select(User.id)
        .join(CompanyMember, CompanyMember.user_id == User.id)
        .where(User.email == address, CompanyMember.company_id == company.id)
    )
    if already:
        raise Conflict(lazy("This person is a member of the company already."), field="email")
    now = clock.now()
    window = timedelta(days=1)
    allowed_at = await ratelimit.blocked_until(
        session,
        CompanyInvitation.created_at,
        CompanyInvitation.company_id == company.id,
        limit=INVITATIONS_PER_DAY,
        window=window,
        now=now,
    )
    if allowed_at is not None:
        wait = ratelimit.seconds_until(allowed_at, now)
        raise InvitationsRateLimited(minutes=math.ceil(wait / 60), retry_after=wait)
    row_id = new_id()
    row = CompanyInvitation(
        id=row_id,
        company_id=company.id,
        email=address,
        role=role.value,
        invited_by=actor.id,
        token_hash=tokens.digest(tokens.token_of(row_id, INVITATION_PURPOSE, secret)),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(row)
    await session.flush()
    await outbox.enqueue(
        session, send_company_invitation, key=f"company-invitation:{row.id}", invitation_id=row.id
    )
    return row


async def remove_member(
    session: AsyncSession, company_id: str, user_id: str, *, actor: User | None
) -> None:
    """An owner removes a member, or a member leaves. The last owner can do neither (409):
    a company with members needs someone who can invite and remove."""
    company = await load_company(session, company_id, actor=actor)
    assert actor is not None
    if user_id != actor.id and not is_owner(actor, company.id):
        raise NotCompanyOwner()
    member = await session.get(CompanyMember, user_id) if len(user_id) <= 32 else None
    if member is None or member.company_id != company.id:
        raise MemberNotFound()
    if member.role == CompanyRole.OWNER:
        owners = await session.scalar(
            select(func.count())
            .select_from(CompanyMember)
            .where(
                CompanyMember.company_id == company.id,
                CompanyMember.role == CompanyRole.OWNER.value,
            )
        )
        if owners <= 1:
            raise LastOwner()
    person = await session.get(User, user_id)
    if person is not None:
        person.membership = None
    await session.delete(member)
    await session.flush()


async def leave_for_good(session: AsyncSession, user: User) -> None:
    """A member deletes their account: the company goes on with its other people. An owner
    who was the last one hands the role to the longest-standing member, so someone can still
    invite and remove; the account leaves the company. A member alone stays in it, so the
    company's booths and meetings keep the history they had."""
    member = user.membership
    if member is None:
        return
    others = list(
        (
            await session.scalars(
                select(CompanyMember)
                .join(User, User.id == CompanyMember.user_id)
                .where(
                    CompanyMember.company_id == member.company_id,
                    CompanyMember.user_id != user.id,
                    User.is_active.is_(True),
                )
                .order_by(CompanyMember.joined_at, CompanyMember.user_id)
            )
        ).all()
    )
    if not others:
        return
    if member.role == CompanyRole.OWNER and not any(
        other.role == CompanyRole.OWNER for other in others
    ):
        others[0].role = CompanyRole.OWNER
    user.membership = None
    await session.delete(member)
    await session.flush()


async def invitation_parties(
    session: AsyncSession, row: CompanyInvitation
) -> tuple[Company | None, User | None]:
    """The company an invitation is into and who sent it, for its page."""
    company = await session.get(Company, row.company_id)
    inviter = await session.get(User, row.invited_by) if row.invited_by else None
    return company, inviter


async def confirm_company(session: AsyncSession, company_id: str, *, actor: User | None) -> Company:
    """An organizer confirms who a company is (its name is then shown as confirmed). Saying
    it twice changes nothing."""
    if actor is None:
        raise NotAuthenticated()
    if not actor.has_role(Role.ORGANIZER):
        raise Forbidden()
    company = await session.get(Company, company_id) if len(company_id) <= 32 else None
    if company is None:
        raise NotFound()
    if company.confirmed_at is None:
        company.confirmed_at = clock.now()
        company.confirmed_by = actor.id
        await session.flush()
    return company


# The organizers' list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A company as the organizers' list shows it: how many people work in it, and the other
    companies whose name folds to the same (a name two companies claim: which is real is
    for the organizers to confirm)."""

    company: Company
    members: int
    clashes_with: tuple[str, ...]


async def list_companies(
    session: AsyncSession, *, actor: User | None, show: str = "all", kind: str | None = None
) -> list[Listed]:
    """The companies for organizers and staff: those waiting for confirmation first, then
    by name; ``show`` narrows to pending, confirmed or clashing names."""
    if actor is None:
        raise NotAuthenticated()
    if not actor.has_role(Role.ORGANIZER, Role.STAFF):
        raise Forbidden()
    if show not in LISTS:
        raise ValidationFailed({"show": lazy("Choose one of: all, pending, confirmed, clashing.")})
    if kind is not None and kind not in (CompanyKind.EXHIBITOR, CompanyKind.BUYER):
        raise ValidationFailed({"kind": lazy("Choose exhibitor or buyer.")})
    shared = (
        select(Company.name_key).group_by(Company.name_key).having(func.count() > 1)
    ).scalar_subquery()
    members = (
        select(CompanyMember.company_id, func.count().label("members"))
        .group_by(CompanyMember.company_id)
        .subquery()
    )
    query = select(Company, func.coalesce(members.c.members, 0)).outerjoin(
        members, members.c.company_id == Company.id
    )
    if kind is not None:
        query = query.where(Company.kind == kind)
    if show == "pending":
        query = query.where(Company.confirmed_at.is_(None))
    elif show == "confirmed":
        query = query.where(Company.confirmed_at.is_not(None))
    elif show == "clashing":
        query = query.where(Company.name_key.in_(shared))
    rows = (
        await session.execute(
            query.order_by(Company.confirmed_at.is_not(None), Company.name_key, Company.id).limit(
                MAX_LISTED
            )
        )
    ).all()
    keys = {company.name_key for company, _ in rows}
    twins: dict[str, list[str]] = {}
    if keys:
        found = await session.execute(
            select(Company.name_key, Company.id).where(
                Company.name_key.in_(keys), Company.name_key.in_(shared)
            )
        )
        for key, company_id in found.all():
            twins.setdefault(key, []).append(company_id)
    return [
        Listed(
            company=company,
            members=int(count),
            clashes_with=tuple(
                sorted(i for i in twins.get(company.name_key, ()) if i != company.id)
            ),
        )
        for company, count in rows
    ]


async def waiting_confirmation(session: AsyncSession, actor: User) -> int:
    """How many companies wait for the organizers to confirm them (the desk)."""
    if not actor.has_role(Role.ORGANIZER, Role.STAFF):
        raise Forbidden()
    found = await session.scalar(
        select(func.count()).select_from(Company).where(Company.confirmed_at.is_(None))
    )
    return int(found or 0)
