"""What keeps numbers from being banned and people from being pestered: the opt-out list,
the per-number failure log and the on-WhatsApp check cache."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column
from zapflow.models._types import enum_type, owner_column


class OptOutSource(StrEnum):
    keyword = "keyword"  # the recipient wrote SAIR, PARAR, STOP, CANCELAR
    manual = "manual"  # added by hand
    import_ = "import"  # came in a file
    suppressed = "suppressed"  # our decision: the number kept failing


class OptOut(Base):
    """A number that must not be messaged by this owner, and why."""

    __tablename__ = "opt_outs"
    __table_args__ = (Index("uq_opt_outs_user_id_phone", "user_id", "phone", unique=True),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    phone: Mapped[str] = mapped_column(String(20))
    source: Mapped[OptOutSource] = mapped_column(enum_type(OptOutSource, "opt_out_source"))
    keyword: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


class NumberFailure(Base):
    """One failed send to one number; enough of them suppress the number."""

    __tablename__ = "number_failures"
    __table_args__ = (Index("ix_number_failures_user_id_phone_at", "user_id", "phone", "at"),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    phone: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="SET NULL")
    )
    error_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = created_at_column()


class NumberCheck(Base):
    """Cached answer to "is this number on WhatsApp?", so checks stay throttled."""

    __tablename__ = "number_checks"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    on_whatsapp: Mapped[bool]
    jid: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime] = created_at_column()
