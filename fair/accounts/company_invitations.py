"""Accepting an invitation into a company: a colleague who has no account makes one from
the link (the link proves the address, so it is confirmed at once); one who is signed in
joins with the account they have.

``accept_company_invitation`` answers None for a token that is no company invitation, so the
route can try another kind of invitation (a fair's) with the same path and token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock
from fair.accounts import tokens
from fair.accounts.companies import (
    AlreadyInCompany,
    InvitationForOthers,
)
from fair.accounts.errors import EmailTaken, InvalidLink
from fair.accounts.models import Company, CompanyInvitation, CompanyMember, Role, User
from fair.accounts.service import create_user
from fair.errors import Conflict, Forbidden, ValidationFailed
from fair.i18n import lazy


@dataclass(frozen=True)
class AcceptedInvitation:
    """What accepting did: who is now a member of which company, and whether that person's
    account was made just now (the route then signs them in)."""

    user: User
    company: Company
    role: str
    created: bool


async def find_invitation(session: AsyncSession, token: str) -> CompanyInvitation | None:
    """The company invitation of a link's token, used or not; None when it is none."""
    if not token or len(token) > tokens.MAX_TOKEN_LENGTH:
        return None
    return await session.scalar(
        select(CompanyInvitation).where(CompanyInvitation.token_hash == tokens.digest(token))
    )


async def _owns_things(session: AsyncSession, company_id: str) -> bool:
    # Booths live in a higher layer: their table is found in the shared metadata by name.
    table = CompanyMember.metadata.tables.get("booths")
    if table is None:
        return False
    found = await session.scalar(select(table.c.id).where(table.c.company_id == company_id))
    return found is not None


async def _join(session: AsyncSession, user: User, company: Company, role: str) -> None:
    """Move ``user`` into ``company``. A person already working with others (colleagues, or
    booths of their company) cannot: those would be left without them."""
    current = user.membership
    if current is not None:
        if current.company_id == company.id:
            raise Conflict(lazy("You are a member of this company already."))
        others = await session.scalar(
            select(func.count())
            .select_from(CompanyMember)
            .where(CompanyMember.company_id == current.company_id, CompanyMember.user_id != user.id)
        )
        if others or await _owns_things(session, current.company_id):
            raise AlreadyInCompany()
        await session.delete(current)
        user.membership = None
        await session.flush()
    user.membership = CompanyMember(
        company=company, company_id=company.id, user_id=user.id, role=role
    )
    user.company = company.name
    await session.flush()


async def _new_member(
    session: AsyncSession,
    row: CompanyInvitation,
    company: Company,
    *,
    name: str | None,
    password: str | None,
) -> User:
    errors = {}
    if not (name or "").strip():
        errors["name"] = lazy("This field cannot be empty.")
    if not password:
        errors["password"] = lazy("This field cannot be empty.")
    if errors:
        raise ValidationFailed(errors)
    assert name is not None and password is not None
    if await session.scalar(select(User.id).where(User.email == row.email)):
        raise EmailTaken(
            lazy("An account with this address exists: sign in, then open the link again."),
            field="email",
        )
    inviter = await session.get(User, row.invited_by) if row.invited_by else None
    return await create_user(
        session,
        email=row.email,
        password=password,
        name=name[:120],
        role=Role(company.kind),
        company=company.name,
        country=company.country,
        timezone=inviter.timezone if inviter else "Asia/Tokyo",
        locale=inviter.locale if inviter else "en",
        verified=True,
        with_company=False,
    )


async def accept_company_invitation(
    session: AsyncSession,
    token: str,
    *,
    user: User | None,
    name: str | None,
    password: str | None,
) -> AcceptedInvitation | None:
    """Spend a company invitation. None when ``token`` is not one (no invitation has its
    hash). ``InvalidLink`` when it was used or has expired; nothing changes then. Signed in
    (``user``), the account joins, if the invitation was mailed to its address; otherwise a
    new account is made with ``name`` and ``password``, of the company's kind, its address
    confirmed."""
    row = await find_invitation(session, token)
    if row is None:
        return None
    now = clock.now()
    if row.used_at is not None or row.expires_at <= now:
        raise InvalidLink()
    company = await session.get(Company, row.company_id)
    if company is None:
        raise InvalidLink()
    if user is not None:
        if user.email != row.email:
            raise InvitationForOthers()
        if user.role != company.kind:
            raise Forbidden(lazy("This account's role does not match the company's."))
        person = user
    else:
        person = await _new_member(session, row, company, name=name, password=password)
    await _join(session, person, company, row.role)
    spent = await session.execute(
        update(CompanyInvitation)
        .where(
            CompanyInvitation.id == row.id,
            CompanyInvitation.used_at.is_(None),
            CompanyInvitation.expires_at > now,
        )
        .values(used_at=now, used_by=person.id)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # another request spent it meanwhile: this one changes nothing
        raise InvalidLink()
    return AcceptedInvitation(user=person, company=company, role=row.role, created=user is None)
