"""The accounts API's response shapes (``fair.api``): they serialize the responses and
describe them in ``/api/openapi.json``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from fair.accounts import models
from fair.accounts.models import Role


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    company: str
    country: str
    timezone: str
    locale: str

    @classmethod
    def of(cls, user: models.User) -> User:
        return cls.model_validate(user)
