"""WhatsApp sessions (numbers), their encrypted auth state and their status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column


class Engine(StrEnum):
    simulator = "simulator"
    baileys = "baileys"


class SessionStatus(StrEnum):
    disconnected = "disconnected"
    connecting = "connecting"
    qr = "qr"
    open = "open"
    closed = "closed"
    logged_out = "logged_out"
    banned = "banned"


class DesiredState(StrEnum):
    running = "running"
    stopped = "stopped"


class WhatsAppSession(Base):
    __tablename__ = "whatsapp_sessions"
    __table_args__ = (
        Index("uq_whatsapp_sessions_user_id_name", "user_id", "name", unique=True),
        # Workers look for sessions that should run and whose lease is free or expired.
        Index(
            "ix_whatsapp_sessions_lease",
            "lease_expires_at",
            postgresql_where=text("desired_state = 'running'"),
        ),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    name: Mapped[str] = mapped_column(String(100))
    engine: Mapped[Engine] = mapped_column(enum_type(Engine, "whatsapp_engine"))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[SessionStatus] = mapped_column(
        enum_type(SessionStatus, "session_status"), default=SessionStatus.disconnected
    )
    status_reason: Mapped[str | None] = mapped_column(String(200))
    desired_state: Mapped[DesiredState] = mapped_column(
        enum_type(DesiredState, "session_desired_state"), default=DesiredState.running
    )
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    # Anti-ban pacing; NULL means "use the defaults from settings".
    hourly_cap: Mapped[int | None] = mapped_column(Integer)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    warmup_started_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    connected_at: Mapped[datetime | None]
    # The login in progress, published by the worker for the API and the dashboard.
    qr_code: Mapped[str | None] = mapped_column(Text)
    qr_updated_at: Mapped[datetime | None]
    pairing_code: Mapped[str | None] = mapped_column(String(16))
    pairing_code_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CommandKind(StrEnum):
    restart = "restart"
    logout = "logout"
    pairing_code = "pairing_code"
    simulator_fault = "simulator_fault"


class SessionCommand(Base):
    """Something the API asks of the worker that runs a session (restart, log out, ...).

    A queue in PostgreSQL: the owning worker takes pending rows (woken by NOTIFY) and marks them
    done, so a command survives a worker restart and is never lost between processes.
    """

    __tablename__ = "session_commands"
    __table_args__ = (
        Index(
            "ix_session_commands_pending",
            "session_id",
            "id",
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="CASCADE")
    )
    kind: Mapped[CommandKind] = mapped_column(enum_type(CommandKind, "session_command_kind"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = created_at_column()
    done_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class SessionAuthKey(Base):
    """One piece of an engine's auth state (creds, or one signal key), AES-GCM encrypted.

    `key_version` names the encryption key that sealed it, so keys can rotate row by row.
    """

    __tablename__ = "session_auth_keys"

    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    key_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_version: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = updated_at_column()


class SessionEvent(Base):
    """Status history: when a session connected and disconnected, and why."""

    __tablename__ = "session_events"
    __table_args__ = (Index("ix_session_events_session_id_at", "session_id", "at"),)

    id: Mapped[int] = id_column()
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = created_at_column()
    status: Mapped[SessionStatus] = mapped_column(enum_type(SessionStatus, "session_event_status"))
    reason: Mapped[str | None] = mapped_column(String(200))
    worker_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
