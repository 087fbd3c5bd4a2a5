"""Contacts, contact lists, and CSV imports with their rejected rows."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zapflow.db.base import Base, created_at_column, id_column, updated_at_column
from zapflow.models._types import enum_type, owner_column


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # One contact per number per owner: the de-duplication rule of every import.
        Index("uq_contacts_user_id_phone", "user_id", "phone", unique=True),
        # The daily birthday job asks "who has a birthday on MM-DD?".
        Index(
            "ix_contacts_user_id_birth_md",
            "user_id",
            "birth_md",
            postgresql_where=text("birth_md IS NOT NULL"),
        ),
        # Lists in the dashboard page by newest first.
        Index("ix_contacts_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_md: Mapped[int | None] = mapped_column(
        SmallInteger,
        Computed(
            "(EXTRACT(MONTH FROM birth_date) * 100 + EXTRACT(DAY FROM birth_date))::smallint",
            persisted=True,
        ),
    )
    # Extra spreadsheet columns, usable as template variables ({{cidade}}).
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ContactList(Base):
    __tablename__ = "contact_lists"
    __table_args__ = (Index("uq_contact_lists_user_id_name", "user_id", "name", unique=True),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ContactListMember(Base):
    __tablename__ = "contact_list_members"
    # The primary key serves "members of a list"; this index serves "lists of a contact"
    # and the cascade when a contact is deleted.
    __table_args__ = (Index("ix_contact_list_members_contact_id", "contact_id"),)

    list_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = created_at_column()


class ImportStatus(StrEnum):
    pending = "pending"
    running = "running"
    completed = "completed"
    failed = "failed"


class ContactImport(Base):
    __tablename__ = "contact_imports"
    __table_args__ = (Index("ix_contact_imports_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = owner_column()
    list_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("contact_lists.id", ondelete="SET NULL")
    )
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ImportStatus] = mapped_column(
        enum_type(ImportStatus, "import_status"), default=ImportStatus.pending
    )
    rows_read: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_imported: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_updated: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_warned: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    source: Mapped[str] = mapped_column(String(16), default="file", server_default="file")
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    columns: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]


class RowOutcome(StrEnum):
    rejected = "rejected"
    imported_without_birth_date = "imported_without_birth_date"
    merged_duplicate = "merged_duplicate"


class ContactImportRejection(Base):
    """One row of an import's report: a row not imported, or imported with a field dropped."""

    __tablename__ = "contact_import_rejections"

    import_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("contact_imports.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Part of the key: one line may be both imported without its date and a merged duplicate.
    outcome: Mapped[RowOutcome] = mapped_column(
        enum_type(RowOutcome, "import_row_outcome"),
        primary_key=True,
        default=RowOutcome.rejected,
        server_default=RowOutcome.rejected.value,
    )
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text)
