"""Events worth telling the admin about, and where to tell them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column


class NotificationKind(StrEnum):
    session_disconnected = "session_disconnected"
    session_logged_out = "session_logged_out"
    session_banned = "session_banned"
    session_paused = "session_paused"
    send_succeeded = "send_succeeded"
    send_failed = "send_failed"
    campaign_finished = "campaign_finished"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        # The relay picks up notifications not yet turned into an admin WhatsApp message.
        Index(
            "ix_notifications_undelivered",
            "created_at",
            postgresql_where=text("message_id IS NULL AND relayed_at IS NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, "notification_kind"))
    session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL")
    )
    campaign_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    message_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="SET NULL")
    )
    relayed_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class NotificationSettings(Base):
    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    admin_phone: Mapped[str | None] = mapped_column(String(20))
    sender_session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL")
    )
    kinds: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default=text("'{}'")
    )
    updated_at: Mapped[datetime] = updated_at_column()
