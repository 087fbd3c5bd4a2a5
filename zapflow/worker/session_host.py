"""The sessions a worker runs: leased in PostgreSQL, renewed by heartbeat, fenced locally.

- A worker takes a lease (owner, expiry) on each session it runs and starts only those.
- It renews every `lease_renew_seconds`. A session whose lease it lost (deleted, stopped, or
  taken after an expiry) is stopped at once.
- Fencing: if renewals fail, it stops every socket once `lease_ttl - lease_renew` seconds have
  passed since the last renewal that succeeded (measured from when that renewal was *sent*),
  which is before the lease can expire in the database. Two workers therefore never run the
  same session, even when one of them loses its database connection.
- A dead worker's leases expire; another worker then takes the sessions over.
- Commands from the API (restart, logout, pairing code, simulator faults) are rows in
  `session_commands`, taken by the worker that holds the session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from zapflow.config import Settings
from zapflow.db.engine import transaction
from zapflow.logging import get_logger
from zapflow.models import Engine
from zapflow.sessions.auth_store import AuthStore
from zapflow.sessions.runner import SessionRunner
from zapflow.whatsapp.engines import EngineUnavailable
from zapflow.whatsapp.protocol import WhatsAppDriver
from zapflow.worker import outbox
from zapflow.worker.dispatcher import Dispatcher

log = get_logger(__name__)

DriverFactory = Callable[[Engine, int], WhatsAppDriver]
COMMAND_POLL_SECONDS = 0.5

_RENEW = text(
    """UPDATE whatsapp_sessions SET lease_expires_at = now() + :ttl
    WHERE lease_owner = :me AND id = ANY(:ids) AND desired_state = 'running' RETURNING id"""
)
_ACQUIRE = text(
    """UPDATE whatsapp_sessions SET lease_owner = :me, lease_expires_at = now() + :ttl
    WHERE id IN (
      SELECT id FROM whatsapp_sessions
      WHERE desired_state = 'running' AND (lease_owner IS NULL OR lease_expires_at < now())
      ORDER BY id LIMIT :room FOR UPDATE SKIP LOCKED)
    RETURNING id, engine, hourly_cap, daily_cap"""
)
_RELEASE = text(
    "UPDATE whatsapp_sessions SET lease_owner = NULL, lease_expires_at = NULL "
    "WHERE lease_owner = :me AND id = ANY(:ids)"
)
_MARK_STOPPED = text(
    """UPDATE whatsapp_sessions SET status = 'disconnected', status_reason = :reason, qr_code = NULL
    WHERE id = :id AND (lease_owner = :me OR lease_owner IS NULL)
      AND status NOT IN ('logged_out', 'banned')"""
)
_TAKE_COMMANDS = text(
    """SELECT id, session_id, kind, payload FROM session_commands
    WHERE done_at IS NULL AND session_id = ANY(:ids) ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED"""
)
_FINISH_COMMAND = text("UPDATE session_commands SET done_at = now(), error = :error WHERE id = :id")


@dataclass
class SessionHost:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    worker_id: str
    make_driver: DriverFactory
    store: AuthStore
    runners: dict[int, SessionRunner] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    valid_until: float = 0.0  # monotonic deadline after which we may no longer hold leases

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_ttl_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Lease, renew, fence and take commands until `stop`; then release every lease."""
        watchdog = asyncio.create_task(self._fence(stop))
        commands = asyncio.create_task(self._command_loop(stop))
        try:
            while not stop.is_set():
                await self._cycle()
                self.wake.clear()
                await _wait_any(stop, self.wake, self.settings.lease_renew_seconds)
        finally:
            watchdog.cancel()
            commands.cancel()
            await self._shutdown()

    async def _cycle(self) -> None:
        """Renew and acquire under a timeout (database work only); then start what we got,
        outside it: starting a socket (and the Baileys gateway) may take longer."""
        sent_at = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.lease_renew_seconds):
                kept = await self._renew()
                self.valid_until = (
                    sent_at + self.settings.lease_ttl_seconds - self.settings.lease_renew_seconds
                )
                acquired = await self._acquire()
        except Exception as exc:  # the database may be unreachable: the fence decides
            log.warning("lease_cycle_failed", worker_id=self.worker_id, error=type(exc).__name__)
            return
        await self._drop(set(self.runners) - kept, reason="lease_lost")
        for session_id, engine, caps in acquired:
            await self._start(session_id, engine, caps)

    async def _renew(self) -> set[int]:
        if not self.runners:
            return set()
        async with transaction(self.sessionmaker) as db:
            rows = await db.execute(
                _RENEW, {"ttl": self.ttl, "me": self.worker_id, "ids": list(self.runners)}
            )
            return {row[0] for row in rows}

    async def _acquire(self) -> list[tuple[int, Engine, tuple[int, int]]]:
        room = self.settings.worker_max_sessions - len(self.runners)
        if room <= 0:
            return []
        async with transaction(self.sessionmaker) as db:
            rows = (
                await db.execute(_ACQUIRE, {"me": self.worker_id, "ttl": self.ttl, "room": room})
            ).all()
        defaults = (self.settings.default_hourly_cap, self.settings.default_daily_cap)
        return [
            (session_id, Engine(engine), (hourly or defaults[0], daily or defaults[1]))
            for session_id, engine, hourly, daily in rows
        ]

    async def _start(self, session_id: int, engine: Engine, caps: tuple[int, int]) -> None:
        try:
            driver = self.make_driver(engine, session_id)
        except EngineUnavailable as exc:
            log.warning(
                "engine_unavailable", session_id=session_id, engine=engine.value, error=str(exc)
            )
            await self._release([session_id])
            return
        # We hold the lease, so whoever sent before us has stopped: rows it left `sending` may or
        # may not have gone out. They become `unknown`, for a person to decide; never resent.
        async with transaction(self.sessionmaker) as db:
            await outbox.recover_sending(db, session_id, self.settings.clock().now())
        dispatcher = Dispatcher(
            session_id, driver, self.sessionmaker, self.settings, *caps, clock=self.settings.clock()
        )
        runner = SessionRunner(
            session_id,
            driver,
            self.sessionmaker,
            self.store,
            self.worker_id,
            dispatcher,
        )
        self.runners[session_id] = runner
        try:
            await runner.start()
        except Exception as exc:  # e.g. the gateway would not start: let another try later
            log.warning("session_start_failed", session_id=session_id, error=str(exc)[:200])
            self.runners.pop(session_id, None)
            await runner.stop()
            await self._release([session_id])
            return
        log.info(
            "session_leased", session_id=session_id, engine=engine.value, worker_id=self.worker_id
        )

    async def _drop(self, session_ids: set[int], *, reason: str) -> None:
        for session_id in session_ids:
            runner = self.runners.pop(session_id, None)
            if runner is not None:
                await runner.stop()
                log.warning(
                    "session_released",
                    session_id=session_id,
                    reason=reason,
                    worker_id=self.worker_id,
                )
                await self._mark_stopped(session_id, reason)

    async def _mark_stopped(self, session_id: int, reason: str) -> None:
        """Nobody runs the session now: say so, unless another worker already took it over."""
        try:
            async with asyncio.timeout(2), transaction(self.sessionmaker) as db:
                await db.execute(
                    _MARK_STOPPED, {"id": session_id, "me": self.worker_id, "reason": reason}
                )
        except Exception as exc:  # the database may be the reason we stopped
            log.warning("mark_stopped_failed", session_id=session_id, error=type(exc).__name__)

    async def _fence(self, stop: asyncio.Event) -> None:
        """Stop every socket before our leases can expire in the database."""
        while not stop.is_set():
            if self.runners and time.monotonic() > self.valid_until:
                log.error(
                    "lease_fence_tripped", worker_id=self.worker_id, sessions=sorted(self.runners)
                )
                await self._drop(set(self.runners), reason="lease_not_renewed")
            await _wait_any(stop, None, 0.2)

    async def _release(self, session_ids: list[int]) -> None:
        try:
            async with asyncio.timeout(5), transaction(self.sessionmaker) as db:
                await db.execute(_RELEASE, {"me": self.worker_id, "ids": session_ids})
        except Exception as exc:
            log.warning("lease_release_failed", error=type(exc).__name__)

    async def _shutdown(self) -> None:
        held = list(self.runners)
        await self._drop(set(held), reason="worker_stopping")
        if held:
            await self._release(held)  # another worker may take them over at once

    def _caps(self, runner: SessionRunner) -> tuple[int, int]:
        if runner.dispatcher is not None:
            return runner.dispatcher.hourly_cap, runner.dispatcher.daily_cap
        return self.settings.default_hourly_cap, self.settings.default_daily_cap

    def wake_dispatcher(self, payload: str) -> None:
        """A NOTIFY said a session's outbox changed (payload: its id; empty: check them all)."""
        targets = (
            [self.runners.get(int(payload))] if payload.isdigit() else list(self.runners.values())
        )
        for runner in targets:
            if runner is not None and runner.dispatcher is not None:
                runner.dispatcher.wake.set()

    # --- commands -------------------------------------------------------------------------

    async def _command_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.runners:
                try:
                    await self._take_commands()
                except Exception as exc:
                    log.warning("commands_failed", error=type(exc).__name__)
            await _wait_any(stop, None, COMMAND_POLL_SECONDS)

    async def _take_commands(self) -> None:
        async with transaction(self.sessionmaker) as db:
            rows = (await db.execute(_TAKE_COMMANDS, {"ids": list(self.runners)})).all()
            for command_id, session_id, kind, payload in rows:
                error = await self._execute(session_id, kind, payload)
                await db.execute(_FINISH_COMMAND, {"id": command_id, "error": error})

    async def _execute(self, session_id: int, kind: str, payload: dict[str, str]) -> str | None:
        runner = self.runners.get(session_id)
        if runner is None:
            return "session not running here"
        log.info("session_command", session_id=session_id, command=kind)
        try:
            if kind == "restart":
                engine = Engine(payload.get("engine", "simulator"))
                caps = self._caps(runner)
                await self._drop({session_id}, reason="restart")
                await self._start(session_id, engine, caps)
            elif kind == "logout":
                await runner.driver.logout()
            elif kind == "pairing_code":
                await runner.driver.request_pairing_code(payload["phone"])
            elif kind == "simulator_fault":
                inject = getattr(runner.driver, "inject", None)
                if inject is None:
                    return "not a simulator session"
                await inject(payload["fault"], payload)
            else:
                return f"unknown command {kind}"
        except Exception as exc:
            log.warning(
                "session_command_failed", session_id=session_id, command=kind, error=str(exc)
            )
            return str(exc)[:500]
        return None


async def _wait_any(stop: asyncio.Event, other: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait())]
    if other is not None:
        waiters.append(asyncio.create_task(other.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
