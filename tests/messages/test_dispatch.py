"""Individual messages through the outbox: API → worker (dispatcher) → simulator → receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from tests.campaigns.helpers import numbers
from tests.campaigns.helpers import settings_for as campaign_settings
from tests.sessions.helpers import api_client, eventually, make_owner, running_worker
from zapflow.config import Settings
from zapflow.whatsapp.simulator.network import network_for


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def settings_for(url: str, tmp_path: Path, **overrides: object) -> Settings:
    """A network of this test's own, no pause between sends."""
    return campaign_settings(url, tmp_path, **{"send_delay_ms": (0, 0), **overrides})


async def open_session(client: httpx.AsyncClient, key: str, name: str = "Loja") -> int:
    sid = (await client.post("/api/v1/sessions", json={"name": name}, headers=auth(key))).json()[
        "id"
    ]
    await eventually(lambda: _session_status(client, key, sid, "qr"))
    await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key))
    await eventually(lambda: _session_status(client, key, sid, "open"))
    return int(sid)


async def _session_status(client: httpx.AsyncClient, key: str, sid: int, status: str) -> bool:
    return bool(
        (await client.get(f"/api/v1/sessions/{sid}", headers=auth(key))).json()["status"] == status
    )


async def message(client: httpx.AsyncClient, key: str, mid: int) -> dict:  # type: ignore[type-arg]
    return (await client.get(f"/api/v1/messages/{mid}", headers=auth(key))).json()  # type: ignore[no-any-return]


async def status_in(client: httpx.AsyncClient, key: str, mid: int, *statuses: str) -> dict | None:  # type: ignore[type-arg]
    body = await message(client, key, mid)
    return body if body["status"] in statuses else None


async def test_a_message_is_sent_once_and_follows_its_receipts(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    (to,) = numbers(settings, exist=True, count=1)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key)
        created = await client.post(
            "/api/v1/messages",
            json={"session_id": sid, "to": to, "text": "Olá! 🎉"},
            headers=auth(key),
        )
        assert created.status_code == 201 and created.json()["status"] == "queued"
        mid = created.json()["id"]
        done = await eventually(
            lambda: status_in(client, key, mid, "delivered", "read"), timeout=10
        )
    assert done["sent_at"] and done["delivered_at"] and done["wa_message_id"].startswith("3EB0")  # type: ignore[index]
    deliveries = [d for d in network_for(settings.simulator_seed).deliveries if d.to == to]
    assert [(d.message_id, d.kind) for d in deliveries] == [(done["wa_message_id"], "text")]  # type: ignore[index]


async def test_invalid_numbers_and_opt_outs_are_logged_as_such(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    (missing,) = numbers(settings, exist=False, count=1)
    fine, leaver = numbers(settings, exist=True, count=2)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key)
        await client.post(
            f"/api/v1/simulator/sessions/{sid}/faults",
            json={"fault": "inbound", "sender": leaver, "text": "sair"},
            headers=auth(key),
        )
        await eventually(lambda: _opted_out(committed_url, leaver))
        ids = []
        for to in (missing, leaver, fine):
            body = {"session_id": sid, "to": to, "text": "Oi"}
            ids.append(
                (await client.post("/api/v1/messages", json=body, headers=auth(key))).json()["id"]
            )
        invalid = await eventually(lambda: status_in(client, key, ids[0], "invalid_number"))
        skipped = await eventually(lambda: status_in(client, key, ids[1], "skipped"))
        await eventually(lambda: status_in(client, key, ids[2], "sent", "delivered", "read"))
    assert invalid["status_reason"] == "number not on WhatsApp"  # type: ignore[index]
    assert skipped["status_reason"] == "opted_out"  # type: ignore[index]
    assert leaver not in [d.to for d in network_for(settings.simulator_seed).deliveries]


def _opted_out(url: str, phone: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT keyword FROM opt_outs WHERE phone = %s", (phone,)
        ).fetchone() == ("SAIR",)


