"""Birthday campaigns: a daily job greets the contacts whose birthday is today."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import owner_column


class BirthdayCampaign(Base):
    __tablename__ = "birthday_campaigns"
    __table_args__ = (
        Index("ix_birthday_campaigns_enabled", "send_time", postgresql_where=text("enabled")),
        Index("ix_birthday_campaigns_user_id", "user_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    name: Mapped[str] = mapped_column(String(200))
    list_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("contact_lists.id", ondelete="SET NULL")
    )
    body_template: Mapped[str] = mapped_column(Text)
    media_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media_files.id", ondelete="RESTRICT")
    )
    send_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Sao_Paulo")
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class BirthdayGreeting(Base):
    """One greeting per contact per campaign per year, however often the job runs."""

    __tablename__ = "birthday_greetings"

    birthday_campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("birthday_campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()
