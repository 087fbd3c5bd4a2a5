"""Who is calling, and the one rule every query follows: scope rows to their owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit.service import AuditContext
from zapflow.errors import NotFound
from zapflow.models import User

Owned = TypeVar("Owned")


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


async def get_owned(
    db: AsyncSession, principal: Principal, model: type[Owned], row_id: int, resource: str
) -> Owned:
    """The caller's row of `model` by id, or `NotFound(resource)` (404) — also when it exists
    but belongs to someone else."""
    stmt = select(model).where(model.id == row_id, owned_by(principal, model))  # type: ignore[attr-defined]
    row = (await db.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound(resource)
    return row
