"""Campaigns end to end on the simulator, with a clock that lets hours pass in seconds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from tests.campaigns.helpers import (
    assert_caps_held,
    assert_once_each,
    auth,
    campaign,
    campaign_in,
    numbers,
    open_session,
    outbox,
    settings_for,
)
from tests.sessions.helpers import api_client, eventually, make_owner, running_worker
from zapflow.whatsapp.simulator.network import network_for


async def test_a_capped_campaign_over_three_sessions(committed_url: str, tmp_path: Path) -> None:
    # An hour passes in one second: 115 recipients over 3 sessions capped at 20/hour.
    settings = settings_for(committed_url, tmp_path, clock_speed=3600)
    key = make_owner(committed_url)
    valid = numbers(settings, exist=True, count=100)
    invalid = numbers(settings, exist=False, count=10)
    opted_out = valid[:5]
    typed = [f"({p[3:5]}) {p[5:10]}-{p[10:]}" for p in valid + invalid]  # as people type them
    async with api_client(settings) as client, running_worker(settings):
        for phone in opted_out:
            added = await client.post("/api/v1/opt-outs", json={"phone": phone}, headers=auth(key))
            assert added.status_code == 201, added.text
        sids = [await open_session(client, key, f"Chip {i}", hourly_cap=20) for i in range(3)]
        created = await client.post(
            "/api/v1/campaigns",
            json={
                "name": "Promoção de Natal 🎄",
                "session_ids": sids,
                "numbers": ", ".join(typed),
                "text": "{Olá|Oi} {{nome}}! Feliz Natal 🎄",
            },
            headers=auth(key),
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["total"] == 110 and body["counts"]["skipped"] == 5
        assert body["eta"]["finishes_at"] is not None and body["eta"]["per_hour"] == 60
        try:
            done = await eventually(
                lambda: campaign_in(client, key, body["id"], "completed"), timeout=30
            )
        except AssertionError as stuck:  # say where it stood
            sessions = (await client.get("/api/v1/sessions", headers=auth(key))).json()
            state = await campaign(client, key, body["id"])
            raise AssertionError(f"{state} {sessions}") from stuck
    rows = outbox(committed_url, body["id"])
    deliveries = [d for d in network_for(settings.simulator_seed).deliveries]
    to_send = [p for p in valid if p not in opted_out]
    assert_once_each(deliveries, to_send)
    assert_caps_held(deliveries, 20)
    assert {d.session_id for d in deliveries} == set(sids)  # the pool rotated
    for phone in invalid:
        assert rows[phone]["status"] == "invalid_number", rows[phone]
    for phone in opted_out:
        assert (rows[phone]["status"], rows[phone]["status_reason"]) == ("skipped", "opted_out")
    assert {rows[p]["status"] for p in to_send} <= {"sent", "delivered", "read"}
    assert all(rows[p]["body"].endswith("Feliz Natal 🎄") for p in to_send)
    assert done["counts"].get("queued", 0) == 0 and done["eta"] is None  # type: ignore[index]
    with psycopg.connect(committed_url) as conn:
        checked = conn.execute(
            "SELECT count(*) FROM number_checks WHERE phone = ANY(%s) AND NOT on_whatsapp",
            (invalid,),
        ).fetchone()
        finished = conn.execute(
            "SELECT payload FROM notifications WHERE campaign_id = %s AND kind = 'campaign_finished'",
            (body["id"],),
        ).fetchall()
    assert checked == (10,)  # invalid numbers were found by the check, never sent to
    assert len(finished) == 1 and finished[0][0]["counts"]["skipped"] == 5


PAUSE_REASONS = {"restrict": "session_restricted", "rate_overlimit": "session_overlimit"}


@pytest.mark.parametrize("fault", ["restrict", "rate_overlimit", "ban"])
async def test_a_session_in_trouble_mid_campaign_hands_its_work_to_the_pool(
    committed_url: str, tmp_path: Path, fault: str
) -> None:
    # a 429 pause longer than the campaign, so "nothing after" holds for it too
    settings = settings_for(
        committed_url, tmp_path, clock_speed=600, pause_on_overlimit_minutes=600
    )
    key = make_owner(committed_url)
    valid = numbers(settings, exist=True, count=60)
    network = network_for(settings.simulator_seed)
    async with api_client(settings) as client, running_worker(settings):
        sids = [await open_session(client, key, f"Chip {i}", hourly_cap=20) for i in range(3)]
        victim = sids[0]
        created = await client.post(
            "/api/v1/campaigns",
            json={"name": "Aviso", "session_ids": sids, "numbers": valid, "text": "Oi"},
            headers=auth(key),
        )
        cid = created.json()["id"]
        await eventually(
            lambda: sum(d.session_id == victim for d in network.deliveries) >= 3, timeout=30
        )
        await client.post(
            f"/api/v1/simulator/sessions/{victim}/faults", json={"fault": fault}, headers=auth(key)
        )
        victim_row = await eventually(lambda: _troubled(client, key, victim, fault), timeout=30)
        sent_by_victim = sum(d.session_id == victim for d in network.deliveries)
        await eventually(lambda: campaign_in(client, key, cid, "completed"), timeout=90)
    deliveries = list(network.deliveries)
    assert_once_each(deliveries, valid)
    assert sum(d.session_id == victim for d in deliveries) == sent_by_victim  # nothing after
    assert {d.session_id for d in deliveries} == set(sids)
    assert_caps_held(deliveries, 20)
    if fault in PAUSE_REASONS:
        assert victim_row["pause_reason"] == PAUSE_REASONS[fault]  # type: ignore[index]
        with psycopg.connect(committed_url) as conn:
            paused = conn.execute(
                "SELECT count(*) FROM notifications WHERE session_id = %s AND kind = 'session_paused'",
                (victim,),
            ).fetchone()
        assert paused == (1,)


async def _troubled(client, key: str, sid: int, fault: str) -> dict | None:  # type: ignore[no-untyped-def, type-arg]
    row = (await client.get(f"/api/v1/sessions/{sid}", headers=auth(key))).json()
    if fault in PAUSE_REASONS and row["paused_until"]:
        return row  # type: ignore[no-any-return]
    if fault == "ban" and row["status"] == "banned":
        return row  # type: ignore[no-any-return]
    return None


async def test_pause_resume_and_cancel(committed_url: str, tmp_path: Path) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    first, second = (
        numbers(settings, exist=True, count=40)[:20],
        numbers(settings, exist=True, count=40)[20:],
    )
    network = network_for(settings.simulator_seed)
    pacing = {"min_delay_seconds": 0.1, "max_delay_seconds": 0.15}
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip", hourly_cap=1000)
        cid = (
            await client.post(
                "/api/v1/campaigns",
                json={"name": "A", "session_ids": [sid], "numbers": first, "text": "Oi", **pacing},
                headers=auth(key),
            )
        ).json()["id"]
        await eventually(lambda: len(network.deliveries) >= 3, timeout=20)
        paused = await client.post(f"/api/v1/campaigns/{cid}/pause", headers=auth(key))
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
        assert paused.json()["eta"]["blocked_reason"] == "campaign_paused"
        at_pause = len(network.deliveries)
        await asyncio.sleep(1.0)
        assert len(network.deliveries) <= at_pause + 1  # at most the one in flight
        again = await client.post(f"/api/v1/campaigns/{cid}/pause", headers=auth(key))
        assert again.status_code == 200 and again.json()["status"] == "paused"  # idempotent
        resumed = await client.post(f"/api/v1/campaigns/{cid}/resume", headers=auth(key))
        assert resumed.json()["status"] == "running"
        await eventually(lambda: campaign_in(client, key, cid, "completed"), timeout=30)
        late = await client.post(f"/api/v1/campaigns/{cid}/pause", headers=auth(key))
        assert late.status_code == 409 and "completed" in late.json()["detail"]
        other = (
            await client.post(
                "/api/v1/campaigns",
                json={
                    "name": "B",
                    "session_ids": [sid],
                    "numbers": second,
                    "text": "Oi",
                    "scheduled_at": "2099-01-01T09:00:00",
                },
                headers=auth(key),
            )
        ).json()
        assert other["status"] == "scheduled" and other["scheduled_at"].startswith("2099-01-01T12")
        cancelled = await client.post(f"/api/v1/campaigns/{other['id']}/cancel", headers=auth(key))
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["counts"] == {"skipped": 20}
    assert_once_each(list(network.deliveries), first)
    rows = outbox(committed_url, other["id"])
    assert {r["status_reason"] for r in rows.values()} == {"cancelled"}


async def test_a_send_window_holds_messages_until_it_opens_where_the_recipient_lives(
    committed_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    sao_paulo = numbers(settings, exist=True, count=1, area="11")[0]
    acre = numbers(settings, exist=True, count=1, area="68")[0]
    local = datetime.now(ZoneInfo("America/Sao_Paulo"))
    start = (local + timedelta(hours=3)).strftime("%H:00")
    end = (local + timedelta(hours=4)).strftime("%H:00")
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip")
        created = await client.post(
            "/api/v1/campaigns",
            json={
                "name": "Janela",
                "session_ids": [sid],
                "numbers": [sao_paulo, acre],
                "text": "Bom dia",
                "send_window_start": start,
                "send_window_end": end,
            },
            headers=auth(key),
        )
        cid = created.json()["id"]
        rows = await eventually(lambda: _all_deferred(committed_url, cid), timeout=20)
        eta = (await campaign(client, key, cid))["eta"]
    assert network_for(settings.simulator_seed).deliveries == []
    opening_sp = rows[sao_paulo]
    opening_acre = rows[acre]
    assert opening_acre - opening_sp == timedelta(hours=2)  # Acre is two hours behind
    assert opening_sp.astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%H:%M") == start
    assert datetime.fromisoformat(eta["finishes_at"]) > datetime.now(UTC) + timedelta(hours=2)


def _all_deferred(url: str, cid: int) -> dict | None:  # type: ignore[type-arg]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT recipient, status, status_reason, due_at FROM messages WHERE campaign_id = %s",
            (cid,),
        ).fetchall()
    if all(r[1] == "queued" and r[2] == "outside_send_window" for r in rows):
        return {r[0]: r[3] for r in rows}
    return None


async def test_a_number_that_keeps_failing_is_suppressed(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        committed_url, tmp_path, send_delay_ms=(0, 0), suppress_after_failures=3
    )
    key = make_owner(committed_url)
    (phone,) = numbers(settings, exist=True, count=1)
    network = network_for(settings.simulator_seed)
    network.rules.blocked_share = 1.0  # everyone on this network blocked us
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip")
        ids = []
        for _ in range(4):
            created = await client.post(
                "/api/v1/messages",
                json={"session_id": sid, "to": phone, "text": "Oi"},
                headers=auth(key),
            )
            ids.append(created.json()["id"])
            await eventually(lambda: _final(client, key, ids[-1]), timeout=20)
        statuses = [await _final(client, key, mid) for mid in ids]
        failures = (
            await client.get("/api/v1/number-failures", params={"phone": phone}, headers=auth(key))
        ).json()
        opt_outs = (await client.get("/api/v1/opt-outs", headers=auth(key))).json()
        session = (await client.get(f"/api/v1/sessions/{sid}", headers=auth(key))).json()
    assert statuses == [("blocked", "the recipient blocked this number")] * 3 + [
        ("skipped", "opted_out")
    ]
    assert len(failures) == 3 and {f["error_code"] for f in failures} == {"blocked"}
    assert [(o["phone"], o["source"]) for o in opt_outs] == [(phone, "suppressed")]
    assert session["paused_until"] is None  # the number's fault, not the session's


async def _final(client, key: str, mid: int) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    body = (await client.get(f"/api/v1/messages/{mid}", headers=auth(key))).json()
    if body["status"] in ("queued", "scheduled", "sending"):
        return None
    return body["status"], body["status_reason"]


async def test_without_pauses_rows_go_in_batches_under_the_same_rules(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path, send_delay_ms=(0, 0))
    key = make_owner(committed_url)
    valid = numbers(settings, exist=True, count=60)
    invalid = numbers(settings, exist=False, count=5)
    network = network_for(settings.simulator_seed)
    network.rules.burst_per_minute = 10_000  # else 40 a minute gets the number restricted
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip", hourly_cap=1000)
        await client.post("/api/v1/opt-outs", json={"phone": valid[0]}, headers=auth(key))
        created = await client.post(
            "/api/v1/campaigns",
            json={
                "name": "Rápida",
                "session_ids": [sid],
                "numbers": valid + invalid,
                "text": "Oi",
                "min_delay_seconds": 0,
                "max_delay_seconds": 0,
            },
            headers=auth(key),
        )
        cid = created.json()["id"]
        # an opt-out arriving after the campaign was created is honoured at send time
        await client.post("/api/v1/opt-outs", json={"phone": valid[-1]}, headers=auth(key))
        done = await eventually(lambda: campaign_in(client, key, cid, "completed"), timeout=30)
    rows = outbox(committed_url, cid)
    assert_once_each(list(network.deliveries), valid[1:-1])
    assert rows[valid[0]]["status"] == rows[valid[-1]]["status"] == "skipped"
    assert {rows[p]["status"] for p in invalid} == {"invalid_number"}
    assert done["counts"]["skipped"] == 2 and done["counts"]["invalid_number"] == 5  # type: ignore[index]
    assert done["started_at"] and done["finished_at"]  # type: ignore[index]


async def test_a_new_number_in_warm_up_sends_a_fraction_of_its_caps(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path, clock_speed=3600, warmup_days=10)
    key = make_owner(committed_url)
    valid = numbers(settings, exist=True, count=6)
    network = network_for(settings.simulator_seed)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip novo", hourly_cap=20, warmup=True)
        created = await client.post(
            "/api/v1/campaigns",
            json={"name": "Devagar", "session_ids": [sid], "numbers": valid, "text": "Oi"},
            headers=auth(key),
        )
        assert created.json()["eta"]["per_hour"] == 2  # day 1 of 10: a tenth of 20
        await eventually(
            lambda: campaign_in(client, key, created.json()["id"], "completed"), timeout=60
        )
    deliveries = list(network.deliveries)
    assert_once_each(deliveries, valid)
    assert_caps_held(deliveries, 2)


async def test_a_missing_media_file_fails_the_message_not_the_number(
    committed_url: str, tmp_path: Path
) -> None:
    from tests.campaigns.test_campaign_api import PNG

    settings = settings_for(committed_url, tmp_path, send_delay_ms=(0, 0))
    key = make_owner(committed_url)
    (phone,) = numbers(settings, exist=True, count=1)
    async with api_client(settings) as client, running_worker(settings):
        sid = await open_session(client, key, "Chip")
        media = (
            await client.post(
                "/api/v1/media", files={"file": ("a.png", PNG, "image/png")}, headers=auth(key)
            )
        ).json()
        for stored in (tmp_path / "media").rglob("*.png"):
            stored.unlink()  # the disk lost it
        created = await client.post(
            "/api/v1/messages",
            json={"session_id": sid, "to": phone, "media_id": media["id"], "text": "Foto"},
            headers=auth(key),
        )
        final = await eventually(lambda: _final(client, key, created.json()["id"]), timeout=20)
        failures = (await client.get("/api/v1/number-failures", headers=auth(key))).json()
    assert final[0] == "failed" and "unreadable" in final[1]  # type: ignore[index]
    assert failures == []


async def test_a_campaign_whose_last_row_was_in_flight_at_a_crash_still_completes(
    committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url, tmp_path)
    key = make_owner(committed_url)
    (phone,) = numbers(settings, exist=True, count=1)
    async with api_client(settings) as client:
        async with running_worker(settings):
            sid = await open_session(client, key, "Chip")
        created = await client.post(
            "/api/v1/campaigns",
            json={"name": "Última", "session_ids": [sid], "numbers": [phone], "text": "Oi"},
            headers=auth(key),
        )
        cid = created.json()["id"]
        with psycopg.connect(committed_url, autocommit=True) as conn:  # a worker died mid-send
            conn.execute(
                "UPDATE messages SET status = 'sending', session_id = %s WHERE campaign_id = %s",
                (sid, cid),
            )
        async with running_worker(settings):
            done = await eventually(lambda: campaign_in(client, key, cid, "completed"), timeout=20)
    assert done["counts"] == {"unknown": 1}  # type: ignore[index]
    assert network_for(settings.simulator_seed).deliveries == []  # never resent
