from __future__ import annotations

import httpx
from sqlalchemy import text

from zapflow.api import create_app
from zapflow.config import Settings
from zapflow.db.engine import create_engine


async def test_healthz_answers_without_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_migrations_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migrations"] == "head"


async def _readyz(settings: Settings, url: str) -> httpx.Response:
    engine = create_engine(url, pool_size=1)
    app = create_app(settings, engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            return await http.get("/readyz")
    finally:
        await engine.dispose()


async def test_readyz_is_503_when_migrations_are_behind(
    settings: Settings, committed_url: str
) -> None:
    engine = create_engine(committed_url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    await engine.dispose()
    response = await _readyz(settings, committed_url)
    assert response.status_code == 503
    assert response.json()["migrations"] == "behind"


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    response = await _readyz(settings, "postgresql://nobody@127.0.0.1:1/none")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_api_docs_and_login_page_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/docs")).status_code == 200
    schema = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/auth/login" in schema["paths"]
    page = await client.get("/")
    assert page.status_code == 200 and "Entrar" in page.text
