from __future__ import annotations

from zoneinfo import available_timezones

from pydantic import Field, field_validator

from zapflow.auth.schemas import EmailAddress, StrictModel
from zapflow.models import Role

PASSWORD_MIN_LENGTH = 10


def _known_timezone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError(f"fuso horário desconhecido: {value} (ex.: America/Sao_Paulo)")
    return value


class UserCreateIn(StrictModel):
    email: EmailAddress
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=256)
    role: Role = Role.operator
    locale: str = Field(default="pt-BR", pattern="^(pt-BR|en)$")
    timezone: str = "America/Sao_Paulo"

    _tz = field_validator("timezone")(_known_timezone)


class UserUpdateIn(StrictModel):
    """Admin edits of another user; only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=PASSWORD_MIN_LENGTH, max_length=256)


class ProfileUpdateIn(StrictModel):
    """A user's edits of their own profile."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    locale: str | None = Field(default=None, pattern="^(pt-BR|en)$")
    timezone: str | None = None

    _tz = field_validator("timezone")(_known_timezone)


class PasswordChangeIn(StrictModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=256)
