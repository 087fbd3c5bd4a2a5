"""Upload images and documents for messages; download them back (owner only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.media import service
from zapflow.models import MessageType
from zapflow.web.deps import AppSettings, DbSession
from zapflow.web.uploads import read_limited

router = APIRouter(tags=["media"])


class MediaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MessageType
    mime_type: str
    size_bytes: int
    sha256: str
    original_filename: str | None
    created_at: datetime


@router.post("/media", response_model=MediaOut, status_code=201)
async def upload_media(
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
) -> MediaOut:
    """JPEG, PNG or WebP images; PDF, DOCX, XLSX or PPTX documents; up to ZAPFLOW_MAX_MEDIA_MB.
    The type is read from the content, not from the file name."""
    data = await read_limited(file, settings.max_media_mb * 1024 * 1024, "media.too_large")
    return MediaOut.model_validate(
        await service.store(db, principal, settings, data, file.filename)
    )


@router.get("/media/{media_id}", response_model=MediaOut)
async def get_media(media_id: int, principal: CurrentPrincipal, db: DbSession) -> MediaOut:
    return MediaOut.model_validate(await service.get(db, principal, media_id))


@router.get("/media/{media_id}/content", response_class=FileResponse)
async def media_content(
    media_id: int, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> FileResponse:
    media = await service.get(db, principal, media_id)
    return FileResponse(
        service.path_of(settings, media),
        media_type=media.mime_type,
        filename=media.original_filename or media.storage_name.rsplit("/", 1)[-1],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
