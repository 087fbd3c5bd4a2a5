from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zapflow.auth.schemas import StrictModel
from zapflow.models import MessageSource, MessageStatus, MessageType


class MessageIn(StrictModel):
    """One message to one number, from one session: now, or at `scheduled_at`."""

    session_id: int
    to: str = Field(min_length=8, max_length=40, description="Any common spelling of the number")
    text: str | None = Field(
        default=None, max_length=4096, description="Text, or the caption of media"
    )
    media_id: int | None = None
    media_url: str | None = Field(
        default=None, max_length=2000, description="An image or document fetched once, by URL"
    )
    scheduled_at: datetime | None = Field(
        default=None,
        description="Without an offset it is in your time zone (America/Sao_Paulo by default)",
    )

    @model_validator(mode="after")
    def _something_to_send(self) -> MessageIn:
        if not self.text and self.media_id is None and not self.media_url:
            raise ValueError("envie um texto, um arquivo (media_id) ou um link (media_url)")
        if self.media_id is not None and self.media_url:
            raise ValueError("use media_id ou media_url, não os dois")
        return self


class PreviewIn(StrictModel):
    to: str = Field(
        min_length=8, max_length=40, description="The recipient whose data fills the template"
    )
    text: str = Field(min_length=1, max_length=4096, description="Template: {{nome}}, {Olá|Oi}")
    seed: str = Field(default="preview", max_length=64, description="Picks the spintax variant")


class PreviewOut(BaseModel):
    text: str
    variables: list[str]
    missing: list[str] = Field(
        description="Variables this recipient has no value for (rendered empty)"
    )
    contact_id: int | None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int | None
    campaign_id: int | None
    source: MessageSource
    recipient: str
    message_type: MessageType
    body: str | None
    media_id: int | None
    media_url: str | None = None
    status: MessageStatus
    status_reason: str | None
    wa_message_id: str | None
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")
