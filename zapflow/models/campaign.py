"""Campaigns (a message to many), their session pool, and uploaded media."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column


class MessageType(StrEnum):
    text = "text"
    image = "image"
    document = "document"


class CampaignKind(StrEnum):
    individual = "individual"
    bulk = "bulk"
    birthday = "birthday"
    group = "group"
    notification = "notification"


class CampaignStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    running = "running"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"


class MediaFile(Base):
    """An uploaded image or document, stored outside the web root under a generated name."""

    __tablename__ = "media_files"
    __table_args__ = (Index("ix_media_files_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    kind: Mapped[MessageType] = mapped_column(enum_type(MessageType, "media_kind"))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_user_id_created_at", "user_id", "created_at"),
        Index("ix_campaigns_status", "status"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CampaignKind] = mapped_column(enum_type(CampaignKind, "campaign_kind"))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus, "campaign_status"), default=CampaignStatus.draft
    )
    message_type: Mapped[MessageType] = mapped_column(enum_type(MessageType, "campaign_msg_type"))
    body_template: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media_files.id", ondelete="RESTRICT")
    )
    media_url: Mapped[str | None] = mapped_column(Text)
    scheduled_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="America/Sao_Paulo")
    min_delay_ms: Mapped[int] = mapped_column(Integer, default=8000)
    max_delay_ms: Mapped[int] = mapped_column(Integer, default=25000)
    send_window_start: Mapped[time | None] = mapped_column(Time)
    send_window_end: Mapped[time | None] = mapped_column(Time)
    # Where the recipients came from: {"numbers": n} | {"list_id": id} | {"import_id": id}.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CampaignSession(Base):
    """The session pool a campaign rotates across."""

    __tablename__ = "campaign_sessions"
    # The primary key serves "the pool of a campaign"; the dispatcher asks the reverse.
    __table_args__ = (Index("ix_campaign_sessions_session_id", "session_id"),)

    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="CASCADE"), primary_key=True
    )
