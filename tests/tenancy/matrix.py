"""The tenant-isolation matrix: every owned resource, and every endpoint that reaches one.

To add a resource, append an `OwnedResource` with a factory that creates one for an owner and
the endpoints that address it by id. The test then proves that another user gets 404 on each
endpoint and never sees the resource in the listings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import create_api_key
from zapflow.audit.service import AuditContext, record
from zapflow.models import AuditLog, User

Factory = Callable[[AsyncSession, User], Awaitable[int]]


@dataclass(frozen=True)
class OwnedResource:
    name: str
    create: Factory
    # (method, path with {id}, JSON body or None)
    endpoints: list[tuple[str, str, dict[str, Any] | None]]
    # listing paths whose JSON array must not contain the resource's id
    listings: list[str] = field(default_factory=list)


async def _api_key(session: AsyncSession, owner: User) -> int:
    key, _ = await create_api_key(session, owner, name="do dono")
    return key.id


async def _audit_entry(session: AsyncSession, owner: User) -> int:
    await record(session, AuditContext(owner.id), "test.owned_action")
    entry = AuditLog.__table__
    from sqlalchemy import select

    stmt = select(entry.c.id).where(entry.c.actor_user_id == owner.id).order_by(entry.c.id.desc())
    return int((await session.execute(stmt)).scalars().first() or 0)


RESOURCES: list[OwnedResource] = [
    OwnedResource(
        "api_key",
        _api_key,
        [("GET", "/api/v1/api-keys/{id}", None), ("DELETE", "/api/v1/api-keys/{id}", None)],
        ["/api/v1/api-keys"],
    ),
    OwnedResource(
        "audit_entry",
        _audit_entry,
        [("GET", "/api/v1/audit/{id}", None)],
        ["/api/v1/audit"],
    ),
]
