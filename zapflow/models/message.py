"""The outbox: every outgoing message is a row before anything is sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column
from zapflow.models.campaign import MessageType


class MessageStatus(StrEnum):
    scheduled = "scheduled"
    queued = "queued"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    invalid_number = "invalid_number"
    blocked = "blocked"
    skipped = "skipped"
    unknown = "unknown"


class MessageSource(StrEnum):
    individual = "individual"
    bulk = "bulk"
    csv = "csv"
    scheduled = "scheduled"
    birthday = "birthday"
    group = "group"
    notification = "notification"


class RecipientKind(StrEnum):
    phone = "phone"
    group = "group"


PENDING = "status IN ('scheduled', 'queued')"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # No duplicates: one message per recipient per campaign.
        Index(
            "uq_messages_campaign_id_recipient",
            "campaign_id",
            "recipient",
            unique=True,
            postgresql_where=text("campaign_id IS NOT NULL"),
        ),
        # The dispatcher claims due rows of the campaigns in a session's pool ...
        Index(
            "ix_messages_pending_campaign",
            "campaign_id",
            "due_at",
            postgresql_where=text(PENDING),
        ),
        # ... and due rows pinned to one session (individual messages, notifications).
        Index(
            "ix_messages_pending_session",
            "session_id",
            "due_at",
            postgresql_where=text(f"{PENDING} AND campaign_id IS NULL"),
        ),
        # The next-due timer: the earliest pending row overall.
        Index("ix_messages_pending_due_at", "due_at", postgresql_where=text(PENDING)),
        # Caps are counted from the log: sends by a session in the last hour / day.
        Index(
            "ix_messages_session_id_sent_at",
            "session_id",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
        ),
        # Caps also count 'unknown' rows (they may have gone out), by when they were handed over.
        Index(
            "ix_messages_unknown_session_id_sending_at",
            "session_id",
            "sending_at",
            postgresql_where=text("status = 'unknown'"),
        ),
        # Crash recovery: rows left 'sending' by a session become 'unknown'.
        Index(
            "ix_messages_sending_session_id",
            "session_id",
            postgresql_where=text("status = 'sending'"),
        ),
        # The message log: newest first per owner, keyset-paginated on (created_at, id).
        Index("ix_messages_user_id_created_at_id", "user_id", "created_at", "id"),
        # Campaign progress counts by status.
        Index("ix_messages_campaign_id_status", "campaign_id", "status"),
        # Per-number history for the failure log and opt-out checks.
        Index("ix_messages_user_id_recipient", "user_id", "recipient"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    campaign_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    source: Mapped[MessageSource] = mapped_column(enum_type(MessageSource, "message_source"))
    recipient: Mapped[str] = mapped_column(String(64))  # E.164, or a group id
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        enum_type(RecipientKind, "recipient_kind"), default=RecipientKind.phone
    )
    message_type: Mapped[MessageType] = mapped_column(enum_type(MessageType, "message_type"))
    body: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media_files.id", ondelete="RESTRICT")
    )
    media_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus, "message_status"), default=MessageStatus.queued
    )
    status_reason: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(32))
    # The id we hand the engine before sending; receipts come back with it.
    wa_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    due_at: Mapped[datetime] = created_at_column()
    sending_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
