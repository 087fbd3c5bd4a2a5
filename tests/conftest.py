"""Test fixtures on a real PostgreSQL: TEST_DATABASE_URL when set, otherwise embedded pgserver.

Migrations build a template database once per run. Most tests share one copy of it and are
isolated by an outer transaction rolled back at the end (`db`). Tests whose code must really
commit (several processes, workers, lockout across API instances) get a fresh copy each
(`committed_url`).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from zapflow.api import create_app
from zapflow.config import Environment, Settings
from zapflow.db.embedded import start_embedded_postgres
from zapflow.db.engine import create_engine
from zapflow.db.migrate import upgrade_to_head
from zapflow.logging import configure_logging
from zapflow.web.deps import get_db

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def database_url(server_url: str, name: str) -> str:
    """The same server, another database."""
    head, _, query = server_url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def admin_execute(server_url: str, sql: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def json_logging(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Log as production does (JSON lines), so tests see what operators will see."""
    configure_logging(make_settings("postgresql://unused/none", tmp_path_factory.mktemp("log")))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql+psycopg://", "postgresql://")
    return start_embedded_postgres(tmp_path_factory.mktemp("pg") / "pgdata", database="postgres")


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    """A migrated database used only as a template: nothing stays connected to it."""
    name = f"zapflow_tpl_{uuid.uuid4().hex[:10]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    url = database_url(server_url, name)
    upgrade_to_head(url)
    yield url
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(server_url: str, template_url: str) -> str:
    template = template_url.split("?", maxsplit=1)[0].rsplit("/", 1)[1]
    name = f"zapflow_t_{uuid.uuid4().hex[:12]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    name = url.split("?", maxsplit=1)[0].rsplit("/", 1)[1]
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_url(server_url: str, template_url: str) -> Iterator[str]:
    url = copy_database(server_url, template_url)
    yield url
    drop_database(server_url, url)


@pytest.fixture
def committed_url(server_url: str, template_url: str) -> Iterator[str]:
    """A database of this test's own, where commits are real."""
    url = copy_database(server_url, template_url)
    yield url
    drop_database(server_url, url)


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.test,
        "DATABASE_URL": url,
        "secret_key": TEST_SECRET,
        "data_dir": data_dir,
        "cookie_secure": False,
        "log_format": "json",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.fixture
def settings(shared_url: str, tmp_path: Path) -> Settings:
    return make_settings(shared_url, tmp_path)


@pytest.fixture(scope="session")
async def engine(shared_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(shared_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


def random_ip() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, db: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, whose requests share the test's rolled-back transaction."""
    app = create_app(settings, engine)

    async def test_db() -> AsyncIterator[AsyncSession]:
        yield db
        await db.flush()

    app.dependency_overrides[get_db] = test_db
    transport = httpx.ASGITransport(app=app, client=(random_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
