"""Who is calling, and the one rule every query follows: scope rows to their owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, true

from zapflow.audit.service import AuditContext
from zapflow.models import User


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["cookie", "api_key"]
    api_key_id: int | None = None
    auth_session_id: int | None = None
    ip: str | None = None
    request_id: str | None = None

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @property
    def audit(self) -> AuditContext:
        return AuditContext(self.user.id, self.api_key_id, self.ip, self.request_id)


def owned_by(principal: Principal, model: Any) -> ColumnElement[bool]:
    """WHERE clause limiting `model` to the caller's rows; an admin sees every row.

    Every repository query on an owned table goes through this, so a user asking for another
    user's row finds nothing and answers 404, never 403.
    """
    if principal.is_admin:
        return true()
    column: ColumnElement[bool] = model.user_id == principal.user_id
    return column
