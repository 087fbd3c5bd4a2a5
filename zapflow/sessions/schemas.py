from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zapflow.auth.schemas import StrictModel
from zapflow.models import DesiredState, Engine, SessionStatus


class SessionIn(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    engine: Engine | None = Field(
        default=None, description="Default: ZAPFLOW_DEFAULT_WHATSAPP_ENGINE"
    )
    hourly_cap: int | None = Field(default=None, ge=1, le=10_000)
    daily_cap: int | None = Field(default=None, ge=1, le=100_000)
    warmup: bool = Field(
        default=False,
        description="A new number: ramp its caps up over ZAPFLOW_WARMUP_DAYS, starting now",
    )


class SessionUpdateIn(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    hourly_cap: int | None = Field(default=None, ge=1, le=10_000)
    daily_cap: int | None = Field(default=None, ge=1, le=100_000)
    warmup: bool | None = Field(default=None, description="true: start warm-up now; false: end it")
    paused: bool | None = Field(
        default=None, description="false: lift an automatic pause now (after a ban signal)"
    )


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    engine: Engine
    status: SessionStatus
    status_reason: str | None
    phone: str | None
    desired_state: DesiredState
    has_qr: bool
    pairing_code: str | None
    worker: str | None = Field(description="The worker holding the session's lease, if any")
    hourly_cap: int | None
    warmup_started_at: datetime | None = None
    paused_until: datetime | None = None
    pause_reason: str | None = None
    daily_cap: int | None
    connected_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SessionEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    status: SessionStatus
    reason: str | None
    worker_id: str | None
    details: dict[str, Any]


class PairingIn(StrictModel):
    phone: str = Field(
        min_length=8, max_length=40, description="The number to log in, any spelling"
    )


class PairingOut(BaseModel):
    code: str | None
    pending: bool = Field(description="True when the worker has not answered yet: poll the session")


class ScanIn(StrictModel):
    phone: str | None = Field(default=None, max_length=40, description="The number that scans")


class ConfirmPairingIn(StrictModel):
    code: str = Field(min_length=8, max_length=9)


class FaultIn(StrictModel):
    fault: Literal["disconnect", "logout", "ban", "restrict", "rate_overlimit", "inbound"]
    count: int | None = Field(
        default=None, ge=1, le=1000, description="restrict, rate_overlimit: how many sends"
    )
    sender: str | None = Field(default=None, max_length=40, description="inbound: who writes")
    text: str | None = Field(default=None, max_length=4096, description="inbound: what they write")


class CommandOut(BaseModel):
    accepted: bool
    detail: str