async def test_a_scheduled_message_leaves_on_time(committed_url: str, tmp_path: Path) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    (to,) = numbers(settings, exist=True, count=1)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key)
        due = datetime.now(UTC) + timedelta(seconds=2)
        body = {"session_id": sid, "to": to, "text": "Feliz Natal", "scheduled_at": due.isoformat()}
        created = (await client.post("/api/v1/messages", json=body, headers=auth(key))).json()
        assert created["status"] == "scheduled"
        sent = await eventually(
            lambda: status_in(client, key, created["id"], "sent", "delivered", "read"),
            timeout=10,
            interval=0.05,
        )
    sent_at = datetime.fromisoformat(sent["sent_at"])  # type: ignore[index]
    assert timedelta(0) <= sent_at - due < timedelta(seconds=1)


async def test_the_hourly_cap_holds_back_the_rest(committed_url: str, tmp_path: Path) -> None:
    settings = settings_for(committed_url, tmp_path, default_hourly_cap=2)
    key = make_owner(committed_url)
    targets = numbers(settings, exist=True, count=3)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key)
        ids = [
            (
                await client.post(
                    "/api/v1/messages",
                    json={"session_id": sid, "to": t, "text": "Oi"},
                    headers=auth(key),
                )
            ).json()["id"]
            for t in targets
        ]
        for mid in ids[:2]:
            await eventually(
                lambda mid=mid: status_in(client, key, mid, "sent", "delivered", "read")
            )
        assert (await message(client, key, ids[2]))["status"] == "queued"


async def test_rows_left_sending_by_a_dead_worker_become_unknown_and_are_not_resent(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    (to,) = numbers(settings, exist=True, count=1)
    async with api_client(settings) as client:
        async with running_worker(settings):
            sid = await open_session(client, key)
        with psycopg.connect(
            committed_url, autocommit=True
        ) as conn:  # as if a worker died mid-send
            row = conn.execute(
                "INSERT INTO messages (user_id, session_id, source, recipient, recipient_kind, message_type, body, status, wa_message_id) "
                "SELECT user_id, id, 'individual', %s, 'phone', 'text', 'Oi', 'sending', '3EB0DEAD' FROM whatsapp_sessions WHERE id = %s RETURNING id",
                (to, sid),
            ).fetchone()
        async with running_worker(settings):
            unknown = await eventually(lambda: status_in(client, key, row[0], "unknown"))  # type: ignore[index]
            await eventually(lambda: _session_status(client, key, sid, "open"))
    assert unknown["status_reason"] == "worker_stopped_while_sending"  # type: ignore[index]
    assert to not in [d.to for d in network_for(settings.simulator_seed).deliveries]


async def test_bad_input_is_refused_and_the_log_filters_and_pages(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    async with api_client(settings) as client:
        sid = (await client.post("/api/v1/sessions", json={"name": "L"}, headers=auth(key))).json()[
            "id"
        ]
        nothing = await client.post(
            "/api/v1/messages", json={"session_id": sid, "to": "11987654321"}, headers=auth(key)
        )
        assert nothing.status_code == 422
        naive = await client.post(
            "/api/v1/messages",
            json={
                "session_id": sid,
                "to": "11987654321",
                "text": "x",
                "scheduled_at": "2030-01-01T09:00:00",
            },
            headers=auth(key),
        )
        # Without an offset, a time is the user's own (America/Sao_Paulo, UTC-3).
        assert naive.status_code == 201 and naive.json()["status"] == "scheduled"
        assert naive.json()["due_at"].startswith("2030-01-01T12:00:00")
        bad_phone = await client.post(
            "/api/v1/messages",
            json={"session_id": sid, "to": "9876-5432", "text": "x"},
            headers=auth(key),
        )
        assert bad_phone.status_code == 422 and "sem DDD" in bad_phone.json()["detail"]
        for n in range(5):
            await client.post(
                "/api/v1/messages",
                json={"session_id": sid, "to": f"1198765432{n}", "text": "x"},
                headers=auth(key),
            )
        first = (
            await client.get("/api/v1/messages?limit=3&status=queued", headers=auth(key))
        ).json()
        second = (
            await client.get(
                f"/api/v1/messages?limit=3&status=queued&cursor={first['next_cursor']}",
                headers=auth(key),
            )
        ).json()
        ids = [m["id"] for m in first["items"] + second["items"]]
        assert len(ids) == 5 == len(set(ids)) and ids == sorted(ids, reverse=True)
        assert (await client.get("/api/v1/messages?status=sent", headers=auth(key))).json()[
            "items"
        ] == []
        assert (
            await client.get("/api/v1/messages?cursor=garbage", headers=auth(key))
        ).status_code == 422
