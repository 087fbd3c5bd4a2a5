from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow.db.engine import create_engine
from zapflow.worker.housekeeping import purge_expired_rows


async def test_purge_removes_only_expired_rows(committed_url: str) -> None:
    engine: AsyncEngine = create_engine(committed_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO rate_limit_buckets (key, window_start, hits) VALUES "
                    "('ip:old', now() - interval '1 hour', 5), ('ip:new', date_trunc('minute', now()), 5)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO login_attempts (key, failures, window_started_at, locked_until) VALUES "
                    "('email:old', 3, now() - interval '2 days', NULL), "
                    "('email:locked', 9, now() - interval '2 days', now() + interval '1 hour'), "
                    "('email:recent', 1, now(), NULL)"
                )
            )
        await purge_expired_rows(engine)
        async with engine.connect() as conn:
            buckets = (
                (await conn.execute(text("SELECT key FROM rate_limit_buckets"))).scalars().all()
            )
            attempts = sorted(
                (await conn.execute(text("SELECT key FROM login_attempts"))).scalars().all()
            )
        assert buckets == ["ip:new"]
        assert attempts == ["email:locked", "email:recent"]
    finally:
        await engine.dispose()
