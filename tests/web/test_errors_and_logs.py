from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.helpers.users import DEFAULT_PASSWORD, bearer, create_api_key, create_user
from zapflow.api import create_app
from zapflow.config import Settings
from zapflow.logging import configure_logging, redact_secrets


async def test_unknown_address_has_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nada-aqui")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Endereço não encontrado."}


async def test_wrong_method_has_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.put("/healthz")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123-def-456"})
    assert echoed.headers["x-request-id"] == "abc-123-def-456"
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert unsafe.headers["x-request-id"] != "<script>alert(1)</script>"


async def test_unexpected_errors_are_500_with_the_request_id_and_no_trace(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings, engine)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("segredo interno")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/boom", headers={"X-Request-ID": "req-00000001"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert "req-00000001" in body["detail"]
    assert "segredo" not in response.text


@pytest.fixture
def captured_logs(settings: Settings) -> io.StringIO:
    configure_logging(settings)
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    return stream


async def test_logs_are_json_and_hold_no_password_cookie_or_key(
    client: httpx.AsyncClient, db: AsyncSession, captured_logs: io.StringIO
) -> None:
    user = await create_user(db)
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    session_cookie = login.cookies["zapflow_session"]
    csrf = login.json()["csrf_token"]
    _key, plaintext = await create_api_key(db, user)
    await client.get("/api/v1/auth/me?token=" + plaintext, headers=bearer(plaintext))
    await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "senha-errada-123"}
    )
    output = captured_logs.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(
        line.get("event") == "http_request" and line.get("path") == "/api/v1/auth/me"
        for line in lines
    )
    for secret in (DEFAULT_PASSWORD, "senha-errada-123", session_cookie, csrf, plaintext):
        assert secret not in output


def test_redaction_masks_secret_fields_and_our_credentials_anywhere() -> None:
    event = {
        "event": "something zfk_abcd1234_secretsecretsecret happened",
        "password": "hunter2",
        "headers": {"Authorization": "Bearer x", "accept": "json"},
        "creds": {"noiseKey": "..."},
        "user_id": 7,
    }
    out = redact_secrets(None, "info", event)
    assert out["password"] == "[redacted]"
    assert out["headers"] == {"Authorization": "[redacted]", "accept": "json"}
    assert out["creds"] == "[redacted]"
    assert "zfk_abcd1234" not in out["event"]
    assert out["user_id"] == 7
