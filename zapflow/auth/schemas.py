from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zapflow.models import Role

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")


def _email(value: str) -> str:
    """A plausible address. Deliberately lenient: intranet domains such as `empresa.local` are
    real addresses for our users, and the only proof of an address is mail reaching it."""
    value = value.strip()
    if not _EMAIL.match(value) or len(value) > 320:
        raise ValueError("e-mail inválido (ex.: nome@empresa.com.br)")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


EmailAddress = Annotated[str, Field(max_length=320), AfterValidator(_email)]


class StrictModel(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(StrictModel):
    email: EmailAddress
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    locale: str
    timezone: str
    last_login_at: datetime | None
    created_at: datetime


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send back as the X-CSRF-Token header on writes.")
    expires_at: datetime


class ApiKeyIn(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The key itself. Shown once: store it now.")
