from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user, login
from zapflow.auth.secrets import sha256_hex
from zapflow.models import ApiKey


async def test_created_key_is_shown_once_and_stored_hashed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    csrf = await login(client, user)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "integração"}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201
    plaintext = created.json()["key"]
    assert plaintext.startswith("zfk_")
    row = (await db.execute(select(ApiKey).where(ApiKey.id == created.json()["id"]))).scalar_one()
    assert row.key_hash == sha256_hex(plaintext)
    # The key appears nowhere in the database.
    dump = (
        (await db.execute(text("SELECT row_to_json(api_keys)::text FROM api_keys"))).scalars().all()
    )
    assert not any(plaintext in line for line in dump)
    listed = await client.get("/api/v1/api-keys")
    assert [k["id"] for k in listed.json()] == [row.id]
    assert "key" not in listed.json()[0]
    single = await client.get(f"/api/v1/api-keys/{row.id}")
    assert "key" not in single.json()


async def test_key_authenticates_by_bearer_and_x_api_key_and_records_last_use(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    key, plaintext = await create_api_key(db, user)
    assert key.last_used_at is None
    response = await client.get("/api/v1/auth/me", headers=bearer(plaintext))
    assert response.status_code == 200 and response.json()["id"] == user.id
    response = await client.get("/api/v1/auth/me", headers={"X-API-Key": plaintext})
    assert response.status_code == 200
    await db.refresh(key)
    assert key.last_used_at is not None


async def test_api_key_writes_need_no_csrf(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    response = await client.post(
        "/api/v1/api-keys", json={"name": "outra"}, headers=bearer(plaintext)
    )
    assert response.status_code == 201


async def test_revoked_key_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db)
    key, plaintext = await create_api_key(db, user)
    revoked = await client.delete(f"/api/v1/api-keys/{key.id}", headers=bearer(plaintext))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = await client.get("/api/v1/auth/me", headers=bearer(plaintext))
    assert again.status_code == 401
    assert again.json()["error"] == "unauthorized"


async def test_wrong_key_is_401_even_with_a_valid_cookie(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    await login(client, user)
    response = await client.get("/api/v1/auth/me", headers=bearer("zfk_deadbeef_not-a-real-key"))
    assert response.status_code == 401


async def test_expiring_key_carries_its_expiry(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    response = await client.post(
        "/api/v1/api-keys",
        json={"name": "temporária", "expires_in_days": 30},
        headers=bearer(plaintext),
    )
    assert response.json()["expires_at"] is not None


async def test_expired_key_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    from datetime import UTC, datetime, timedelta

    user = await create_user(db)
    key, plaintext = await create_api_key(db, user)
    key.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    await db.flush()
    assert (await client.get("/api/v1/auth/me", headers=bearer(plaintext))).status_code == 401


async def test_key_of_a_disabled_user_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    user.is_active = False
    await db.flush()
    assert (await client.get("/api/v1/auth/me", headers=bearer(plaintext))).status_code == 401
