"""Creating campaigns through the API (no worker needed): from a CSV, a list or typed numbers,
media by URL, bad input refused whole, and the ETA of a draft."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.contacts.test_samples import SAMPLES, truth
from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.models import (
    Campaign,
    DesiredState,
    Engine,
    Message,
    SessionStatus,
    User,
    WhatsAppSession,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


async def owner_with_session(db: AsyncSession) -> tuple[User, str, int]:
    user = await create_user(db)
    _key, key = await create_api_key(db, user)
    session = WhatsAppSession(
        user_id=user.id,
        name="Chip",
        engine=Engine.simulator,
        status=SessionStatus.open,
        desired_state=DesiredState.stopped,
        hourly_cap=30,
    )
    db.add(session)
    await db.flush()
    return user, key, session.id


async def test_a_csv_campaign_imports_the_file_and_reports_its_rejected_rows(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _user, key, sid = await owner_with_session(db)
    data = (SAMPLES / "aniversariantes_excel.csv").read_bytes()
    form = {"name": "Aniversariantes", "session_ids": [sid], "text": "Oi {{primeiro_nome}}! 🎂"}
    created = await client.post(
        "/api/v1/campaigns/csv",
        files={"file": ("aniversariantes.csv", data, "text/csv")},
        data={"campaign": json.dumps(form)},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    rows = truth("aniversariantes_excel")
    valid = {str(r["phone"]): r for r in reversed(rows) if r["phone"] is not None}
    assert body["rejected"] == sum(r["phone"] is None for r in rows)
    assert body["campaign"]["total"] == len(valid)
    assert body["campaign"]["audience"]["import_id"] == body["import_id"]
    report = await client.get(body["report_url"], headers=bearer(key))
    assert report.status_code == 200 and report.text.count(";rejected;") == body["rejected"]
    messages = (
        await client.get(
            "/api/v1/messages", params={"campaign_id": body["campaign"]["id"]}, headers=bearer(key)
        )
    ).json()["items"]
    for message in messages:
        first = valid[message["recipient"]]
        if first["name"]:
            assert message["body"] == f"Oi {str(first['name']).split()[0]}! 🎂"


async def test_a_list_campaign_renders_each_contacts_columns(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _user, key, sid = await owner_with_session(db)
    csv = "telefone;nome;cidade\n(11) 98765-4321;Ana Souza;Recife\n21987654321;Bruno;Niterói\n"
    imported = await client.post(
        "/api/v1/contacts/imports",
        files={"file": ("c.csv", csv.encode("cp1252"), "text/csv")},
        data={"list_name": "Clientes"},
        headers=bearer(key),
    )
    list_id = imported.json()["list_id"]
    created = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Cidades",
            "session_ids": [sid],
            "list_id": list_id,
            "text": "{{nome}} de {{cidade}}",
            "min_delay_seconds": 1,
            "max_delay_seconds": 2,
            "send_window_start": "08:00",
            "send_window_end": "20:00",
        },
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["send_window_start"] == "08:00:00" and body["audience"]["list_name"] == "Clientes"
    bodies = sorted(
        m["body"]
        for m in (
            await client.get(
                "/api/v1/messages", params={"campaign_id": body["id"]}, headers=bearer(key)
            )
        ).json()["items"]
    )
    assert bodies == ["Ana Souza de Recife", "Bruno de Niterói"]


async def test_bad_numbers_are_named_and_nothing_is_created(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user, key, sid = await owner_with_session(db)
    response = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "X",
            "session_ids": [sid],
            "numbers": "11987654321, 12345, (21) 98888-7777, 1,2E+12",
            "text": "Oi",
        },
        headers=bearer(key),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'12345'" in detail and "#2" in detail
    count = await db.execute(
        select(func.count()).select_from(Campaign).where(Campaign.user_id == user.id)
    )
    assert count.scalar_one() == 0
    assert (
        await db.execute(
            select(func.count()).select_from(Message).where(Message.user_id == user.id)
        )
    ).scalar_one() == 0


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"numbers": "11987654321"}, "texto"),  # nothing to send
        ({"numbers": "11987654321", "text": "x", "list_id": 1}, "um dos dois"),
        ({"numbers": "11987654321", "text": "x", "max_delay_seconds": 1}, "max_delay"),
        ({"numbers": "11987654321", "text": "x", "send_window_start": "08:00"}, "janela"),
        ({"numbers": "11987654321", "text": "x", "timezone": "Marte/Base"}, "Marte/Base"),
        ({"numbers": "11987654321", "text": "Oi {{nome"}, "Modelo"),
    ],
)
async def test_bad_campaigns_get_a_message_a_person_can_act_on(
    client: httpx.AsyncClient,
    db: AsyncSession,
    payload: dict,
    problem: str,  # type: ignore[type-arg]
) -> None:
    _user, key, sid = await owner_with_session(db)
    response = await client.post(
        "/api/v1/campaigns",
        json={"name": "X", "session_ids": [sid], **payload},
        headers=bearer(key),
    )
    assert response.status_code == 422, response.text
    assert problem in response.json()["detail"]


@pytest.fixture
def media_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/promo.png")
                self.end_headers()
                return
            body = {"/promo.png": PNG, "/page.html": b"<html>oi</html>"}.get(self.path)
            if self.path == "/huge.png":
                body = PNG + b"\0" * (2 * 1024 * 1024)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_media_by_url_is_fetched_once_and_checked(
    client: httpx.AsyncClient,
    db: AsyncSession,
    media_server: str,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    _user, key, sid = await owner_with_session(db)

    async def campaign(url: str) -> httpx.Response:
        return await client.post(
            "/api/v1/campaigns",
            json={
                "name": "Foto",
                "session_ids": [sid],
                "numbers": "11987654321",
                "text": "Legenda",
                "media_url": url,
            },
            headers=bearer(key),
        )

    refused = await campaign(f"{media_server}/promo.png")
    assert refused.status_code == 422 and "interno" in refused.json()["detail"]
    settings.media_url_allow_private = True  # a local server stands in for the internet
    settings.max_media_mb = 1
    try:
        fetched = await campaign(f"{media_server}/moved")
        assert fetched.status_code == 201, fetched.text
        assert fetched.json()["message_type"] == "image" and fetched.json()["media_id"]
        assert (await campaign(f"{media_server}/page.html")).status_code == 422
        assert (await campaign(f"{media_server}/missing.png")).status_code == 422
        assert (await campaign(f"{media_server}/huge.png")).status_code == 413
        assert (await campaign("ftp://example.com/a.png")).status_code == 422
    finally:
        settings.media_url_allow_private = False
        settings.max_media_mb = 16
    media = await client.get(
        f"/api/v1/media/{fetched.json()['media_id']}/content", headers=bearer(key)
    )
    assert media.status_code == 200 and media.content == PNG


async def test_an_estimate_says_when_nobody_can_send(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _user, key, sid = await owner_with_session(db)
    estimate = await client.post(
        "/api/v1/campaigns/estimate",
        json={
            "session_ids": [sid],
            "recipients": 90,
            "min_delay_seconds": 0,
            "max_delay_seconds": 0,
        },
        headers=bearer(key),
    )
    assert estimate.status_code == 200
    assert estimate.json()["per_hour"] == 30 and estimate.json()["finishes_at"] is not None
    session = await db.get(WhatsAppSession, sid)
    assert session is not None
    session.status = SessionStatus.closed
    await db.flush()
    blocked = await client.post(
        "/api/v1/campaigns/estimate",
        json={"session_ids": [sid], "recipients": 90},
        headers=bearer(key),
    )
    assert blocked.json() == {
        "finishes_at": None,
        "remaining": 90,
        "per_hour": 0.0,
        "blocked_reason": "no_session_connected",
    }
