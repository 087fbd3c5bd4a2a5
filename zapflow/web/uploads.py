"""Reading uploads with a hard size limit, without trusting Content-Length."""

from __future__ import annotations

from fastapi import UploadFile

from zapflow.errors import TooLarge

CHUNK = 1024 * 1024


async def read_limited(
    upload: UploadFile, limit_bytes: int, message_key: str = "import.too_large"
) -> bytes:
    parts: list[bytes] = []
    total = 0
    while chunk := await upload.read(CHUNK):
        total += len(chunk)
        if total > limit_bytes:
            raise TooLarge(message_key, limit_mb=limit_bytes // (1024 * 1024))
        parts.append(chunk)
    return b"".join(parts)
