"""Shared pieces of the campaign tests: a simulator network of the test's own, numbers it
knows, open sessions, and the checks every campaign must pass."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.sessions.helpers import eventually, fast_settings
from zapflow.config import Settings
from zapflow.whatsapp.simulator.network import Delivery, network_for

HOUR = 3600.0


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def settings_for(url: str, tmp_path: Path, **overrides: object) -> Settings:
    seed = random.randint(1, 10**9)  # a network of this test's own
    return fast_settings(url, tmp_path, simulator_seed=seed, **overrides)


def numbers(settings: Settings, *, exist: bool, count: int, area: str = "21") -> list[str]:
    network = network_for(settings.simulator_seed)
    found, n = [], 0
    while len(found) < count:
        phone = f"+55{area}9{n:08d}"
        if network.exists(phone) == exist:
            found.append(phone)
        n += 1
    return found


async def open_session(client: httpx.AsyncClient, key: str, name: str, **fields: object) -> int:
    body = {"name": name, **fields}
    sid = int((await client.post("/api/v1/sessions", json=body, headers=auth(key))).json()["id"])
    await eventually(lambda: session_status(client, key, sid, "qr"), timeout=20)
    await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key))
    await eventually(lambda: session_status(client, key, sid, "open"), timeout=20)
    return sid


async def session_status(client: httpx.AsyncClient, key: str, sid: int, status: str) -> bool:
    found = await client.get(f"/api/v1/sessions/{sid}", headers=auth(key))
    return bool(found.json()["status"] == status)


async def campaign(client: httpx.AsyncClient, key: str, cid: int) -> dict[str, Any]:
    found = await client.get(f"/api/v1/campaigns/{cid}", headers=auth(key))
    assert found.status_code == 200, found.text
    return found.json()  # type: ignore[no-any-return]


async def campaign_in(
    client: httpx.AsyncClient, key: str, cid: int, *statuses: str
) -> dict[str, Any] | None:
    body = await campaign(client, key, cid)
    return body if body["status"] in statuses else None


def outbox(url: str, campaign_id: int) -> dict[str, dict[str, Any]]:
    """The campaign's rows by recipient."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute(
            "SELECT recipient, status, status_reason, wa_message_id, session_id, body, error_code "
            "FROM messages WHERE campaign_id = %s",
            (campaign_id,),
        )
        names = [c.name for c in cursor.description or []]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor}


def assert_caps_held(deliveries: list[Delivery], hourly_cap: int) -> None:
    """No session ever sent more than its cap in any rolling hour (by the network's record)."""
    by_session: dict[int, list[float]] = defaultdict(list)
    for delivery in deliveries:
        by_session[delivery.session_id].append(delivery.at)
    for session_id, times in by_session.items():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while times[start] <= at - HOUR:
                start += 1
            assert end - start + 1 <= hourly_cap, (
                f"session {session_id} sent {end - start + 1} within an hour"
            )


def assert_once_each(deliveries: list[Delivery], recipients: list[str]) -> None:
    received = [d.to for d in deliveries]
    assert sorted(received) == sorted(recipients), "every valid number exactly one message"
