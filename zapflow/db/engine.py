"""Engines and sessions. One AsyncSession per request or per job; commit happens in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from zapflow.config import Settings
from zapflow.db.embedded import start_embedded_postgres


def resolve_database_url(settings: Settings) -> str:
    """The libpq URL to use: DATABASE_URL, or the embedded server's."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir / "pgdata")


def sqlalchemy_url(libpq_url: str) -> str:
    """`postgresql://...` as SQLAlchemy's psycopg 3 dialect wants it."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if libpq_url.startswith(prefix):
            return "postgresql+psycopg://" + libpq_url[len(prefix) :]
    raise ValueError("not a PostgreSQL URL")


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_engine(libpq: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(libpq),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 10, "application_name": "zapflow"},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work commits when the block ends and rolls back if it raises."""
    async with sessionmaker() as session, session.begin():
        yield session
