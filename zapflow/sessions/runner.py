"""Run one session's driver inside a worker: turn its events into rows.

Status and QR go on the session row (for the API, the dashboard and SSE), each change of state
into the status history, and a disconnect, logout or ban into a notification and a log line.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zapflow.db.engine import transaction
from zapflow.db.notify import SESSIONS_CHANNEL, notify
from zapflow.logging import get_logger
from zapflow.models import (
    DesiredState,
    Notification,
    NotificationKind,
    SessionEvent,
    SessionStatus,
    WhatsAppSession,
)
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.protocol import (
    CloseReason,
    ConnectionState,
    Event,
    InboundText,
    PairingCode,
    Receipt,
    ReceiptStatus,
    StateEvent,
    WhatsAppDriver,
)
from zapflow.worker.dispatcher import Dispatcher

log = get_logger(__name__)

# Closes after which nobody should reconnect without a person deciding to.
FINAL_REASONS = {
    CloseReason.forbidden,
    CloseReason.replaced,
    CloseReason.logged_out,
    CloseReason.keys_unreadable,
}
OPT_OUT_KEYWORDS = {"SAIR", "PARAR", "STOP", "CANCELAR", "DESCADASTRAR"}
_RECEIPT_SQL = {
    ReceiptStatus.delivered: text(
        "UPDATE messages SET status = 'delivered', delivered_at = now(), updated_at = now() "
        "WHERE wa_message_id = :id AND status IN ('sending', 'sent', 'unknown')"
    ),
    ReceiptStatus.read: text(
        "UPDATE messages SET status = 'read', read_at = now(), updated_at = now(), "
        "delivered_at = COALESCE(delivered_at, now()) "
        "WHERE wa_message_id = :id AND status IN ('sending', 'sent', 'delivered', 'unknown')"
    ),
}
_OPT_OUT_SQL = text(
    "INSERT INTO opt_outs (user_id, phone, source, keyword) "
    "SELECT user_id, :phone, 'keyword', :keyword FROM whatsapp_sessions WHERE id = :sid "
    "ON CONFLICT (user_id, phone) DO NOTHING"
)


def status_for(event: StateEvent) -> SessionStatus:
    if event.state is ConnectionState.logged_out:
        return SessionStatus.logged_out
    if event.state is ConnectionState.close:
        return (
            SessionStatus.banned if event.reason is CloseReason.forbidden else SessionStatus.closed
        )
    return SessionStatus(event.state.value)


@dataclass
class SessionRunner:
    session_id: int
    driver: WhatsAppDriver
    sessionmaker: async_sessionmaker[AsyncSession]
    store: AuthStore
    worker_id: str
    dispatcher: Dispatcher | None = None
    task: asyncio.Task[None] | None = None
    dispatch_task: asyncio.Task[None] | None = None
    last_status: SessionStatus | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        await self.driver.connect()
        self.task = asyncio.create_task(self._consume())
        if self.dispatcher is not None:
            self.dispatch_task = asyncio.create_task(self.dispatcher.run(self.stopped))

    async def stop(self) -> None:
        """Stop sending, close the socket (keys kept), and wait for this session's loops."""
        self.stopped.set()
        if self.dispatch_task is not None:
            try:
                await asyncio.wait_for(self.dispatch_task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self.dispatch_task.cancel()
        await self.driver.close()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                self.task.cancel()

    async def _consume(self) -> None:
        async for event in self.driver.events():
            try:
                await self._handle(event)
            except Exception:
                log.exception("session_event_failed", session_id=self.session_id)

    async def _handle(self, event: Event) -> None:
        if isinstance(event, StateEvent):
            await self._on_state(event)
        elif isinstance(event, PairingCode):
            await self._update(pairing_code=event.code, pairing_code_at=func.now())
        elif isinstance(event, Receipt):
            await self._on_receipt(event)
        elif isinstance(event, InboundText):
            await self._on_inbound(event)

    async def _on_receipt(self, receipt: Receipt) -> None:
        """delivered / read move a message forward, never back."""
        statement = _RECEIPT_SQL.get(receipt.status)
        if statement is None:
            return
        async with transaction(self.sessionmaker) as db:
            await db.execute(statement, {"id": receipt.message_id})

    async def _on_inbound(self, inbound: InboundText) -> None:
        """SAIR, PARAR, STOP, CANCELAR or DESCADASTRAR, alone: the sender opts out."""
        keyword = inbound.text.strip().upper().strip(".!")
        if keyword not in OPT_OUT_KEYWORDS:
            return
        async with transaction(self.sessionmaker) as db:
            params = {"phone": inbound.sender, "keyword": keyword, "sid": self.session_id}
            await db.execute(_OPT_OUT_SQL, params)
        log.info("opt_out_keyword", session_id=self.session_id, keyword=keyword)

    async def _on_state(self, event: StateEvent) -> None:
        status = status_for(event)
        if self.dispatcher is not None:
            self.dispatcher.is_open = event.state is ConnectionState.open
            self.dispatcher.wake.set()
        changed = status != self.last_status
        self.last_status = status
        if event.state is ConnectionState.qr:
            await self._update(
                status=status, qr_code=event.qr, qr_updated_at=func.now(), record=changed
            )
            return
        if event.state is ConnectionState.logged_out:
            await self.store.clear(self.session_id)
        values: dict[str, object] = {"status": status, "status_reason": _reason(event)}
        if event.state is ConnectionState.open:
            values |= {
                "phone": event.phone,
                "connected_at": func.now(),
                "qr_code": None,
                "pairing_code": None,
                "status_reason": None,
            }
        if event.reason in FINAL_REASONS:
            values["desired_state"] = DesiredState.stopped
        await self._update(
            record=changed or event.state is not ConnectionState.connecting, event=event, **values
        )

    async def _update(
        self, *, record: bool = False, event: StateEvent | None = None, **values: object
    ) -> None:
        async with transaction(self.sessionmaker) as db:
            await db.execute(
                update(WhatsAppSession)
                .where(WhatsAppSession.id == self.session_id)
                .values(**values)
            )
            if record and "status" in values:
                await self._record(db, values["status"], event)  # type: ignore[arg-type]
            await notify(db, SESSIONS_CHANNEL, str(self.session_id))

    async def _record(
        self, db: AsyncSession, status: SessionStatus, event: StateEvent | None
    ) -> None:
        reason = _reason(event) if event else None
        db.add(
            SessionEvent(
                session_id=self.session_id,
                status=status,
                reason=reason,
                worker_id=self.worker_id,
                details={"code": event.code} if event and event.code else {},
            )
        )
        kind = _notification_kind(event) if event else None
        log_fields = {
            "session_id": self.session_id,
            "status": status.value,
            "reason": reason,
            "code": event.code if event else None,
            "worker_id": self.worker_id,
        }
        if kind is None:
            log.info("session_status", **log_fields)
            return
        log.warning("session_disconnected", **log_fields)
        owner = (
            await db.execute(
                select(WhatsAppSession.user_id).where(WhatsAppSession.id == self.session_id)
            )
        ).scalar_one()
        db.add(
            Notification(
                user_id=owner,
                kind=kind,
                session_id=self.session_id,
                payload={"reason": reason, "code": event.code if event else None},
            )
        )


def _reason(event: StateEvent | None) -> str | None:
    if event is None or event.reason is None:
        return None
    return event.reason.value


def _notification_kind(event: StateEvent) -> NotificationKind | None:
    if event.state is ConnectionState.logged_out:
        return NotificationKind.session_logged_out
    if event.state is ConnectionState.close:
        if event.reason is CloseReason.forbidden:
            return NotificationKind.session_banned
        if event.reason is not CloseReason.stopped:
            return NotificationKind.session_disconnected
    return None
