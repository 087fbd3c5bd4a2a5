"""The audit trail: who did what, from where, in the same transaction as the deed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.models import AuditLog


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where; built once per request."""

    actor_user_id: int | None
    actor_api_key_id: int | None = None
    ip: str | None = None
    request_id: str | None = None


async def record(
    session: AsyncSession,
    context: AuditContext,
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    **details: Any,
) -> None:
    session.add(
        AuditLog(
            actor_user_id=context.actor_user_id,
            actor_api_key_id=context.actor_api_key_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            ip=context.ip,
            request_id=context.request_id,
            details=details,
        )
    )
    await session.flush()
