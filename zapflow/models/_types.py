"""Column helpers shared by the models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


def enum_type(enum_cls: type[StrEnum], name: str) -> Enum:
    """A StrEnum stored as text with a CHECK constraint: adding a value is a one-line migration,
    unlike a native PostgreSQL enum."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def owner_column() -> Mapped[int]:
    """The user who owns a row; every query on the row is scoped by it."""
    return mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=False
    )
