"""Send one message, and read the message log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.messages import service
from zapflow.messages.schemas import MessageIn, MessageOut, MessagePage, PreviewIn, PreviewOut
from zapflow.models import MessageStatus, MessageType
from zapflow.web.deps import AppSettings, DbSession, request_locale

router = APIRouter(tags=["messages"])


@router.post("/messages", response_model=MessageOut, status_code=201)
async def send_message(
    body: MessageIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
) -> MessageOut:
    """Queue a message (text with emoji, or an uploaded image or document with a caption) from
    one of your sessions. It is logged at once; its status follows (sent, delivered, read…)."""
    return MessageOut.model_validate(
        await service.create_individual(db, principal, body, request_locale(request), settings)
    )


@router.post("/messages/preview", response_model=PreviewOut)
async def preview_message(
    body: PreviewIn, request: Request, principal: CurrentPrincipal, db: DbSession
) -> PreviewOut:
    """Render a template for one recipient (its contact's name and columns), without sending."""
    return await service.preview(db, principal, body, request_locale(request))


@router.get("/messages", response_model=MessagePage)
async def message_log(
    principal: CurrentPrincipal,
    db: DbSession,
    status: Annotated[list[MessageStatus] | None, Query()] = None,
    session_id: int | None = None,
    campaign_id: int | None = None,
    message_type: Annotated[MessageType | None, Query(alias="type")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    items, next_cursor = await service.page(
        db,
        principal,
        statuses=status,
        session_id=session_id,
        campaign_id=campaign_id,
        message_type=message_type,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return MessagePage(items=[MessageOut.model_validate(m) for m in items], next_cursor=next_cursor)


@router.get("/messages/{message_id}", response_model=MessageOut)
async def get_message(message_id: int, principal: CurrentPrincipal, db: DbSession) -> MessageOut:
    return MessageOut.model_validate(await service.get(db, principal, message_id))
