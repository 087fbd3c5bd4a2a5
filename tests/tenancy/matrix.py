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

from tests.contacts.helpers import create_contact, create_list
from tests.helpers.users import create_api_key
from zapflow.audit.service import AuditContext, record
from zapflow.models import (
    AuditLog,
    Campaign,
    CampaignKind,
    CampaignStatus,
    ContactImport,
    DesiredState,
    Engine,
    ImportStatus,
    MediaFile,
    Message,
    MessageSource,
    MessageStatus,
    MessageType,
    NumberFailure,
    OptOut,
    OptOutSource,
    SessionStatus,
    User,
    WhatsAppSession,
)

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


async def _contact(session: AsyncSession, owner: User) -> int:
    return (await create_contact(session, owner, f"+55119{owner.id % 10**8:08d}")).id


async def _contact_list(session: AsyncSession, owner: User) -> int:
    return (await create_list(session, owner, f"Lista {owner.id}")).id


async def _contact_import(session: AsyncSession, owner: User) -> int:
    record = ContactImport(user_id=owner.id, filename="a.csv", status=ImportStatus.completed)
    session.add(record)
    await session.flush()
    return record.id


async def _session(session: AsyncSession, owner: User) -> int:
    row = WhatsAppSession(
        user_id=owner.id,
        name=f"Sessão {owner.id}",
        engine=Engine.simulator,
        status=SessionStatus.qr,
        qr_code="zfsim:1:1:x",
        desired_state=DesiredState.stopped,
    )
    session.add(row)
    await session.flush()
    return row.id


async def _media(session: AsyncSession, owner: User) -> int:
    row = MediaFile(
        user_id=owner.id,
        kind=MessageType.image,
        mime_type="image/png",
        size_bytes=1,
        sha256="0" * 64,
        storage_name=f"{owner.id}/missing.png",
    )
    session.add(row)
    await session.flush()
    return row.id


async def _message(session: AsyncSession, owner: User) -> int:
    row = Message(
        user_id=owner.id,
        source=MessageSource.individual,
        recipient="+5511987654321",
        message_type=MessageType.text,
        body="Oi",
        status=MessageStatus.sent,
    )
    session.add(row)
    await session.flush()
    return row.id


async def _campaign(session: AsyncSession, owner: User) -> int:
    row = Campaign(
        user_id=owner.id,
        name="Natal",
        kind=CampaignKind.bulk,
        status=CampaignStatus.paused,
        message_type=MessageType.text,
        body_template="Oi",
    )
    session.add(row)
    await session.flush()
    session.add(
        Message(
            user_id=owner.id,
            campaign_id=row.id,
            source=MessageSource.bulk,
            recipient="+5511987654321",
            message_type=MessageType.text,
            body="Oi",
            status=MessageStatus.queued,
        )
    )
    await session.flush()
    return row.id


async def _opt_out(session: AsyncSession, owner: User) -> int:
    row = OptOut(user_id=owner.id, phone="+5511987654321", source=OptOutSource.manual)
    session.add(row)
    await session.flush()
    return row.id


async def _number_failure(session: AsyncSession, owner: User) -> int:
    row = NumberFailure(user_id=owner.id, phone="+5511987654321", reason="blocked")
    session.add(row)
    await session.flush()
    return row.id


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
    OwnedResource(
        "contact",
        _contact,
        [
            ("GET", "/api/v1/contacts/{id}", None),
            ("PATCH", "/api/v1/contacts/{id}", {"name": "Invasor"}),
            ("DELETE", "/api/v1/contacts/{id}", None),
        ],
        ["/api/v1/contacts"],
    ),
    OwnedResource(
        "contact_list",
        _contact_list,
        [
            ("GET", "/api/v1/lists/{id}", None),
            ("PATCH", "/api/v1/lists/{id}", {"description": "invadida"}),
            ("DELETE", "/api/v1/lists/{id}", None),
            ("GET", "/api/v1/contacts?list_id={id}", None),
            ("POST", "/api/v1/contacts/imports/text", {"text": "11987654321", "list_id": "{id}"}),
        ],
        ["/api/v1/lists"],
    ),
    OwnedResource(
        "session",
        _session,
        [
            ("GET", "/api/v1/sessions/{id}", None),
            ("PATCH", "/api/v1/sessions/{id}", {"hourly_cap": 5}),
            ("GET", "/api/v1/sessions/{id}/history", None),
            ("GET", "/api/v1/sessions/{id}/qr.png", None),
            ("GET", "/api/v1/sessions/{id}/qr.svg", None),
            ("POST", "/api/v1/sessions/{id}/restart", None),
            ("POST", "/api/v1/sessions/{id}/logout", None),
            ("POST", "/api/v1/simulator/sessions/{id}/scan", {}),
            ("POST", "/api/v1/messages", {"session_id": "{id}", "to": "11987654321", "text": "x"}),
            (
                "POST",
                "/api/v1/campaigns",
                {"name": "x", "session_ids": ["{id}"], "numbers": "11987654321", "text": "x"},
            ),
            ("POST", "/api/v1/campaigns/estimate", {"session_ids": ["{id}"], "recipients": 5}),
            ("DELETE", "/api/v1/sessions/{id}", None),
        ],
        ["/api/v1/sessions"],
    ),
    OwnedResource(
        "media",
        _media,
        [("GET", "/api/v1/media/{id}", None)],
    ),
    OwnedResource(
        "campaign",
        _campaign,
        [
            ("GET", "/api/v1/campaigns/{id}", None),
            ("POST", "/api/v1/campaigns/{id}/pause", None),
            ("POST", "/api/v1/campaigns/{id}/resume", None),
            ("POST", "/api/v1/campaigns/{id}/cancel", None),
        ],
        ["/api/v1/campaigns"],
    ),
    OwnedResource(
        "opt_out",
        _opt_out,
        [("GET", "/api/v1/opt-outs/{id}", None), ("DELETE", "/api/v1/opt-outs/{id}", None)],
        ["/api/v1/opt-outs"],
    ),
    OwnedResource(
        "number_failure",
        _number_failure,
        [("GET", "/api/v1/number-failures/{id}", None)],
        ["/api/v1/number-failures"],
    ),
    OwnedResource(
        "message", _message, [("GET", "/api/v1/messages/{id}", None)], ["/api/v1/messages"]
    ),
    OwnedResource(
        "contact_import",
        _contact_import,
        [
            ("GET", "/api/v1/contacts/imports/{id}", None),
            ("GET", "/api/v1/contacts/imports/{id}/report.csv", None),
        ],
        ["/api/v1/contacts/imports"],
    ),
]
