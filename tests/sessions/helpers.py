"""Helpers for session tests: a worker running in the test's event loop, on a committed DB."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import psycopg

from tests.conftest import make_settings, random_ip
from zapflow.api import create_app
from zapflow.auth.secrets import hash_password, new_api_key
from zapflow.config import Settings
from zapflow.db.engine import create_engine
from zapflow.worker.process import Worker

FAST = {"lease_ttl_seconds": 3.0, "lease_renew_seconds": 0.5, "simulator_qr_seconds": 0.5}


def fast_settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(url, tmp_path, **{**FAST, **overrides})


def make_owner(url: str, email: str = "dona@loja.com.br") -> str:
    """A user and an API key, committed; returns the key."""
    new = new_api_key()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO users (email, name, password_hash, role) VALUES (%s, 'Dona', %s, 'operator') RETURNING id",
            (email, hash_password("senha-da-dona-1")),
        ).fetchone()
        conn.execute(
            "INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES (%s, 'k', %s, %s)",
            (row[0], new.prefix, new.key_hash),  # type: ignore[index]
        )
    return new.plaintext


def create_session_row(url: str, engine: str = "baileys") -> int:
    """A stopped session (no worker will take it) of a fresh owner, committed."""
    make_owner(url, email=f"owner-{uuid.uuid4().hex[:8]}@example.com")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO whatsapp_sessions (user_id, name, engine, status, desired_state) "
            "SELECT id, %s, %s, 'disconnected', 'stopped' FROM users ORDER BY id DESC LIMIT 1 "
            "RETURNING id",
            (f"s-{uuid.uuid4().hex[:6]}", engine),
        ).fetchone()
    return int(row[0])  # type: ignore[index]


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(settings.database_url or "", pool_size=4)
    transport = httpx.ASGITransport(app=create_app(settings, engine), client=(random_ip(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    await engine.dispose()


@asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[Worker]:
    engine = create_engine(settings.database_url or "", pool_size=4)
    worker = Worker(settings, engine, settings.database_url)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop.set()
        await asyncio.wait_for(task, 20)
        await engine.dispose()


async def eventually(
    check: Callable[[], object], timeout: float = 10.0, interval: float = 0.1
) -> object:
    """Await `check()` (sync or async) until truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


@asynccontextmanager
async def served_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a real uvicorn on loopback: for streaming responses, which the in-memory
    ASGI transport buffers whole."""
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine(settings.database_url or "", pool_size=4)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=10, interval=0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await engine.dispose()
