from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zapflow.auth.schemas import StrictModel
from zapflow.models import ImportStatus, RowOutcome


class ContactIn(StrictModel):
    phone: str = Field(
        min_length=1, max_length=40, description="Any common spelling; stored as E.164"
    )
    name: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(default=None, max_length=40, description="DD/MM/AAAA, ISO, …")
    attributes: dict[str, str] = Field(default_factory=dict, description="Template variables")


class ContactUpdateIn(StrictModel):
    name: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(default=None, max_length=40)
    attributes: dict[str, str] | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    name: str | None
    birth_date: date | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: int | None = Field(description="Pass as `before_id` for the next page")


class ListIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class ListUpdateIn(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class ListOut(BaseModel):
    id: int
    name: str
    description: str | None
    member_count: int
    created_at: datetime


class MembersIn(StrictModel):
    contact_ids: list[int] = Field(min_length=1, max_length=10000)


class MembersOut(BaseModel):
    added: int


class TypedNumbersIn(StrictModel):
    text: str = Field(min_length=1, max_length=200_000)
    list_id: int | None = None
    list_name: str | None = Field(default=None, min_length=1, max_length=200)
    default_area_code: str | None = Field(default=None, pattern=r"^\d{2}$")


class ProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line: int
    outcome: RowOutcome
    reason: str
    raw: dict[str, Any]


class ImportCountsOut(BaseModel):
    read: int
    imported: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    warned: int = Field(description="Imported with a field dropped (e.g. an impossible date)")


class ImportOut(BaseModel):
    id: int
    status: ImportStatus
    source: str
    filename: str | None
    encoding: str | None
    delimiter: str | None
    columns: dict[str, Any]
    list_id: int | None
    counts: ImportCountsOut
    problems: list[ProblemOut] = Field(description="The first rows of the report")
    report_url: str
    created_at: datetime


class PreviewOut(BaseModel):
    kind: str
    encoding: str | None
    delimiter: str | None
    has_header: bool
    headers: list[str]
    mapping: dict[str, str | None]
    extras: list[str]
    rows: list[list[str]]
