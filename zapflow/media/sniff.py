"""What a file really is, from its first bytes — never from its name or the browser's word."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO

from zapflow.models import MessageType


@dataclass(frozen=True)
class Sniffed:
    kind: MessageType
    mime_type: str
    extension: str


_SIGNATURES: list[tuple[bytes, int, Sniffed]] = [
    (b"\xff\xd8\xff", 0, Sniffed(MessageType.image, "image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", 0, Sniffed(MessageType.image, "image/png", "png")),
    (b"%PDF-", 0, Sniffed(MessageType.document, "application/pdf", "pdf")),
]
_OFFICE = {
    "word/": Sniffed(
        MessageType.document,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xl/": Sniffed(
        MessageType.document,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "ppt/": Sniffed(
        MessageType.document,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
}


def sniff(data: bytes) -> Sniffed | None:
    """JPEG, PNG, WebP, PDF, DOCX, XLSX, PPTX; None for anything else."""
    for signature, offset, found in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return found
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed(MessageType.image, "image/webp", "webp")
    if data[:4] == b"PK\x03\x04":
        return _office(data)
    return None


def _office(data: bytes) -> Sniffed | None:
    try:
        names = zipfile.ZipFile(BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, found in _OFFICE.items():
        if any(name.startswith(prefix) for name in names):
            return found
    return None
