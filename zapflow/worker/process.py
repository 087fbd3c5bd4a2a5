"""The long-running worker: a stop event, supervised side tasks, a heartbeat row, and a
bounded grace period on shutdown. Later issues add WhatsApp leases and the dispatcher here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow import __version__
from zapflow.config import Settings
from zapflow.db.engine import create_sessionmaker
from zapflow.db.notify import OUTBOX_CHANNEL, SESSIONS_CHANNEL, Listener
from zapflow.logging import get_logger
from zapflow.models import Engine
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.baileys import Gateway
from zapflow.whatsapp.engines import driver_for
from zapflow.whatsapp.protocol import WhatsAppDriver
from zapflow.worker.housekeeping import purge_expired_rows
from zapflow.worker.session_host import SessionHost

log = get_logger(__name__)

HOUSEKEEPING_INTERVAL_SECONDS = 60.0
MAX_RESTART_BACKOFF_SECONDS = 30.0

_UPSERT_HEARTBEAT = text(
    """
    INSERT INTO workers (id, hostname, pid, version, started_at, heartbeat_at)
    VALUES (:id, :hostname, :pid, :version, now(), now())
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL
    """
)
_MARK_STOPPED = text("UPDATE workers SET stopped_at = now(), heartbeat_at = now() WHERE id = :id")


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class Worker:
    settings: Settings
    engine: AsyncEngine
    database_url: str | None = None  # libpq form, for LISTEN; None: no wake-ups, polling only
    worker_id: str = field(default_factory=new_worker_id)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    sessions: SessionHost | None = None
    gateway: Gateway | None = None

    def _session_host(self) -> SessionHost:
        sessionmaker = create_sessionmaker(self.engine)
        store = AuthStore(sessionmaker, self.settings.keyring())

        def make_driver(engine: Engine, session_id: int) -> WhatsAppDriver:
            if engine is Engine.baileys and self.gateway is None:
                self.gateway = Gateway(
                    store,
                    node=self.settings.node_binary,
                    backoff_ms=(
                        self.settings.gateway_backoff_initial_ms,
                        self.settings.gateway_backoff_max_ms,
                    ),
                )
            return driver_for(engine, self.settings, session_id, store, gateway=self.gateway)

        return SessionHost(
            self.settings, self.engine, sessionmaker, self.worker_id, make_driver, store
        )

    async def run(self) -> None:
        """Run until `stop` is set, then give side tasks the grace period and cancel the rest."""
        log.info("worker_started", worker_id=self.worker_id)
        self.sessions = self._session_host()
        tasks = [
            asyncio.create_task(self._supervise("heartbeat", self._heartbeat_loop)),
            asyncio.create_task(self._supervise("housekeeping", self._housekeeping_loop)),
            asyncio.create_task(self._supervise("sessions", self._sessions_loop)),
        ]
        if self.database_url:
            channels = [SESSIONS_CHANNEL, OUTBOX_CHANNEL]
            listener = Listener(self.database_url, channels, self._on_notify)
            tasks.append(
                asyncio.create_task(self._supervise("listener", lambda: listener.run(self.stop)))
            )
        await self.stop.wait()
        log.info("worker_stopping", worker_id=self.worker_id)
        _done, pending = await asyncio.wait(
            tasks, timeout=self.settings.worker_shutdown_grace_seconds
        )
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._mark_stopped()
        log.info("worker_stopped", worker_id=self.worker_id)

    async def _sessions_loop(self) -> None:
        assert self.sessions is not None
        try:
            await self.sessions.run(self.stop)
        finally:
            if self.gateway is not None:
                await self.gateway.stop()

    def _on_notify(self, channel: str, payload: str) -> None:
        if self.sessions is None:
            return
        if channel == SESSIONS_CHANNEL:
            self.sessions.wake.set()
        elif channel == OUTBOX_CHANNEL:
            self.sessions.wake_dispatcher(payload)

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.stop.is_set():
            log.warning("worker_forced_exit", signal=sig.name)
            os._exit(1)  # a second signal means "now", as operators expect
        log.info("worker_signal", signal=sig.name)
        self.stop.set()

    async def _supervise(self, name: str, loop_fn: Callable[[], Awaitable[None]]) -> None:
        """Keep a side task alive: if it crashes, log and restart it with backoff."""
        backoff = 1.0
        while not self.stop.is_set():
            try:
                await loop_fn()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("side_task_crashed", task=name, restart_in=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_RESTART_BACKOFF_SECONDS)

    async def _heartbeat_loop(self) -> None:
        interval = self.settings.worker_heartbeat_seconds
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self._beat(), timeout=interval * 2)
            except (TimeoutError, OSError, Exception) as exc:  # the database may be down: retry
                log.warning("heartbeat_failed", error=type(exc).__name__)
            await self._sleep(interval)

    async def _beat(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                _UPSERT_HEARTBEAT,
                {
                    "id": self.worker_id,
                    "hostname": socket.gethostname()[:255],
                    "pid": os.getpid(),
                    "version": __version__,
                },
            )

    async def _housekeeping_loop(self) -> None:
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(purge_expired_rows(self.engine), timeout=60)
            except Exception as exc:
                log.warning("housekeeping_failed", error=type(exc).__name__)
            await self._sleep(HOUSEKEEPING_INTERVAL_SECONDS)

    async def _mark_stopped(self) -> None:
        try:
            async with asyncio.timeout(5):
                async with self.engine.begin() as conn:
                    await conn.execute(_MARK_STOPPED, {"id": self.worker_id})
        except Exception as exc:
            log.warning("mark_stopped_failed", error=type(exc).__name__)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the worker is asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
