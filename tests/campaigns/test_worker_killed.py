"""`kill -9` of the worker process mid-campaign, again and again: nothing is lost and nothing
is sent twice, checked against the simulator's own record (a journal on disk, written before
each send returns)."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import psycopg

from tests.campaigns.helpers import (
    assert_caps_held,
    auth,
    campaign_in,
    numbers,
    open_session,
    outbox,
    settings_for,
)
from tests.helpers.processes import running, zapflow_env
from tests.sessions.helpers import api_client, eventually, make_owner
from zapflow.whatsapp.simulator.network import read_journal

KILL_AFTER = (6, 17, 29, 41)  # deliveries in the journal when each worker is killed


async def test_kill_9_mid_campaign_loses_nothing_and_sends_nothing_twice(
    committed_url: str, tmp_path: Path
) -> None:
    journal = tmp_path / "simulator.jsonl"
    settings = settings_for(committed_url, tmp_path, clock_speed=900, simulator_journal=journal)
    assert settings.clock_anchor is not None
    env = zapflow_env(
        tmp_path,
        committed_url,
        ZAPFLOW_LEASE_TTL_SECONDS="3",
        ZAPFLOW_LEASE_RENEW_SECONDS="0.5",
        ZAPFLOW_SIMULATOR_QR_SECONDS="0.5",
        ZAPFLOW_SIMULATOR_SEED=str(settings.simulator_seed),
        ZAPFLOW_SIMULATOR_JOURNAL=str(journal),
        ZAPFLOW_CLOCK_SPEED=str(settings.clock_speed),
        ZAPFLOW_CLOCK_ANCHOR=settings.clock_anchor.isoformat(),
    )
    key = make_owner(committed_url)
    valid = numbers(settings, exist=True, count=60)
    invalid = numbers(settings, exist=False, count=4)
    kills = 0
    async with api_client(settings) as client:
        worker = running(["worker"], env, tmp_path / "worker-0.log")
        process = worker.__enter__()
        try:
            sids = [await open_session(client, key, f"Chip {i}", hourly_cap=20) for i in range(3)]
            created = await client.post(
                "/api/v1/campaigns",
                json={
                    "name": "Resistente",
                    "session_ids": sids,
                    "numbers": valid + invalid,
                    "text": "{Olá|Oi}, tudo bem?",
                },
                headers=auth(key),
            )
            assert created.status_code == 201, created.text
            cid = created.json()["id"]
            for threshold in KILL_AFTER:
                await eventually(lambda t=threshold: len(read_journal(journal)) >= t, timeout=60)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                worker.__exit__(None, None, None)
                kills += 1
                worker = running(["worker"], env, tmp_path / f"worker-{kills}.log")
                process = worker.__enter__()
            await eventually(lambda: campaign_in(client, key, cid, "completed"), timeout=120)
        finally:
            worker.__exit__(None, None, None)

    received = read_journal(journal)
    rows = outbox(committed_url, cid)
    by_id = {row["wa_message_id"]: row for row in rows.values()}
    counted = Counter(d.to for d in received)
    assert max(counted.values()) == 1, "someone got the message twice"
    # Every message the network received is one of ours, logged as sent (or unknown: the
    # worker died between the network's answer and our write).
    for delivery in received:
        assert by_id[delivery.message_id]["status"] in {"sent", "delivered", "read", "unknown"}
    # Every message we logged as sent, the network did receive.
    journal_ids = {d.message_id for d in received}
    sent = [r for r in rows.values() if r["status"] in {"sent", "delivered", "read"}]
    assert all(r["wa_message_id"] in journal_ids for r in sent)
    # Nothing lost: each valid number got its message or is marked unknown for a person to
    # decide; none is left waiting. At most one unknown per session per kill (while sends are
    # paced, each session has at most one row in flight).
    for phone in valid:
        assert rows[phone]["status"] in {"sent", "delivered", "read", "unknown"}, rows[phone]
    unknown = [r for r in rows.values() if r["status"] == "unknown"]
    assert len(unknown) <= kills * len(sids)
    assert all(r["status_reason"] == "worker_stopped_while_sending" for r in unknown)
    for phone in invalid:
        assert rows[phone]["status"] == "invalid_number"
    assert_caps_held(received, 20)
    with psycopg.connect(committed_url) as conn:
        workers = conn.execute("SELECT count(DISTINCT worker_id) FROM session_events").fetchone()
    assert workers is not None and workers[0] >= kills  # the sessions really moved each time
