"""The real gateway with the real Baileys library, offline: WhatsApp is unreachable here, so
every connection fails — which is exactly what these tests need to see handled."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import make_settings
from tests.sessions.helpers import create_session_row
from zapflow.db.engine import create_engine, create_sessionmaker
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.baileys import GATEWAY_DIR, BaileysDriver, Gateway
from zapflow.whatsapp.protocol import CloseReason, ConnectionState, StateEvent

pytestmark = pytest.mark.skipif(
    not (GATEWAY_DIR / "node_modules" / "baileys").exists(),
    reason="gateway not installed (make deps)",
)


async def states(driver: BaileysDriver, count: int, timeout: float = 30) -> list[StateEvent]:
    seen: list[StateEvent] = []

    async def collect() -> None:
        async for event in driver.events():
            if isinstance(event, StateEvent):
                seen.append(event)
                if len(seen) >= count:
                    return

    await asyncio.wait_for(collect(), timeout)
    return seen


@pytest.fixture
async def gateway(
    committed_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, AuthStore, str]]:
    settings = make_settings(committed_url, tmp_path)
    engine = create_engine(committed_url, pool_size=2)
    store = AuthStore(create_sessionmaker(engine), settings.keyring())
    gw = Gateway(store, backoff_ms=(50, 400))
    yield gw, store, committed_url
    await gw.stop()
    await engine.dispose()


async def test_creds_are_created_and_stored_encrypted_never_in_plaintext(
    gateway: tuple[Gateway, AuthStore, str],
) -> None:
    gw, store, url = gateway
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        session_id = create_session_row(url)
        driver = BaileysDriver(gw, session_id)
        await driver.connect()
        await states(driver, 2)
        await driver.close()
    finally:
        logging.getLogger().removeHandler(handler)
    creds = json.loads((await store.get(session_id, "creds", ["creds"]))["creds"] or "{}")
    private_key = creds["noiseKey"]["private"]["data"]  # base64, as BufferJSON writes it
    assert creds["registered"] is False
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT key_version, encode(ciphertext, 'escape'), encode(ciphertext, 'base64') FROM session_auth_keys WHERE session_id = %s",
            (session_id,),
        ).fetchall()
        dump = conn.execute(
            "SELECT string_agg(row_to_json(k)::text, ' ') FROM session_auth_keys k"
        ).fetchone()
    assert rows and rows[0][0] == "k0"
    for secret in (private_key, "noiseKey", "signedIdentityKey"):
        assert secret not in (dump[0] or "")  # type: ignore[index]
    assert private_key not in stream.getvalue()


async def test_connection_failures_are_reported_and_retried_with_growing_backoff(
    gateway: tuple[Gateway, AuthStore, str],
) -> None:
    gw, _store, url = gateway
    driver = BaileysDriver(gw, create_session_row(url))
    await driver.connect()
    seen = await states(driver, 8)
    closes = [e for e in seen if e.state is ConnectionState.close]
    assert len(closes) >= 3
    assert all(e.reason is CloseReason.connection_lost and e.code is not None for e in closes)
    delays = [e.retry_in or 0 for e in closes]
    assert delays[1] > delays[0] and max(delays) <= 0.4 * 1.2 + 0.001
    await driver.close()


async def test_a_killed_gateway_is_restarted_and_the_session_comes_back(
    gateway: tuple[Gateway, AuthStore, str],
) -> None:
    gw, _store, url = gateway
    driver = BaileysDriver(gw, create_session_row(url))
    await driver.connect()
    await states(driver, 2)
    assert gw.process is not None
    first_pid = gw.process.pid
    os.kill(first_pid, signal.SIGKILL)
    after = await states(driver, 4, timeout=30)
    assert any(e.state is ConnectionState.connecting for e in after)
    assert gw.restarts == 1 and gw.process.pid != first_pid
    stats = await gw.call("stats")
    assert stats["sessions"] == 1
    await driver.close()


async def test_a_baileys_session_run_by_a_worker_shows_the_failure_and_its_reason(
    committed_url: str, tmp_path: Path
) -> None:
    from tests.sessions.helpers import (
        api_client,
        eventually,
        fast_settings,
        make_owner,
        running_worker,
    )

    settings = fast_settings(
        committed_url, tmp_path, gateway_backoff_initial_ms=50, gateway_backoff_max_ms=200
    )
    key = make_owner(committed_url)
    headers = {"Authorization": f"Bearer {key}"}
    async with api_client(settings) as client, running_worker(settings) as worker:
        created = await client.post(
            "/api/v1/sessions", json={"name": "Real", "engine": "baileys"}, headers=headers
        )
        sid = created.json()["id"]

        async def closed() -> dict | None:  # type: ignore[type-arg]
            body = (await client.get(f"/api/v1/sessions/{sid}", headers=headers)).json()
            return body if body["status"] == "closed" else None

        body = await eventually(closed, timeout=30)
        assert body["status_reason"] == "connection_lost" and body["worker"] == worker.worker_id  # type: ignore[index]
        history = (await client.get(f"/api/v1/sessions/{sid}/history", headers=headers)).json()
        assert {e["status"] for e in history} >= {"connecting", "closed"}
        assert any(e["details"].get("code") for e in history if e["status"] == "closed")
    with psycopg.connect(committed_url) as conn:
        (versions,) = conn.execute(
            "SELECT array_agg(DISTINCT key_version) FROM session_auth_keys WHERE session_id = %s",
            (sid,),
        ).fetchone()  # type: ignore[misc]
    assert versions == ["k0"]  # creds created by Baileys, stored encrypted
