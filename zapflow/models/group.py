"""WhatsApp groups created or managed by a session, and the outcome of each member add."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column


class MemberStatus(StrEnum):
    pending = "pending"
    added = "added"
    already_member = "already_member"
    not_on_whatsapp = "not_on_whatsapp"
    privacy_blocked = "privacy_blocked"
    invite_sent = "invite_sent"
    recently_left = "recently_left"
    group_full = "group_full"
    failed = "failed"


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        Index("uq_groups_session_id_wa_group_id", "session_id", "wa_group_id", unique=True),
        Index("ix_groups_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="CASCADE")
    )
    wa_group_id: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        Index("uq_group_members_group_id_phone", "group_id", "phone", unique=True),
        # The paced add job takes a group's pending members; reports count by status.
        Index("ix_group_members_group_id_status", "group_id", "status"),
    )

    id: Mapped[int] = id_column()
    group_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("groups.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[MemberStatus] = mapped_column(
        enum_type(MemberStatus, "group_member_status"), default=MemberStatus.pending
    )
    reason: Mapped[str | None] = mapped_column(String(200))
    invite_message_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="SET NULL")
    )
    attempted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
