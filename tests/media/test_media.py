from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.config import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
async def key(db: AsyncSession) -> str:
    _key, plaintext = await create_api_key(db, await create_user(db))
    return plaintext


@pytest.mark.parametrize(
    ("data", "name", "kind", "mime"),
    [
        (PNG, "foto.png", "image", "image/png"),
        (JPEG, "foto.exe", "image", "image/jpeg"),  # the content decides, not the name
        (PDF, "boleto.pdf", "document", "application/pdf"),
        (
            docx(),
            "contrato.docx",
            "document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
async def test_uploads_are_typed_by_their_content_and_stored_outside_the_web_root(
    client: httpx.AsyncClient,
    key: str,
    settings: Settings,
    data: bytes,
    name: str,
    kind: str,
    mime: str,
) -> None:
    response = await client.post(
        "/api/v1/media",
        files={"file": (name, data, "application/octet-stream")},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["mime_type"], body["size_bytes"]) == (kind, mime, len(data))
    stored = list((settings.data_dir / "media").rglob("*.*"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert (
        name.split(".", maxsplit=1)[0] not in stored[0].name
    )  # a generated name, never the user's
    content = await client.get(f"/api/v1/media/{body['id']}/content", headers=bearer(key))
    assert content.content == data and content.headers["content-type"].startswith(mime)
    assert content.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00 windows executable",
        b"<html><script>alert(1)</script>",
        b"PK\x03\x04 not a zip",
        b"",
    ],
)
async def test_other_types_are_refused_with_a_clear_message(
    client: httpx.AsyncClient, key: str, settings: Settings, data: bytes
) -> None:
    response = await client.post(
        "/api/v1/media", files={"file": ("x.png", data, "image/png")}, headers=bearer(key)
    )
    assert response.status_code == 422
    assert "Tipo de arquivo não aceito" in response.json()["detail"]
    assert not (settings.data_dir / "media").exists() or not list(
        (settings.data_dir / "media").rglob("*.*")
    )


async def test_uploads_over_the_limit_are_413(
    client: httpx.AsyncClient, key: str, settings: Settings
) -> None:
    settings.max_media_mb = 1
    response = await client.post(
        "/api/v1/media", files={"file": ("big.png", PNG + b"\x00" * 2_000_000)}, headers=bearer(key)
    )
    assert response.status_code == 413 and "1 MB" in response.json()["detail"]


async def test_path_tricks_in_file_names_are_harmless(
    client: httpx.AsyncClient, key: str, settings: Settings
) -> None:
    response = await client.post(
        "/api/v1/media", files={"file": ("../../etc/passwd.png", PNG)}, headers=bearer(key)
    )
    assert response.json()["original_filename"] == "passwd.png"
    assert all(
        settings.data_dir / "media" in p.parents for p in (settings.data_dir / "media").rglob("*.*")
    )
