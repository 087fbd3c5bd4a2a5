from __future__ import annotations

from datetime import datetime, time

from pydantic import BaseModel, Field, model_validator

from zapflow.auth.schemas import StrictModel
from zapflow.models import CampaignStatus, MessageType


class Pacing(StrictModel):
    """How fast a campaign may go, on top of each session's caps."""

    min_delay_seconds: float = Field(default=8, ge=0, le=3600)
    max_delay_seconds: float = Field(default=25, ge=0, le=3600)
    send_window_start: time | None = Field(
        default=None, description="e.g. 08:00, in each recipient's time zone"
    )
    send_window_end: time | None = Field(default=None, description="e.g. 20:00")

    @model_validator(mode="after")
    def _consistent(self) -> Pacing:
        if self.max_delay_seconds < self.min_delay_seconds:
            raise ValueError("max_delay_seconds deve ser maior ou igual a min_delay_seconds")
        if (self.send_window_start is None) != (self.send_window_end is None):
            raise ValueError("informe o início e o fim da janela de envio, ou nenhum dos dois")
        return self


class CampaignBase(Pacing):
    name: str = Field(min_length=1, max_length=200)
    session_ids: list[int] = Field(
        min_length=1, max_length=50, description="The pool of sessions it rotates across"
    )
    text: str | None = Field(
        default=None, max_length=4096, description="Template: {{nome}}, any column, {Olá|Oi}"
    )
    media_id: int | None = None
    media_url: str | None = Field(
        default=None, max_length=2000, description="Fetched once, like an upload"
    )
    scheduled_at: datetime | None = Field(
        default=None, description="Without an offset: in `timezone`"
    )
    timezone: str | None = Field(default=None, description="Default: your own time zone")

    @model_validator(mode="after")
    def _something_to_send(self) -> CampaignBase:
        if not self.text and self.media_id is None and not self.media_url:
            raise ValueError("envie um texto, um arquivo (media_id) ou um link (media_url)")
        if self.media_id is not None and self.media_url:
            raise ValueError("use media_id ou media_url, não os dois")
        return self


class CampaignIn(CampaignBase):
    """A campaign to typed numbers or to a contact list (for a CSV: POST /campaigns/csv)."""

    numbers: str | list[str] | None = Field(
        default=None, description="Comma, semicolon or line separated, or a JSON list"
    )
    list_id: int | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignIn:
        if (self.numbers is None) == (self.list_id is None):
            raise ValueError("escolha os destinatários: numbers ou list_id (um dos dois)")
        return self


class CampaignCsvIn(CampaignBase):
    """The `campaign` field of POST /campaigns/csv: the recipients come in the file."""

    default_area_code: str | None = Field(default=None, pattern=r"^\d{2}$")
    mapping: dict[str, str] | None = None


class EstimateIn(Pacing):
    session_ids: list[int] = Field(min_length=1, max_length=50)
    recipients: int = Field(ge=0, le=10_000_000)
    scheduled_at: datetime | None = None
    timezone: str | None = None


class EtaOut(BaseModel):
    finishes_at: datetime | None = Field(description="None when no session of the pool can send")
    remaining: int
    per_hour: float = Field(description="What the pool can send in an hour, at most")
    blocked_reason: str | None = None


class CampaignOut(BaseModel):
    id: int
    name: str
    status: CampaignStatus
    message_type: MessageType
    body_template: str | None
    media_id: int | None
    media_url: str | None
    session_ids: list[int]
    audience: dict[str, object]
    scheduled_at: datetime | None
    timezone: str
    min_delay_seconds: float
    max_delay_seconds: float
    send_window_start: time | None
    send_window_end: time | None
    counts: dict[str, int] = Field(description="Messages by status")
    total: int
    eta: EtaOut | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class CsvCampaignOut(BaseModel):
    campaign: CampaignOut
    import_id: int
    rejected: int
    report_url: str
