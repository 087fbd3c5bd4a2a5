from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user, login
from zapflow.models import AuditLog, Role


async def actions_for(db: AsyncSession, user_id: int | None = None) -> list[str]:
    stmt = select(AuditLog.action).order_by(AuditLog.id)
    if user_id is not None:
        stmt = stmt.where(AuditLog.actor_user_id == user_id)
    return list((await db.execute(stmt)).scalars())


async def test_logins_failures_and_key_lifecycle_are_audited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    await client.post("/api/v1/auth/login", json={"email": user.email, "password": "senha-errada!"})
    csrf = await login(client, user)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "n8n"}, headers={"X-CSRF-Token": csrf}
    )
    await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers={"X-CSRF-Token": csrf})
    await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert await actions_for(db, user.id) == [
        "auth.login_failed",
        "auth.login",
        "api_key.created",
        "api_key.revoked",
        "auth.logout",
    ]
    entry = (
        await db.execute(
            select(AuditLog).where(
                AuditLog.action == "auth.login", AuditLog.actor_user_id == user.id
            )
        )
    ).scalar_one()
    assert entry.ip and entry.request_id


async def test_failed_login_for_unknown_email_is_audited_without_a_user(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await client.post(
        "/api/v1/auth/login", json={"email": "fantasma@example.com", "password": "qualquer-uma"}
    )
    entry = (
        (
            await db.execute(
                select(AuditLog)
                .where(AuditLog.action == "auth.login_failed")
                .order_by(AuditLog.id.desc())
            )
        )
        .scalars()
        .first()
    )
    assert entry is not None and entry.actor_user_id is None
    assert entry.details["email"] == "fantasma@example.com"
    assert "password" not in entry.details


async def test_admin_actions_are_audited_with_the_admin_as_actor(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await create_user(db, role=Role.admin)
    _key, plaintext = await create_api_key(db, admin)
    response = await client.post(
        "/api/v1/users",
        json={"email": "nova@example.com", "name": "Nova", "password": "uma-senha-boa"},
        headers=bearer(plaintext),
    )
    entry = (
        await db.execute(
            select(AuditLog).where(
                AuditLog.action == "user.created", AuditLog.target_id == str(response.json()["id"])
            )
        )
    ).scalar_one()
    assert entry.actor_user_id == admin.id
    assert entry.actor_api_key_id == _key.id


async def test_operators_read_only_their_own_trail(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    alice, bob = await create_user(db), await create_user(db)
    _k, alice_key = await create_api_key(db, alice)
    await client.post("/api/v1/api-keys", json={"name": "a"}, headers=bearer(alice_key))
    _k, bob_key = await create_api_key(db, bob)
    await client.post("/api/v1/api-keys", json={"name": "b"}, headers=bearer(bob_key))
    entries = (await client.get("/api/v1/audit", headers=bearer(alice_key))).json()
    assert entries and {e["actor_user_id"] for e in entries} == {alice.id}


async def test_audit_listing_pages_by_keyset(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await create_user(db, role=Role.admin)
    _k, key = await create_api_key(db, admin)
    for name in ("a", "b", "c"):
        await client.post("/api/v1/api-keys", json={"name": name}, headers=bearer(key))
    first = (await client.get("/api/v1/audit?limit=2", headers=bearer(key))).json()
    second = (
        await client.get(f"/api/v1/audit?limit=2&before_id={first[-1]['id']}", headers=bearer(key))
    ).json()
    assert len(first) == 2 and second and second[0]["id"] < first[-1]["id"]
