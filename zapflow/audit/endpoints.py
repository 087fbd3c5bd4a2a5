"""Read the audit trail: an admin sees everything, an operator sees their own actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.auth.principal import Principal
from zapflow.errors import NotFound
from zapflow.models import AuditLog
from zapflow.web.deps import DbSession

router = APIRouter(tags=["audit"])


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_api_key_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]


def _visible(principal: Principal) -> Any:
    return True if principal.is_admin else AuditLog.actor_user_id == principal.user_id


@router.get("/audit", response_model=list[AuditEntryOut])
async def list_audit(
    principal: CurrentPrincipal,
    db: DbSession,
    before_id: Annotated[
        int | None, Query(description="Keyset cursor: entries older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntryOut]:
    stmt = select(AuditLog).where(_visible(principal)).order_by(AuditLog.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditLog.id < before_id)
    return [AuditEntryOut.model_validate(e) for e in (await db.execute(stmt)).scalars()]


@router.get("/audit/{entry_id}", response_model=AuditEntryOut)
async def get_audit_entry(
    entry_id: int, principal: CurrentPrincipal, db: DbSession
) -> AuditEntryOut:
    stmt = select(AuditLog).where(AuditLog.id == entry_id, _visible(principal))
    entry = (await db.execute(stmt)).scalar_one_or_none()
    if entry is None:
        raise NotFound("audit_entry")
    return AuditEntryOut.model_validate(entry)
