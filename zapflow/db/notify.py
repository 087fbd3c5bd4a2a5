"""LISTEN/NOTIFY: wake a worker at once when something it cares about changes.

`notify()` runs inside the caller's transaction, so the message is delivered on commit and
never for work that rolled back. `Listener` keeps one dedicated connection, re-LISTENs after a
reconnect, and calls `on_wake` for every message (and once after each reconnect, since
messages sent while it was away are lost: the caller then re-checks by query).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.logging import get_logger

log = get_logger(__name__)
SESSIONS_CHANNEL = "zapflow_sessions"
OUTBOX_CHANNEL = "zapflow_outbox"  # payload: the session id whose queue changed


async def notify(db: AsyncSession, channel: str, payload: str = "") -> None:
    await db.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )


class Listener:
    def __init__(
        self, libpq_url: str, channels: list[str], on_wake: Callable[[str, str], None]
    ) -> None:
        self.url = libpq_url
        self.channels = channels
        self.on_wake = on_wake

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._listen(stop)
                backoff = 0.5
            except (psycopg.Error, OSError) as exc:
                log.warning("listener_disconnected", error=type(exc).__name__, retry_in=backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 10)

    async def _listen(self, stop: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=10
        ) as conn:
            for channel in self.channels:
                await conn.execute(f'LISTEN "{channel}"')
            for channel in self.channels:
                self.on_wake(channel, "")  # we may have missed messages while away
            notifies = conn.notifies()
            stopper = asyncio.create_task(stop.wait())
            try:
                while not stop.is_set():
                    nxt = asyncio.create_task(anext(notifies))
                    done, _ = await asyncio.wait(
                        {nxt, stopper}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if nxt not in done:
                        nxt.cancel()
                        return
                    message = nxt.result()
                    self.on_wake(message.channel, message.payload)
            finally:
                stopper.cancel()
