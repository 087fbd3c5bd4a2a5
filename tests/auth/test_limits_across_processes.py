"""Lockout and rate limits live in PostgreSQL, so several API processes share them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from zapflow.api import create_app
from zapflow.auth.secrets import hash_password, new_api_key
from zapflow.db.engine import create_engine, create_sessionmaker, transaction
from zapflow.models import ApiKey, User


async def make_user_with_key(url: str) -> tuple[str, str]:
    engine = create_engine(url, pool_size=1)
    new = new_api_key()
    async with transaction(create_sessionmaker(engine)) as session:
        user = User(
            email="ana@example.com", name="Ana", password_hash=hash_password("senha-certa-123")
        )
        session.add(user)
        await session.flush()
        session.add(ApiKey(user_id=user.id, name="k", prefix=new.prefix, key_hash=new.key_hash))
    await engine.dispose()
    return user.email, new.plaintext


@pytest.fixture
async def two_api_processes(committed_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two independent app instances, each with its own engine, on one committed database."""
    clients, engines = [], []
    for limits in ({}, {}):
        settings = make_settings(
            committed_url,
            tmp_path,
            api_ip_rate_limit_per_minute=5,
            api_rate_limit_per_minute=4,
            **limits,
        )
        engine = create_engine(committed_url, pool_size=2)
        engines.append(engine)
        transport = httpx.ASGITransport(app=create_app(settings, engine), client=("10.9.9.9", 1))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://t"))
    yield clients
    for client in clients:
        await client.aclose()
    for engine in engines:
        await engine.dispose()


async def test_lockout_counts_failures_across_api_processes(
    two_api_processes: list[httpx.AsyncClient], committed_url: str
) -> None:
    email, _key = await make_user_with_key(committed_url)
    first, second = two_api_processes
    for attempt in range(5):  # login_max_failures, split across both processes
        client = first if attempt % 2 == 0 else second
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "errada-1234"}
        )
        assert response.status_code == 401
    for client in (first, second):
        locked = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "senha-certa-123"}
        )
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0


async def test_ip_rate_limit_is_shared_and_answers_429_with_retry_after(
    two_api_processes: list[httpx.AsyncClient],
) -> None:
    first, second = two_api_processes
    statuses = [
        (await (first if i % 2 else second).get("/api/v1/auth/me")).status_code for i in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    limited = await first.get("/api/v1/auth/me")
    assert limited.json()["error"] == "too_many_requests"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


async def test_key_rate_limit_applies_per_key(committed_url: str, tmp_path: Path) -> None:
    _email, key = await make_user_with_key(committed_url)
    settings = make_settings(committed_url, tmp_path, api_rate_limit_per_minute=3)
    engine = create_engine(committed_url, pool_size=2)
    try:
        statuses = []
        for i in range(5):  # a different IP each time: only the key's budget can run out
            transport = httpx.ASGITransport(
                app=create_app(settings, engine), client=(f"10.8.8.{i + 1}", 1)
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                statuses.append(
                    (
                        await http.get(
                            "/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}
                        )
                    ).status_code
                )
        assert statuses == [200, 200, 200, 429, 429]
    finally:
        await engine.dispose()
