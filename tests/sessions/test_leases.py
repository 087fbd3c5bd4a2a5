"""Sessions owned by worker processes: takeover after SIGKILL, and fencing when a worker loses
its database (it stops its sockets before its lease can expire)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers.processes import running, zapflow_env
from tests.sessions.helpers import api_client, eventually, fast_settings, make_owner

LEASE_ENV = {
    "ZAPFLOW_LEASE_TTL_SECONDS": "4",
    "ZAPFLOW_LEASE_RENEW_SECONDS": "1",
    "ZAPFLOW_SIMULATOR_QR_SECONDS": "1",
}


def session_row(url: str, sid: int) -> tuple[str, str | None]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT status, CASE WHEN lease_expires_at > now() THEN lease_owner END FROM whatsapp_sessions WHERE id = %s",
            (sid,),
        ).fetchone()
    return row  # type: ignore[return-value]


async def open_session(url: str, tmp_path: Path, key: str) -> int:
    settings = fast_settings(url, tmp_path)
    async with api_client(settings) as client:
        headers = {"Authorization": f"Bearer {key}"}
        sid = (
            await client.post("/api/v1/sessions", json={"name": "Loja"}, headers=headers)
        ).json()["id"]
        await eventually(lambda: session_row(url, sid)[0] == "qr", timeout=20)
        await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=headers)
        await eventually(lambda: session_row(url, sid)[0] == "open", timeout=20)
    return int(sid)


def log_events(path: Path) -> list[dict]:  # type: ignore[type-arg]
    events = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return events


async def test_when_a_worker_is_killed_another_takes_its_sessions_without_a_new_qr(
    committed_url: str, tmp_path: Path
) -> None:
    key = make_owner(committed_url)
    env = zapflow_env(tmp_path, committed_url, **LEASE_ENV)
    with (
        running(["worker"], env, tmp_path / "a.log") as a,
        running(["worker"], env, tmp_path / "b.log") as b,
    ):
        sid = await open_session(committed_url, tmp_path, key)
        holder = session_row(committed_url, sid)[1]
        assert holder is not None
        victim, survivor = (a, b) if holder.endswith(_suffix(a.pid, holder)) else (b, a)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        new_holder = await eventually(
            lambda: _held_by_other(committed_url, sid, holder), timeout=20
        )
        assert str(survivor.pid) in str(new_holder)
        await eventually(lambda: session_row(committed_url, sid)[0] == "open", timeout=10)
    with psycopg.connect(committed_url) as conn:
        statuses = [
            r[0]
            for r in conn.execute(
                "SELECT status FROM session_events WHERE session_id = %s ORDER BY id", (sid,)
            )
        ]
    assert statuses.count("qr") == 1  # the second worker reconnected with the stored creds
    assert statuses[-2:] == ["connecting", "open"]


def _suffix(pid: int, holder: str) -> str:
    return holder if f"-{pid}-" in holder else "\0"


def _held_by_other(url: str, sid: int, old: str) -> str | None:
    owner = session_row(url, sid)[1]
    return owner if owner and owner != old else None


class CuttableProxy:
    """A TCP proxy to PostgreSQL that a test can cut, like a network partition."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.cut = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while not self.cut and (data := src.recv(65536)):
                dst.sendall(data)
        except OSError:
            pass

    def partition(self) -> None:
        """Stop forwarding without closing: packets vanish, as when a network breaks."""
        self.cut = True


def tcp_target(url: str) -> tuple[str, int] | None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.hostname and not parsed.hostname.startswith("/") and "host=/" not in url:
        return parsed.hostname, parsed.port or 5432
    return None


async def test_a_worker_that_cannot_renew_stops_its_sockets_before_the_lease_expires(
    committed_url: str, tmp_path: Path
) -> None:
    target = tcp_target(committed_url)
    if target is None:
        pytest.skip("needs PostgreSQL over TCP (TEST_DATABASE_URL) to put a proxy in between")
    proxy = CuttableProxy(target)
    proxied = committed_url.replace(f"{target[0]}:{target[1]}", f"127.0.0.1:{proxy.port}")
    key = make_owner(committed_url)
    env_a = zapflow_env(tmp_path, proxied, **LEASE_ENV)
    env_b = zapflow_env(tmp_path, committed_url, **LEASE_ENV)
    with running(["worker"], env_a, tmp_path / "a.log"):
        sid = await open_session(committed_url, tmp_path, key)
        proxy.partition()
        cut_at = time.time()
        with running(["worker"], env_b, tmp_path / "b.log"):
            await eventually(
                lambda: "lease_fence_tripped" in (tmp_path / "a.log").read_text(), timeout=15
            )
            await eventually(
                lambda: (
                    session_row(committed_url, sid)[0] == "open"
                    and "session_leased" in (tmp_path / "b.log").read_text()
                ),
                timeout=20,
            )
            await asyncio.sleep(0.5)
    fence = next(
        e for e in log_events(tmp_path / "a.log") if e.get("event") == "lease_fence_tripped"
    )
    taken = next(e for e in log_events(tmp_path / "b.log") if e.get("event") == "session_leased")
    released = next(
        e for e in log_events(tmp_path / "a.log") if e.get("event") == "session_released"
    )
    assert released["reason"] == "lease_not_renewed"
    from datetime import datetime

    fence_at = datetime.fromisoformat(fence["timestamp"]).timestamp()
    taken_at = datetime.fromisoformat(taken["timestamp"]).timestamp()
    assert fence_at < taken_at, "the cut-off worker stopped before the other took over"
    assert fence_at - cut_at < 4  # within the lease TTL
