from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zapflow.auth.schemas import StrictModel
from zapflow.models import OptOutSource


class OptOutIn(StrictModel):
    phone: str = Field(min_length=8, max_length=40)
    note: str | None = Field(default=None, max_length=200)


class OptOutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    source: OptOutSource
    keyword: str | None
    note: str | None
    created_at: datetime


class NumberFailureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    session_id: int | None
    message_id: int | None
    error_code: str | None
    reason: str
    at: datetime
