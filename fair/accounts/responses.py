"""The accounts API's response shapes (``fair.api``): they serialize the responses and
describe them in ``/api/openapi.json``."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from fair.accounts import models
from fair.accounts.models import Role
from fair.api import Instant, Scope


class WorkingDay(BaseModel):
    start: str  # "HH:MM" in the person's time zone
    end: str


class MyCompany(BaseModel):
    """The company a person works for, and their role in it."""

    id: str
    name: str
    kind: str  # exhibitor or buyer
    country: str
    role: str  # owner or member
    confirmed: bool  # an organizer has confirmed who the company is

    @classmethod
    def of(cls, member: models.CompanyMember) -> MyCompany:
        company = member.company
        return cls(
            id=company.id,
            name=company.name,
            kind=company.kind,
            country=company.country,
            role=member.role,
            confirmed=company.confirmed,
        )


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    company: str
    position: str
    country: str
    timezone: str
    locale: str
    languages: list[str]
    working_hours: WorkingDay  # the working day "good for both" times fall inside
    email_verified: bool  # false: no booking, no chat, no mail but the verification link

    @classmethod
    def of(cls, user: models.User) -> User:
        hours = WorkingDay(start=f"{user.day_start:%H:%M}", end=f"{user.day_end:%H:%M}")
        return cls.model_validate(
            {
                **_columns(user),
                "languages": list(user.languages or []),
                "working_hours": hours,
                "email_verified": user.verified,
            }
        )


def _columns(user: models.User) -> dict[str, object]:
    names = ("id", "email", "name", "role", "company", "position", "country", "timezone", "locale")
    return {name: getattr(user, name) for name in names}


# (pattern, name): the first that matches names the browser, then the system; enough for a
# person to tell their devices apart, not a fingerprint.
_BROWSERS = (
    (r"Edg/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """``"Firefox · Linux"`` from a User-Agent header (names, in no language); ``""`` when
    nothing is recognised."""
    browser = next((name for p, name in _BROWSERS if re.search(p, user_agent)), "")
    system = next((name for p, name in _SYSTEMS if re.search(p, user_agent)), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system


class SignedInSession(BaseModel):
    """One signed-in browser of the account; ``id`` is a name of its own, not the cookie."""

    id: str
    created_at: Instant
    last_seen_at: Instant
    user_agent: str  # a summary, browser and system: "Firefox · Linux"
    address: str
    current: bool  # the session making this request

    @classmethod
    def of(cls, row: models.Session, current: bool) -> SignedInSession:
        return cls(
            id=row.public_id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            user_agent=device_of(row.user_agent),
            address=row.address,
            current=current,
        )


class SignedInSessions(BaseModel):
    sessions: list[SignedInSession]


class Ended(BaseModel):
    ended: int  # how many sessions were signed out


class ApiToken(BaseModel):
    """A personal API token as its owner's list shows it: never the secret."""

    id: str
    name: str
    scopes: list[Scope]
    prefix: str  # its first characters ("kk_ab12c"), to tell it apart
    created_at: Instant
    expires_on: date  # the last day it works (through its end, UTC)
    expires_at: Instant
    last_used_at: Instant | None
    expired: bool

    @classmethod
    def of(cls, row: models.ApiToken, now: datetime) -> ApiToken:
        return cls(
            id=row.id,
            name=row.name,
            scopes=[Scope(s) for s in row.scopes],
            prefix=row.prefix,
            created_at=row.created_at,
            expires_on=row.expires_on,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            expired=row.expires_at <= now,
        )


class ApiTokens(BaseModel):
    tokens: list[ApiToken]


class NewApiToken(ApiToken):
    """A token just made: ``token`` is its secret, shown this once."""

    token: str


class Company(BaseModel):
    """A company as the organizers see it."""

    id: str
    name: str
    kind: str
    country: str
    confirmed: bool
    confirmed_at: Instant | None


class ListedCompany(Company):
    """A company in the organizers' list: its size and the companies claiming its name."""

    members: int
    clashes_with: list[str]  # ids of other companies whose name folds to the same


class Companies(BaseModel):
    items: list[ListedCompany]


class CompanyMember(BaseModel):
    user_id: str
    name: str
    email: str
    position: str
    role: str  # owner or member
    joined_at: Instant


class CompanyMembers(BaseModel):
    company: MyCompany
    members: list[CompanyMember]

    @classmethod
    def of(
        cls, me: models.CompanyMember, rows: list[tuple[models.CompanyMember, models.User]]
    ) -> CompanyMembers:
        return cls(
            company=MyCompany.of(me),
            members=[
                CompanyMember(
                    user_id=user.id,
                    name=user.name,
                    email=user.email,
                    position=user.position,
                    role=member.role,
                    joined_at=member.joined_at,
                )
                for member, user in rows
            ],
        )


class CompanyInvitation(BaseModel):
    id: str
    email: str
    role: str
    expires_at: Instant


class AcceptedInvitation(BaseModel):
    user: User
    company: MyCompany
    created: bool  # a new account was made (and is now signed in)
