"""Uploaded images and documents: size-limited, type-sniffed, stored outside the web root
under generated names (`<data dir>/media/<owner>/<uuid>.<ext>`), served only to their owner."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal, get_owned
from zapflow.config import Settings
from zapflow.errors import Invalid
from zapflow.media.sniff import sniff
from zapflow.models import MediaFile


def media_root(settings: Settings) -> Path:
    return settings.data_dir / "media"


def _safe_filename(name: str | None) -> str | None:
    if not name:
        return None
    base = os.path.basename(name.replace("\\", "/")).strip()
    return base[:255] or None


async def store(
    db: AsyncSession, principal: Principal, settings: Settings, data: bytes, filename: str | None
) -> MediaFile:
    found = sniff(data)
    if found is None:
        raise Invalid("media.unsupported_type")
    storage_name = f"{principal.user_id}/{uuid.uuid4().hex}.{found.extension}"
    path = media_root(settings) / storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)  # a crash never leaves half a file under the final name
    media = MediaFile(
        user_id=principal.user_id,
        kind=found.kind,
        mime_type=found.mime_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=storage_name,
        original_filename=_safe_filename(filename),
    )
    db.add(media)
    await db.flush()
    return media


async def get(db: AsyncSession, principal: Principal, media_id: int) -> MediaFile:
    return await get_owned(db, principal, MediaFile, media_id, "media")


def path_of(settings: Settings, media: MediaFile) -> Path:
    return media_root(settings) / media.storage_name
