"""Benchmark the outbox dispatcher, each figure beside its baseline in the same run.

    make bench        # or: uv run --group bench python bench/dispatch.py

1. Dispatch ceiling: N campaign rows through the full path (claim -> opt-out and number checks ->
   simulator send -> record -> campaign completion), simulator at zero latency, caps off, no
   pauses; against the raw SQL limit (batched claim and batched completion of the same rows,
   with the same simulator send) and against procrastinate (one deferred job per message, the
   job doing the same send and record).
2. Scheduling latency: messages due at spaced moments; from due time to the driver's send.
3. Worker memory: RSS of a `zapflow worker` process with 500 connected simulator sessions,
   against the same process with none.

Uses TEST_DATABASE_URL, else DATABASE_URL, else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_contacts import drop, server_url, with_database  # noqa: E402
from zapflow.config import Environment, Settings  # noqa: E402
from zapflow.db.engine import create_engine, create_sessionmaker  # noqa: E402
from zapflow.db.migrate import upgrade_to_head  # noqa: E402
from zapflow.logging import configure_logging  # noqa: E402
from zapflow.whatsapp.protocol import MessageKind, OutgoingMessage  # noqa: E402
from zapflow.whatsapp.simulator.driver import SimulatorDriver  # noqa: E402
from zapflow.whatsapp.simulator.network import NetworkRules, SimulatedNetwork  # noqa: E402
from zapflow.worker.dispatcher import Dispatcher  # noqa: E402

SECRET = "bench-secret-" + "x" * 40


def fresh(server: str) -> str:
    name = f"zf_bench_dispatch_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = with_database(server, name)
    upgrade_to_head(url)
    return url


def seed_owner(url: str, sessions: int = 1) -> tuple[int, list[int]]:
    with psycopg.connect(url, autocommit=True) as conn:
        uid = conn.execute(
            "INSERT INTO users (email, name, password_hash, role) "
            "VALUES ('b@b.com', 'B', 'x', 'operator') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        sids = [
            conn.execute(
                "INSERT INTO whatsapp_sessions (user_id, name, engine, status, desired_state, "
                "hourly_cap, daily_cap) VALUES (%s, %s, 'simulator', 'open', 'stopped', "
                "100000000, 100000000) RETURNING id",
                (uid, f"s{i}"),
            ).fetchone()[0]  # type: ignore[index]
            for i in range(sessions)
        ]
    return uid, sids


def seed_campaign(url: str, uid: int, sid: int, n: int) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        cid = conn.execute(
            "INSERT INTO campaigns (user_id, name, kind, status, message_type, min_delay_ms, "
            "max_delay_ms, timezone) VALUES (%s, 'bench', 'bulk', 'running', 'text', 0, 0, "
            "'America/Sao_Paulo') RETURNING id",
            (uid,),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("INSERT INTO campaign_sessions VALUES (%s, %s)", (cid, sid))
        with conn.cursor().copy(
            "COPY messages (user_id, campaign_id, source, recipient, recipient_kind, message_type, body, "
            "status) "
            "FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row(
                    (uid, cid, "bulk", f"+55219{i:08d}", "phone", "text", "Oi", "queued")
                )
    return cid


def settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env=Environment.test,
        DATABASE_URL=url,
        secret_key=SECRET,
        data_dir=data_dir,
        send_delay_ms=(0, 0),
        number_check_min_interval_seconds=0,
        log_level="WARNING",
    )


def network() -> SimulatedNetwork:
    rules = NetworkRules(
        exists_share=1.0,
        receipt_delay_ms=(10**7, 10**7),
        burst_per_minute=10**9,
        new_contacts_per_hour=10**9,
    )
    return SimulatedNetwork(seed=7, rules=rules)


def driver(sid: int, net: SimulatedNetwork) -> SimulatorDriver:
    sim = SimulatorDriver(sid, None, net)  # type: ignore[arg-type]
    sim.phone = "+5511900000000"
    return sim


async def ours(url: str, n: int, data_dir: Path, *, warm: bool = False) -> float:
    uid, (sid,) = seed_owner(url)
    cid = seed_campaign(url, uid, sid, n)
    if warm:  # every number already checked (a repeat campaign): no check calls, no upserts
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO number_checks (user_id, phone, on_whatsapp, checked_at) "
                "SELECT user_id, recipient, true, now() FROM messages WHERE campaign_id = %s",
                (cid,),
            )
    engine = create_engine(url, pool_size=4)
    net = network()
    dispatcher = Dispatcher(
        sid, driver(sid, net), create_sessionmaker(engine), settings(url, data_dir), 10**8, 10**8
    )
    dispatcher.is_open = True
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(dispatcher.run(stop))
    while True:
        await asyncio.sleep(0.05)
        with psycopg.connect(url) as conn:
            status = conn.execute("SELECT status FROM campaigns WHERE id = %s", (cid,)).fetchone()
        if status == ("completed",):
            break
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    await engine.dispose()
    assert len(net.deliveries) == n, len(net.deliveries)
    return elapsed


async def raw_sql(url: str, n: int) -> float:
    uid, (sid,) = seed_owner(url)
    cid = seed_campaign(url, uid, sid, n)
    net = network()
    sim = driver(sid, net)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        while True:
            rows = await (
                await conn.execute(
                    """WITH due AS (SELECT id FROM messages WHERE campaign_id = %s
                         AND status IN ('queued', 'scheduled') ORDER BY due_at, id LIMIT 20
                         FOR UPDATE SKIP LOCKED)
                    UPDATE messages m SET status = 'sending', session_id = %s,
                      wa_message_id = '3EB0' || m.id
                    FROM due WHERE m.id = due.id RETURNING m.id, m.recipient, m.wa_message_id""",
                    (cid, sid),
                )
            ).fetchall()
            if not rows:
                break
            for _id, recipient, wa_id in rows:
                await sim.send(OutgoingMessage(wa_id, recipient, MessageKind.text, "Oi"))
            await conn.execute(
                "UPDATE messages SET status = 'sent', sent_at = now() WHERE id = ANY(%s)",
                ([r[0] for r in rows],),
            )
        elapsed = time.perf_counter() - started
    assert len(net.deliveries) == n
    return elapsed


async def procrastinate_jobs(url: str, n: int) -> float:
    import procrastinate

    uid, (sid,) = seed_owner(url)
    seed_campaign(url, uid, sid, n)
    net = network()
    sim = driver(sid, net)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="send_message")
    async def send_message(message_id: int, recipient: str) -> None:
        async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
            await conn.execute(
                "UPDATE messages SET status = 'sending', wa_message_id = '3EB0' || id "
                "WHERE id = %s",
                (message_id,),
            )
            await sim.send(OutgoingMessage(f"3EB0{message_id}", recipient, MessageKind.text, "Oi"))
            await conn.execute(
                "UPDATE messages SET status = 'sent', sent_at = now() WHERE id = %s",
                (message_id,),
            )

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT id, recipient FROM messages ORDER BY id").fetchall()
        for message_id, recipient in rows:
            await send_message.defer_async(message_id=message_id, recipient=recipient)
        started = time.perf_counter()
        await app.run_worker_async(wait=False, concurrency=1, install_signal_handlers=False)
        elapsed = time.perf_counter() - started
    assert len(net.deliveries) == n, len(net.deliveries)
    return elapsed


async def scheduling_latency(url: str, count: int, spacing_ms: int, data_dir: Path) -> list[float]:
    uid, (sid,) = seed_owner(url)
    engine = create_engine(url, pool_size=4)
    net = network()
    sim = driver(sid, net)
    sent_at: dict[str, float] = {}
    original = sim.send

    async def timed_send(message: OutgoingMessage) -> None:
        sent_at[message.to] = time.time()
        await original(message)

    sim.send = timed_send  # type: ignore[method-assign]
    dispatcher = Dispatcher(
        sid, sim, create_sessionmaker(engine), settings(url, data_dir), 10**8, 10**8
    )
    dispatcher.is_open = True
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    first = datetime.now(UTC) + timedelta(seconds=1)
    due = {f"+55219{i:08d}": first + timedelta(milliseconds=i * spacing_ms) for i in range(count)}
    with psycopg.connect(url, autocommit=True) as conn:
        for phone, at in due.items():  # one by one, as the API does, each with its NOTIFY
            conn.execute(
                "INSERT INTO messages (user_id, session_id, source, recipient, recipient_kind, message_type, "
                "body, status, due_at) VALUES (%s, %s, 'individual', %s, 'phone', 'text', 'Oi', "
                "'scheduled', %s)",
                (uid, sid, phone, at),
            )
            conn.execute("SELECT pg_notify('zapflow_outbox', %s)", (str(sid),))
            dispatcher.wake.set()  # what the worker's listener does on that NOTIFY
    while len(sent_at) < count:
        await asyncio.sleep(0.1)
    stop.set()
    await task
    await engine.dispose()
    return sorted((sent_at[p] - due[p].timestamp()) * 1000 for p in due)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def worker_memory(server: str, sessions: int, data_dir: Path) -> tuple[float, float, int]:
    """RSS (MB) of a worker with no sessions, and with `sessions` open simulator sessions (and
    how many were open when measured)."""
    results = []
    opened = 0
    for count in (0, sessions):
        url = fresh(server)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZAPFLOW_")}
        env |= {
            "DATABASE_URL": url,
            "ZAPFLOW_SECRET_KEY": SECRET,
            "ZAPFLOW_ENV": "test",
            "ZAPFLOW_DATA_DIR": str(data_dir),
            "ZAPFLOW_LOG_LEVEL": "WARNING",
            "ZAPFLOW_WORKER_MAX_SESSIONS": str(max(count, 1)),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "zapflow.cli",
                "users",
                "create-admin",
                "--email",
                "b@b.com",
                "--name",
                "B",
            ],
            env=env | {"ZAPFLOW_NEW_PASSWORD": "x" * 12},
            check=True,
            capture_output=True,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO whatsapp_sessions (user_id, name, engine, status, desired_state) "
                "SELECT 1, 's' || g, 'simulator', 'disconnected', 'running' "
                "FROM generate_series(1, %s) g",
                (count,),
            )
        if count:  # a phone scans each QR: the sessions have creds
            await _scan_all(url, data_dir, count)
        process = subprocess.Popen(
            [sys.executable, "-m", "zapflow.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                with psycopg.connect(url) as conn:
                    opened = conn.execute(
                        "SELECT count(*) FROM whatsapp_sessions WHERE status = 'open'"
                    ).fetchone()[0]  # type: ignore[index]
                if opened >= count:
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(5)
            results.append(rss_mb(process.pid))
        finally:
            process.terminate()
            process.wait(timeout=60)
            drop(server, url)
    return results[0], results[1], opened


async def _scan_all(url: str, data_dir: Path, count: int) -> None:
    from zapflow.whatsapp.simulator.driver import scan

    engine = create_engine(url, pool_size=2)
    keyring = settings(url, data_dir).keyring()
    async with create_sessionmaker(engine)() as db:
        for sid in range(1, count + 1):
            await scan(db, keyring, sid, f"+55119{sid:08d}")
        await db.commit()
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scheduled", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--only-memory", action="store_true")
    args = parser.parse_args()
    server = server_url()
    data_dir = Path(tempfile.mkdtemp())
    configure_logging(settings(server, data_dir))
    if args.only_memory:
        print(json.dumps(await worker_memory(server, args.sessions, data_dir)))
        return
    figures: dict[str, list[float]] = {
        "ours": [], "ours_numbers_known": [], "raw_sql": [], "procrastinate": []
    }
    for _ in range(args.rounds):
        for name, run in (
            ("ours", lambda u: ours(u, args.messages, data_dir)),
            ("ours_numbers_known", lambda u: ours(u, args.messages, data_dir, warm=True)),
            ("raw_sql", lambda u: raw_sql(u, args.messages)),
            ("procrastinate", lambda u: procrastinate_jobs(u, args.messages)),
        ):
            url = fresh(server)
            try:
                figures[name].append(args.messages / await run(url))
            finally:
                drop(server, url)
    rates = {name: statistics.median(values) for name, values in figures.items()}
    print("dispatch per second:", figures, file=sys.stderr)
    url = fresh(server)
    try:
        latencies = await scheduling_latency(url, args.scheduled, 20, data_dir)
    finally:
        drop(server, url)
    idle, loaded, opened = await worker_memory(server, args.sessions, data_dir)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "messages": args.messages,
        "rounds": args.rounds,
        "per_second": {k: [round(v, 1) for v in vals] for k, vals in figures.items()},
        "median_per_second": {k: round(v, 1) for k, v in rates.items()},
        "ours_vs_raw": round(rates["ours"] / rates["raw_sql"], 3),
        "ours_numbers_known_vs_raw": round(rates["ours_numbers_known"] / rates["raw_sql"], 3),
        "ours_vs_procrastinate": round(rates["ours"] / rates["procrastinate"], 2),
        "scheduling_ms": {
            "count": len(latencies),
            "p50": round(percentile(latencies, 0.5), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(latencies[-1], 1),
        },
        "worker_rss_mb": {
            "no_sessions": round(idle, 1),
            f"{args.sessions}_sessions": round(loaded, 1),
            "sessions_open_when_measured": opened,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
