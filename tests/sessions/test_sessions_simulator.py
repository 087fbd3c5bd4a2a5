"""Sessions end to end: the API, a real worker (in this process) and the simulator."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg

from tests.sessions.helpers import (
    api_client,
    eventually,
    fast_settings,
    make_owner,
    running_worker,
    served_api,
)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def status_of(client: httpx.AsyncClient, key: str, session_id: int) -> dict:  # type: ignore[type-arg]
    return (await client.get(f"/api/v1/sessions/{session_id}", headers=auth(key))).json()  # type: ignore[no-any-return]


async def test_create_scan_open_and_reconnect_without_qr_after_a_worker_restart(
    committed_url: str, tmp_path: Path
) -> None:
    settings = fast_settings(committed_url, tmp_path)
    key = make_owner(committed_url)
    async with api_client(settings) as client:
        async with running_worker(settings):
            created = await client.post(
                "/api/v1/sessions", json={"name": "Loja"}, headers=auth(key)
            )
            assert created.status_code == 201 and created.json()["engine"] == "simulator"
            sid = created.json()["id"]
            await eventually(lambda: _has_qr(client, key, sid))
            png = await client.get(f"/api/v1/sessions/{sid}/qr.png", headers=auth(key))
            assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
            svg = await client.get(f"/api/v1/sessions/{sid}/qr.svg", headers=auth(key))
            assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
            scanned = await client.post(
                f"/api/v1/simulator/sessions/{sid}/scan",
                json={"phone": "(11) 98888-7777"},
                headers=auth(key),
            )
            assert scanned.status_code == 200
            opened = await eventually(lambda: _status_is(client, key, sid, "open"))
            assert opened["phone"] == "+5511988887777" and opened["worker"]
        # The worker stopped (and released its lease). A new one reconnects with the stored creds.
        stopped = await status_of(client, key, sid)
        assert (stopped["status"], stopped["status_reason"], stopped["worker"]) == (
            "disconnected",
            "worker_stopping",
            None,
        )
        async with running_worker(settings):
            await eventually(lambda: _status_is(client, key, sid, "open"))
        history = (await client.get(f"/api/v1/sessions/{sid}/history", headers=auth(key))).json()
        statuses = [e["status"] for e in reversed(history)]
        assert statuses[:4] == ["connecting", "qr", "open", "connecting"]
        assert statuses[-1] == "open" and statuses.count("qr") == 1


async def _has_qr(client: httpx.AsyncClient, key: str, sid: int) -> bool:
    return bool((await status_of(client, key, sid))["has_qr"])


async def _status_is(client: httpx.AsyncClient, key: str, sid: int, status: str) -> dict | None:  # type: ignore[type-arg]
    body = await status_of(client, key, sid)
    return body if body["status"] == status else None


async def test_pairing_code_login(committed_url: str, tmp_path: Path) -> None:
    settings = fast_settings(committed_url, tmp_path, simulator_qr_seconds=30)
    key = make_owner(committed_url)
    async with api_client(settings) as client, running_worker(settings):
        sid = (
            await client.post("/api/v1/sessions", json={"name": "Par"}, headers=auth(key))
        ).json()["id"]
        await eventually(lambda: _has_qr(client, key, sid))
        answer = await client.post(
            f"/api/v1/sessions/{sid}/pairing-code",
            json={"phone": "21 99876-5432"},
            headers=auth(key),
        )
        code = answer.json()["code"]
        assert answer.status_code == 200 and len(code) == 9 and code[4] == "-"
        wrong = await client.post(
            f"/api/v1/simulator/sessions/{sid}/pairing/confirm",
            json={"code": "ZZZZ-ZZZZ"},
            headers=auth(key),
        )
        assert wrong.status_code == 409
        right = await client.post(
            f"/api/v1/simulator/sessions/{sid}/pairing/confirm",
            json={"code": code},
            headers=auth(key),
        )
        assert right.status_code == 200
        opened = await eventually(lambda: _status_is(client, key, sid, "open"))
        assert opened["phone"] == "+5521998765432"


async def test_faults_disconnect_reconnects_logout_wipes_keys_ban_stops(
    committed_url: str, tmp_path: Path
) -> None:
    settings = fast_settings(committed_url, tmp_path)
    key = make_owner(committed_url)
    async with api_client(settings) as client, running_worker(settings):
        sids = []
        for name in ("A", "B", "C"):
            sid = (
                await client.post("/api/v1/sessions", json={"name": name}, headers=auth(key))
            ).json()["id"]
            await eventually(lambda sid=sid: _has_qr(client, key, sid))
            await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key))
            await eventually(lambda sid=sid: _status_is(client, key, sid, "open"))
            sids.append(sid)
        a, b, c = sids
        await client.post(
            f"/api/v1/simulator/sessions/{a}/faults",
            json={"fault": "disconnect"},
            headers=auth(key),
        )
        await eventually(lambda: _status_is(client, key, a, "closed"), timeout=5, interval=0.02)
        await eventually(lambda: _status_is(client, key, a, "open"))
        await client.post(
            f"/api/v1/simulator/sessions/{b}/faults", json={"fault": "logout"}, headers=auth(key)
        )
        logged_out = await eventually(lambda: _status_is(client, key, b, "logged_out"))
        assert logged_out["desired_state"] == "stopped"
        await client.post(
            f"/api/v1/simulator/sessions/{c}/faults", json={"fault": "ban"}, headers=auth(key)
        )
        banned = await eventually(lambda: _status_is(client, key, c, "banned"))
        assert banned["status_reason"] == "forbidden" and banned["desired_state"] == "stopped"
    with psycopg.connect(committed_url) as conn:
        keys = dict(
            conn.execute(
                "SELECT session_id, count(*) FROM session_auth_keys GROUP BY session_id"
            ).fetchall()
        )
        kinds = [
            r[0] for r in conn.execute("SELECT kind FROM notifications ORDER BY id").fetchall()
        ]
    assert keys.get(b) is None and keys[a] == 1 and keys[c] == 1
    assert kinds == ["session_disconnected", "session_logged_out", "session_banned"]


async def test_restart_and_logout_and_delete_through_the_api(
    committed_url: str, tmp_path: Path
) -> None:
    settings = fast_settings(committed_url, tmp_path)
    key = make_owner(committed_url)
    async with api_client(settings) as client, running_worker(settings):
        sid = (await client.post("/api/v1/sessions", json={"name": "R"}, headers=auth(key))).json()[
            "id"
        ]
        await eventually(lambda: _has_qr(client, key, sid))
        await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key))
        await eventually(lambda: _status_is(client, key, sid, "open"))
        restarted = await client.post(f"/api/v1/sessions/{sid}/restart", headers=auth(key))
        assert restarted.status_code == 202
        await eventually(lambda: _status_is(client, key, sid, "open"))
        logout = await client.post(f"/api/v1/sessions/{sid}/logout", headers=auth(key))
        assert logout.status_code == 202
        await eventually(lambda: _status_is(client, key, sid, "logged_out"))
        again = await client.post(f"/api/v1/sessions/{sid}/restart", headers=auth(key))
        assert again.json()["detail"] == "Iniciando a sessão."
        await eventually(lambda: _has_qr(client, key, sid))  # a new QR: the keys were wiped
        assert (
            await client.delete(f"/api/v1/sessions/{sid}", headers=auth(key))
        ).status_code == 204
        assert (await client.get(f"/api/v1/sessions/{sid}", headers=auth(key))).status_code == 404


async def test_sse_stream_sends_each_new_qr_and_the_open(
    committed_url: str, tmp_path: Path
) -> None:
    settings = fast_settings(committed_url, tmp_path, simulator_qr_seconds=0.3)
    key = make_owner(committed_url)
    async with served_api(settings) as client, running_worker(settings):
        sid = (await client.post("/api/v1/sessions", json={"name": "S"}, headers=auth(key))).json()[
            "id"
        ]
        events: list[dict] = []  # type: ignore[type-arg]
        import json

        async with client.stream(
            "GET", f"/api/v1/sessions/{sid}/stream", headers=auth(key)
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    qrs = {e["qr"] for e in events if e["qr"]}
                    if len(qrs) == 2 and not any(e["status"] == "open" for e in events):
                        await client.post(
                            f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key)
                        )
                    if events[-1]["status"] == "open":
                        break
        assert len({e["qr"] for e in events if e["qr"]}) >= 2
        assert events[-1]["status"] == "open" and events[-1]["qr"] is None


async def test_bad_input_and_simulator_switch(committed_url: str, tmp_path: Path) -> None:
    settings = fast_settings(committed_url, tmp_path)
    key = make_owner(committed_url)
    async with api_client(settings) as client:
        assert (
            await client.post(
                "/api/v1/sessions", json={"name": "X", "engine": "whatsmeow"}, headers=auth(key)
            )
        ).status_code == 422
        assert (
            await client.post("/api/v1/sessions", json={"name": ""}, headers=auth(key))
        ).status_code == 422
        first = await client.post("/api/v1/sessions", json={"name": "Dup"}, headers=auth(key))
        dup = await client.post("/api/v1/sessions", json={"name": "Dup"}, headers=auth(key))
        assert dup.status_code == 409 and "Dup" in dup.json()["detail"]
        sid = first.json()["id"]
        assert (
            await client.get(f"/api/v1/sessions/{sid}/qr.png", headers=auth(key))
        ).status_code == 404
        fault = await client.post(
            f"/api/v1/simulator/sessions/{sid}/faults", json={"fault": "meteor"}, headers=auth(key)
        )
        assert fault.status_code == 422
    production_like = fast_settings(committed_url, tmp_path, simulator_enabled=False)
    async with api_client(production_like) as client:
        assert (
            await client.post(f"/api/v1/simulator/sessions/{sid}/scan", json={}, headers=auth(key))
        ).status_code == 404
        refused = await client.post(
            "/api/v1/sessions", json={"name": "Sim", "engine": "simulator"}, headers=auth(key)
        )
        assert refused.status_code == 422
