from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type


class Role(StrEnum):
    admin = "admin"
    operator = "operator"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # Log-in looks users up by e-mail, case-insensitively; it is also the uniqueness rule.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"), default=Role.operator)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    locale: Mapped[str] = mapped_column(String(10), default="pt-BR", server_default="pt-BR")
    timezone: Mapped[str] = mapped_column(
        String(64), default="America/Sao_Paulo", server_default="America/Sao_Paulo"
    )
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin
