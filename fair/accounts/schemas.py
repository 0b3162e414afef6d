"""Request shapes for accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field

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
