from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def test_api_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/docs")).status_code == 200
    schema = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/auth/login" in schema["paths"]


async def test_the_dashboard_is_served_at_the_root_and_deep_links(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text('<div id="root"></div>')
    (built / "assets" / "app.js").write_text("console.log(1)")
    (built / "favicon.svg").write_text("<svg/>")
    app = create_app(settings.model_copy(update={"dashboard_dir": built}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for path in ("/", "/campanhas/3", "/sessoes"):
            page = await c.get(path)
            assert page.status_code == 200 and 'id="root"' in page.text
        assert (await c.get("/assets/app.js")).text == "console.log(1)"
        assert (await c.get("/favicon.svg")).text == "<svg/>"
        # never leaves dist (a bare "root" would also match /etc/passwd itself)
        assert 'id="root"' in (await c.get("/%2e%2e/%2e%2e/etc/passwd")).text
        missing = await c.get("/api/v1/nothing-here")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    bare = create_app(settings.model_copy(update={"dashboard_dir": tmp_path / "none"}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://t") as c:
        page = await c.get("/")
        assert page.status_code == 503 and "make run" in page.text
