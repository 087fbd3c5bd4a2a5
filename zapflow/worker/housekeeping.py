"""Periodic clean-up of short-lived rows, so tables that grow with traffic stay small."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow.web.ratelimit import PURGE_OLD_WINDOWS

_PURGES = (
    PURGE_OLD_WINDOWS,
    text(
        "DELETE FROM login_attempts WHERE (locked_until IS NULL OR locked_until < now()) "
        "AND window_started_at < now() - interval '1 day'"
    ),
    text(
        "DELETE FROM auth_sessions WHERE expires_at < now() - interval '7 days' "
        "OR revoked_at < now() - interval '7 days'"
    ),
    text("DELETE FROM workers WHERE heartbeat_at < now() - interval '7 days'"),
)


async def purge_expired_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in _PURGES:
            await conn.execute(statement)
