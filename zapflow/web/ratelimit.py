"""API rate limiting per client IP and per credential, counted in PostgreSQL so that every
API process shares one budget. Fixed one-minute windows; answers 429 with Retry-After."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow.errors import TooManyRequests
from zapflow.web.deps import client_ip

WINDOW_SECONDS = 60

_HIT = text(
    """
    INSERT INTO rate_limit_buckets (key, window_start, hits)
    VALUES (:key, date_trunc('minute', now()), 1)
    ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_buckets.hits + 1
    RETURNING hits, ceil(extract(epoch FROM window_start + interval '1 minute' - now()))::int
    """
)


async def hit(engine: AsyncEngine, key: str, limit: int) -> None:
    """Count one request against `key`; raise 429 once `limit` is passed in this window.

    Counted on its own autocommitted connection: a request that fails still counts.
    """
    async with engine.connect() as raw:
        conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
        hits, seconds_left = (await conn.execute(_HIT, {"key": key})).one()
    if hits > limit:
        raise TooManyRequests("rate_limit.exceeded", retry_after=max(1, int(seconds_left)))


async def limit_by_ip(request: Request) -> None:
    """Router dependency: every /api/v1 request counts against its client IP."""
    settings = request.app.state.settings
    await hit(
        request.app.state.engine, f"ip:{client_ip(request)}", settings.api_ip_rate_limit_per_minute
    )


async def limit_by_credential(request: Request, credential: str) -> None:
    settings = request.app.state.settings
    await hit(request.app.state.engine, credential, settings.api_rate_limit_per_minute)


PURGE_OLD_WINDOWS = text(
    "DELETE FROM rate_limit_buckets WHERE window_start < now() - interval '5 minutes'"
)
