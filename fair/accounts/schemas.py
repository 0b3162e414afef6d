"""Request shapes for accounts."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    BeforeValidator,
    EmailStr,
    Field,
    WithJsonSchema,
    model_validator,
)

from fair.api import Scope
from fair.i18n import lazy
from fair.schemas import CountryCode, LanguageCode, Schema, TimeZoneName


class Registration(Schema):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["exhibitor", "buyer"]
    company: str = Field(min_length=1, max_length=200)
    country: CountryCode
    timezone: TimeZoneName
    locale: LanguageCode = "en"


class Login(Schema):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class LocaleChoice(Schema):
    locale: LanguageCode


class VerifyEmail(Schema):
    token: str = Field(min_length=1, max_length=256)


class PasswordResetRequest(Schema):
    email: EmailStr


class PasswordResetConfirm(Schema):
    token: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=256)


class PasswordChange(Schema):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


# Profile -------------------------------------------------------------------------------------

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _clock_time(value: object) -> time:
    found = _CLOCK.match(value) if isinstance(value, str) else None
    if not found:
        raise ValueError(lazy("Give a time as HH:MM, e.g. 09:00."))
    return time(int(found.group(1)), int(found.group(2)))


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError(lazy("This field is required."))
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# "HH:MM" on the wire, a time once read.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": _CLOCK.pattern, "examples": ["09:00"]}),
]
PersonName = Annotated[str, Field(max_length=120), AfterValidator(_not_blank)]
Position = Annotated[str, Field(max_length=120)]
# The meeting languages the app knows (the six it speaks): booths and buyers' needs offer
# the same, and an interpreter is asked for by one of them.
SpokenLanguages = Annotated[list[LanguageCode], Field(max_length=6), AfterValidator(_distinct)]


class WorkingHours(Schema):
    """A working day in the person's own time zone, ``start`` before ``end``."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _in_order(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError(lazy("The working day must end after it starts."))
        return self


class ProfileUpdate(Schema):
    """PATCH /api/me: only the fields sent change; none may be null."""

    name: PersonName | MISSING = MISSING
    position: Position | MISSING = MISSING
    country: CountryCode | MISSING = MISSING
    timezone: TimeZoneName | MISSING = MISSING
    languages: SpokenLanguages | MISSING = MISSING
    locale: LanguageCode | MISSING = MISSING
    working_hours: WorkingHours | MISSING = MISSING


class EmailChange(Schema):
    """The new address, and the current password: a session left open (or stolen) must not
    be enough to move the account to another mailbox."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class EmailChangeConfirm(Schema):
    token: str = Field(min_length=1, max_length=256)


def _scopes(value: list[Scope]) -> list[Scope]:
    if not value:
        raise ValueError(lazy("Choose at least one scope."))
    return sorted(set(value), key=list(Scope).index)  # each once, in the scopes' order


class ApiTokenRequest(Schema):
    name: str = Field(min_length=1, max_length=80)
    scopes: Annotated[list[Scope], AfterValidator(_scopes)] = Field(max_length=8)
    # The last day it works (through its end, in UTC); 90 days from today when left out.
    expires_on: date | None = None


class AccountDeletion(Schema):
    """Deleting an account takes its password: a session left open (or stolen) must not be
    enough to erase someone."""

    password: str = Field(min_length=1, max_length=256)


class CompanyInvitationRequest(Schema):
    email: EmailStr
    role: Literal["owner", "member"] = "member"


class InvitationAcceptance(Schema):
    """Empty when signed in (the account joins); a new person's name and password."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    password: str | None = Field(default=None, min_length=1, max_length=256)
