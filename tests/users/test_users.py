from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import DEFAULT_PASSWORD, bearer, create_api_key, create_user, login
from zapflow.models import AuditLog, Role, User

USERS = "/api/v1/users"


async def admin_headers(db: AsyncSession) -> tuple[User, dict[str, str]]:
    admin = await create_user(db, role=Role.admin)
    _key, plaintext = await create_api_key(db, admin)
    return admin, bearer(plaintext)


async def count_users(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count(User.id)))).scalar_one())


async def test_admin_creates_a_user_who_can_log_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _admin, headers = await admin_headers(db)
    body = {
        "email": "Maria@Igreja.org.br",
        "name": "Maria",
        "password": "uma-senha-boa",
        "role": "operator",
    }
    created = await client.post(USERS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "Maria@igreja.org.br"
    login = await client.post(
        "/api/v1/auth/login", json={"email": "maria@igreja.org.br", "password": "uma-senha-boa"}
    )
    assert login.status_code == 200


async def test_duplicate_email_is_409_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _admin, headers = await admin_headers(db)
    existing = await create_user(db, email="joao@escola.com.br")
    before = await count_users(db)
    body = {"email": "JOAO@escola.com.br", "name": "Outro João", "password": "uma-senha-boa"}
    response = await client.post(USERS, json=body, headers=headers)
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "detail": "Já existe um usuário com o e-mail JOAO@escola.com.br.",
    }
    assert await count_users(db) == before
    await db.refresh(existing)
    assert existing.name == "Usuária de Teste"


async def test_bad_json_is_400(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _admin, headers = await admin_headers(db)
    response = await client.post(
        USERS, content=b'{"email": ', headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


async def test_unknown_fields_and_wrong_types_are_422_naming_each_field(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _admin, headers = await admin_headers(db)
    before = await count_users(db)
    body = {"email": "novo@example.com", "name": 42, "password": "uma-senha-boa", "papel": "admin"}
    response = await client.post(USERS, json=body, headers=headers)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "validation_error"
    fields = {f["field"]: f["problem"] for f in payload["fields"]}
    assert fields == {"name": "deve ser um texto", "papel": "campo desconhecido"}
    assert "campo 'papel'" in payload["detail"]
    assert await count_users(db) == before


async def test_short_password_and_bad_email_are_explained(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _admin, headers = await admin_headers(db)
    body = {"email": "sem-arroba", "name": "X", "password": "curta"}
    response = await client.post(USERS, json=body, headers=headers)
    fields = {f["field"]: f["problem"] for f in response.json()["fields"]}
    assert fields["password"] == "muito curto (mínimo 10)"
    assert "e-mail inválido" in fields["email"]


async def test_unknown_role_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _admin, headers = await admin_headers(db)
    body = {"email": "a@example.com", "name": "A", "password": "uma-senha-boa", "role": "root"}
    response = await client.post(USERS, json=body, headers=headers)
    assert response.status_code == 422
    assert "admin" in response.json()["fields"][0]["problem"]


async def test_admin_disables_a_user_and_their_sessions_end(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _admin, headers = await admin_headers(db)
    user = await create_user(db)
    await login(client, user)
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    response = await client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=headers)
    assert response.status_code == 200 and response.json()["is_active"] is False
    client.headers.pop("Authorization", None)
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    audit = (
        await db.execute(
            select(AuditLog).where(
                AuditLog.action == "user.updated", AuditLog.target_id == str(user.id)
            )
        )
    ).scalar_one()
    assert audit.details["fields"] == ["is_active"]


async def test_admin_cannot_demote_themselves(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin, headers = await admin_headers(db)
    response = await client.patch(f"{USERS}/{admin.id}", json={"role": "operator"}, headers=headers)
    assert response.status_code == 422
    await db.refresh(admin)
    assert admin.role is Role.admin


async def test_unknown_user_is_404(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _admin, headers = await admin_headers(db)
    response = await client.get(f"{USERS}/999999999", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Usuário não encontrado."}


async def test_password_change_needs_the_current_password_and_ends_other_sessions(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    csrf = await login(client, user)
    wrong = await client.post(
        "/api/v1/auth/me/password",
        json={"current_password": "não-é-esta", "new_password": "nova-senha-forte"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 422
    right = await client.post(
        "/api/v1/auth/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "nova-senha-forte"},
        headers={"X-CSRF-Token": csrf},
    )
    assert right.status_code == 204
    assert (await client.get("/api/v1/auth/me")).status_code == 200  # this session stays
    old = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 401


async def test_profile_update_checks_the_time_zone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    bad = await client.patch(
        "/api/v1/auth/me", json={"timezone": "Brasil/Lua"}, headers=bearer(plaintext)
    )
    assert bad.status_code == 422
    good = await client.patch(
        "/api/v1/auth/me",
        json={"timezone": "America/Manaus", "locale": "en"},
        headers=bearer(plaintext),
    )
    assert good.json()["timezone"] == "America/Manaus" and good.json()["locale"] == "en"
