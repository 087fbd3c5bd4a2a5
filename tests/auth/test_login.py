from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import DEFAULT_PASSWORD, create_user, login
from zapflow.auth.dependencies import CSRF_COOKIE, SESSION_COOKIE
from zapflow.auth.secrets import sha256_hex
from zapflow.config import Settings
from zapflow.models import AuthSession

LOGIN = "/api/v1/auth/login"


async def test_login_sets_httponly_session_cookie_and_returns_csrf(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    response = await client.post(
        LOGIN, json={"email": user.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == user.email
    assert "password_hash" not in body["user"]
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()
    csrf_cookie = next(c for c in cookies if c.startswith(f"{CSRF_COOKIE}="))
    assert "httponly" not in csrf_cookie.lower()
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["id"] == user.id


async def test_session_token_is_stored_only_as_a_hash(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    await login(client, user)
    token = client.cookies[SESSION_COOKIE]
    stored = (
        await db.execute(select(AuthSession).where(AuthSession.user_id == user.id))
    ).scalar_one()
    assert stored.token_hash == sha256_hex(token)
    assert token not in stored.token_hash


async def test_secure_cookie_flag_follows_settings(
    db: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    settings.cookie_secure = True
    user = await create_user(db)
    response = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert all("secure" in c.lower() for c in response.headers.get_list("set-cookie"))


async def test_wrong_password_is_401_with_the_error_shape(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    response = await client.post(LOGIN, json={"email": user.email, "password": "errada-demais"})
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_credentials",
        "detail": "E-mail ou senha incorretos.",
    }
    assert SESSION_COOKIE not in response.cookies


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        LOGIN, json={"email": "ninguem@example.com", "password": "qualquer-coisa"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


async def test_error_messages_follow_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        LOGIN,
        json={"email": "ninguem@example.com", "password": "x"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert response.json()["detail"] == "Wrong e-mail or password."


async def test_disabled_user_cannot_log_in(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db, is_active=False)
    response = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


async def test_lockout_after_repeated_failures_even_with_the_right_password(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    user = await create_user(db)
    for _ in range(settings.login_max_failures):
        response = await client.post(LOGIN, json={"email": user.email, "password": "errada-demais"})
        assert response.status_code == 401
    locked = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["error"] == "locked"
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= settings.login_lockout_seconds + 1


async def test_failures_below_the_limit_do_not_lock(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    user = await create_user(db)
    for _ in range(settings.login_max_failures - 1):
        await client.post(LOGIN, json={"email": user.email, "password": "errada-demais"})
    response = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


async def test_logout_ends_the_session_server_side(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    csrf = await login(client, user)
    token = client.cookies[SESSION_COOKIE]
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    # Even a client that kept the old cookie is now refused.
    client.cookies.set(SESSION_COOKIE, token)
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_cookie_writes_need_the_csrf_header(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    csrf = await login(client, user)
    missing = await client.post("/api/v1/api-keys", json={"name": "x"})
    assert missing.status_code == 403 and missing.json()["error"] == "forbidden"
    wrong = await client.post(
        "/api/v1/api-keys", json={"name": "x"}, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status_code == 403
    right = await client.post(
        "/api/v1/api-keys", json={"name": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert right.status_code == 201


async def test_expired_session_is_401(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db)
    await login(client, user)
    session_row = (
        await db.execute(select(AuthSession).where(AuthSession.user_id == user.id))
    ).scalar_one()
    from datetime import UTC, datetime, timedelta

    session_row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.flush()
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
