"""The rules of WhatsApp sessions as the API sees them. The worker holding a session's lease
does the talking to WhatsApp; the API reaches it through `session_commands` and NOTIFY."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.auth.principal import Principal, get_owned, owned_by
from zapflow.config import Settings
from zapflow.db.notify import OUTBOX_CHANNEL, SESSIONS_CHANNEL, notify
from zapflow.db.unique import flush_unique
from zapflow.errors import Conflict, Invalid, NotFound
from zapflow.kit.phones import normalize_phone
from zapflow.models import (
    CommandKind,
    DesiredState,
    Engine,
    SessionAuthKey,
    SessionCommand,
    SessionEvent,
    SessionStatus,
    WhatsAppSession,
)
from zapflow.sessions.schemas import SessionIn, SessionOut, SessionUpdateIn


def lease_is_live(session: WhatsAppSession) -> bool:
    return bool(
        session.lease_owner
        and session.lease_expires_at
        and session.lease_expires_at > datetime.now(UTC)
    )


def to_out(session: WhatsAppSession) -> SessionOut:
    return SessionOut(
        id=session.id,
        name=session.name,
        engine=session.engine,
        status=session.status,
        status_reason=session.status_reason,
        phone=session.phone,
        desired_state=session.desired_state,
        has_qr=session.qr_code is not None and session.status is SessionStatus.qr,
        pairing_code=session.pairing_code if session.status is not SessionStatus.open else None,
        worker=session.lease_owner if lease_is_live(session) else None,
        hourly_cap=session.hourly_cap,
        warmup_started_at=session.warmup_started_at,
        paused_until=session.paused_until,
        pause_reason=session.pause_reason,
        daily_cap=session.daily_cap,
        connected_at=session.connected_at,
        created_at=session.created_at,
        updated_at=session.updated_at,
    )


async def create(
    db: AsyncSession, principal: Principal, data: SessionIn, settings: Settings
) -> WhatsAppSession:
    engine = data.engine or Engine(settings.default_whatsapp_engine)
    if engine is Engine.simulator and not settings.simulator_on:
        raise Invalid("sessions.simulator_disabled")
    session = WhatsAppSession(
        user_id=principal.user_id,
        name=data.name,
        engine=engine,
        hourly_cap=data.hourly_cap,
        daily_cap=data.daily_cap,
        warmup_started_at=datetime.now(UTC) if data.warmup else None,
        status=SessionStatus.disconnected,
        desired_state=DesiredState.running,
    )
    await flush_unique(db, Conflict("sessions.name_taken", name=data.name), session)
    await audit.record(
        db,
        principal.audit,
        "session.created",
        target_type="session",
        target_id=session.id,
        engine=engine.value,
    )
    await notify(db, SESSIONS_CHANNEL, str(session.id))  # a worker picks it up at once
    await db.refresh(session)
    return session


async def get(db: AsyncSession, principal: Principal, session_id: int) -> WhatsAppSession:
    return await get_owned(db, principal, WhatsAppSession, session_id, "session")


async def list_all(db: AsyncSession, principal: Principal) -> list[WhatsAppSession]:
    stmt = (
        select(WhatsAppSession)
        .where(owned_by(principal, WhatsAppSession))
        .order_by(WhatsAppSession.id)
    )
    return list((await db.execute(stmt)).scalars())


async def update_session(
    db: AsyncSession, principal: Principal, session_id: int, data: SessionUpdateIn
) -> WhatsAppSession:
    session = await get(db, principal, session_id)
    changes = data.model_dump(exclude_unset=True)
    warmup, paused = changes.pop("warmup", None), changes.pop("paused", None)
    for field, value in changes.items():
        setattr(session, field, value)
    if warmup is not None:
        session.warmup_started_at = datetime.now(UTC) if warmup else None
    if paused is False:
        session.paused_until, session.pause_reason = None, None
    await notify(db, OUTBOX_CHANNEL, str(session.id))  # caps or a pause changed: re-check
    await flush_unique(db, Conflict("sessions.name_taken", name=data.name))
    await db.refresh(session)
    return session


async def _command(
    db: AsyncSession, session: WhatsAppSession, kind: CommandKind, **payload: str
) -> None:
    db.add(SessionCommand(session_id=session.id, kind=kind, payload=payload))
    await db.flush()
    await notify(db, SESSIONS_CHANNEL, str(session.id))


async def restart(db: AsyncSession, principal: Principal, session_id: int) -> str:
    """Reconnect now. A stopped session (logged out, banned, replaced) is started again."""
    session = await get(db, principal, session_id)
    await audit.record(
        db, principal.audit, "session.restarted", target_type="session", target_id=session.id
    )
    if session.desired_state is DesiredState.stopped or not lease_is_live(session):
        session.desired_state = DesiredState.running
        session.status, session.status_reason = SessionStatus.disconnected, None
        await db.flush()
        await notify(db, SESSIONS_CHANNEL, str(session.id))
        return "sessions.starting"
    await _command(db, session, CommandKind.restart, engine=session.engine.value)
    return "sessions.restarting"


async def logout(db: AsyncSession, principal: Principal, session_id: int) -> str:
    """Unlink the number. Keys are wiped; logging in again needs a new QR."""
    session = await get(db, principal, session_id)
    await audit.record(
        db, principal.audit, "session.logout", target_type="session", target_id=session.id
    )
    if lease_is_live(session) and session.desired_state is DesiredState.running:
        await _command(db, session, CommandKind.logout)
        return "sessions.logging_out"
    await db.execute(delete(SessionAuthKey).where(SessionAuthKey.session_id == session.id))
    session.status, session.status_reason, session.phone = (
        SessionStatus.logged_out,
        "logged_out",
        None,
    )
    session.desired_state = DesiredState.stopped
    db.add(
        SessionEvent(
            session_id=session.id, status=SessionStatus.logged_out, reason="logged_out_by_user"
        )
    )
    await db.flush()
    return "sessions.logged_out"


async def remove(db: AsyncSession, principal: Principal, session_id: int) -> None:
    """Delete the session and wipe its keys; its worker stops the socket on its next renewal."""
    session = await get(db, principal, session_id)
    await audit.record(
        db,
        principal.audit,
        "session.deleted",
        target_type="session",
        target_id=session.id,
        name=session.name,
    )
    await db.delete(session)
    await db.flush()
    await notify(db, SESSIONS_CHANNEL, str(session_id))


async def history(
    db: AsyncSession, principal: Principal, session_id: int, limit: int
) -> list[SessionEvent]:
    await get(db, principal, session_id)
    stmt = (
        select(SessionEvent)
        .where(SessionEvent.session_id == session_id)
        .order_by(SessionEvent.at.desc(), SessionEvent.id.desc())
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars())


async def current_qr(db: AsyncSession, principal: Principal, session_id: int) -> str:
    session = await get(db, principal, session_id)
    if session.status is not SessionStatus.qr or session.qr_code is None:
        raise NotFound("qr")
    return session.qr_code


async def ask_pairing_code(
    db: AsyncSession, principal: Principal, session_id: int, phone: str
) -> datetime:
    """Ask the worker for a pairing code; returns when we asked (to poll for the answer)."""
    session = await get(db, principal, session_id)
    e164 = normalize_phone(phone).e164
    if e164 is None:
        raise Invalid("contacts.invalid_phone", raw=phone, problem="?")
    if session.status is SessionStatus.open:
        raise Conflict("sessions.already_open")
    if not lease_is_live(session):
        raise Conflict("sessions.not_running")
    asked_at = (await db.execute(select(func.now()))).scalar_one()
    await db.execute(
        update(WhatsAppSession).where(WhatsAppSession.id == session.id).values(pairing_code=None)
    )
    await _command(db, session, CommandKind.pairing_code, phone=e164.lstrip("+"))
    return asked_at


async def simulator_fault(
    db: AsyncSession, principal: Principal, session_id: int, payload: dict[str, str]
) -> None:
    session = await get(db, principal, session_id)
    if session.engine is not Engine.simulator:
        raise Invalid("sessions.not_simulator")
    if not lease_is_live(session):
        raise Conflict("sessions.not_running")
    await _command(db, session, CommandKind.simulator_fault, **payload)


def simulated_phone(session_id: int) -> str:
    """A stable, valid-looking number for a scanned simulator session."""
    digits = int(hashlib.sha256(f"sim-phone:{session_id}".encode()).hexdigest(), 16) % 10**8
    return f"+55119{digits:08d}"
