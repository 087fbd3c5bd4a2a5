"""Request-scoped dependencies: the database session (committed in exactly one place),
settings, the caller's IP and language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.config import Settings
from zapflow.kit.i18n import pick_locale


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit if the endpoint returned, roll back if it raised.

    Services and repositories only flush; this is the one place that commits.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def request_id(request: Request) -> str | None:
    value: str | None = getattr(request.state, "request_id", None)
    return value


def request_locale(request: Request) -> str:
    return pick_locale(request.headers.get("accept-language"))


DbSession = Annotated[AsyncSession, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
