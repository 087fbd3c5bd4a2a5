"""Typed helpers to make users and credentials in tests."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.secrets import hash_password, new_api_key
from zapflow.models import ApiKey, Role, User

DEFAULT_PASSWORD = "senha-forte-123"


async def create_user(
    session: AsyncSession,
    *,
    role: Role = Role.operator,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    is_active: bool = True,
) -> User:
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:8]}@example.com.br",
        name="Usuária de Teste",
        password_hash=hash_password(password),
        role=role,
        is_active=is_active,
    )
    session.add(user)
    await session.flush()
    return user


async def create_api_key(
    session: AsyncSession, user: User, name: str = "teste"
) -> tuple[ApiKey, str]:
    new = new_api_key()
    key = ApiKey(user_id=user.id, name=name, prefix=new.prefix, key_hash=new.key_hash)
    session.add(key)
    await session.flush()
    return key, new.plaintext


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


async def login(client: httpx.AsyncClient, user: User, password: str = DEFAULT_PASSWORD) -> str:
    """Log `client` in as `user` (cookie stored on the client); returns the CSRF token."""
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf
