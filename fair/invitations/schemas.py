"""Request shapes for invitations."""

from __future__ import annotations

from typing import Literal

from pydantic import MISSING, BaseModel, EmailStr, Field

from fair.schemas import CountryCode, LanguageCode, Schema


class InvitationCreate(Schema):
    email: EmailStr
    role: Literal["exhibitor", "buyer"]
    name: str = Field(default="", max_length=120)
    company: str = Field(default="", max_length=200)
    country: CountryCode | Literal[""] = ""
    # The invitee's language for the mail and the page; the organizer's own when not given.
    locale: LanguageCode | None = None


class InvitationAccept(Schema):
    """``{}`` when signed in with the invited address; else the new account's name and
    password."""

    name: str | None = Field(default=None, max_length=120)
    password: str | None = Field(default=None, max_length=1000)


class InvitationImport(BaseModel):
    """An invitation list, sent as multipart/form-data: ``file`` (CSV or XLSX), ``fair`` (its
    slug) and ``dry_run`` (``true``, the default: a preview that writes nothing)."""

    file: bytes
    fair: str
    dry_run: bool | MISSING = MISSING
