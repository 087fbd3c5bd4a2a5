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
    # A safety net: a running campaign with nothing left to send is complete (the dispatcher
    # and crash recovery complete campaigns as they go; this catches any path they miss).
    text(
        "UPDATE campaigns c SET status = 'completed', finished_at = now(), updated_at = now() "
        "WHERE c.status = 'running' AND c.updated_at < now() - interval '1 minute' "
        "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = c.id "
        "AND m.status IN ('queued', 'scheduled', 'sending'))"
    ),
)


async def purge_expired_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in _PURGES:
            await conn.execute(statement)
