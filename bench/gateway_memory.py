"""Benchmark: the Baileys gateway's memory over 1,000 failed connection attempts (offline).

    uv run python bench/gateway_memory.py --attempts 1000

Backoff is shortened to 1–5 ms so the attempts happen in seconds. RSS and heap are read from
the gateway itself (`stats`) at intervals; a leak would show as steady growth.
Uses TEST_DATABASE_URL, else DATABASE_URL, else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_contacts import server_url, with_database  # noqa: E402
from zapflow.config import Settings  # noqa: E402
from zapflow.db.engine import create_engine, create_sessionmaker  # noqa: E402
from zapflow.db.migrate import upgrade_to_head  # noqa: E402
from zapflow.sessions.auth_store import AuthStore  # noqa: E402
from zapflow.whatsapp.baileys import BaileysDriver, Gateway  # noqa: E402
from zapflow.whatsapp.protocol import ConnectionState, StateEvent  # noqa: E402


async def measure(url: str, attempts: int) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as conn:
        user = conn.execute(
            "INSERT INTO users (email, name, password_hash, role) VALUES ('m@x.com', 'M', 'x', 'operator') RETURNING id"
        ).fetchone()
        session = conn.execute(
            "INSERT INTO whatsapp_sessions (user_id, name, engine, status, desired_state) "
            "VALUES (%s, 'mem', 'baileys', 'disconnected', 'stopped') RETURNING id",
            (user[0],),  # type: ignore[index]
        ).fetchone()
    engine = create_engine(url, pool_size=2)
    store = AuthStore(
        create_sessionmaker(engine), Settings(_env_file=None, secret_key="b" * 40).keyring()
    )
    gateway = Gateway(store, backoff_ms=(1, 5))
    driver = BaileysDriver(gateway, int(session[0]))  # type: ignore[index]
    await driver.connect()
    samples = []
    checkpoints = {1, attempts // 10, attempts // 4, attempts // 2, 3 * attempts // 4, attempts}
    failures = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    async for event in driver.events():
        if isinstance(event, StateEvent) and event.state is ConnectionState.close:
            failures += 1
            if failures in checkpoints:
                stats = await gateway.call("stats")
                samples.append(
                    {
                        "attempt": failures,
                        "rss_mb": round(stats["memory"]["rss"] / 2**20, 1),
                        "heap_used_mb": round(stats["memory"]["heapUsed"] / 2**20, 1),
                    }
                )
            if failures >= attempts:
                break
    elapsed = loop.time() - started
    await driver.close()
    await gateway.stop()
    await engine.dispose()
    return {"attempts": attempts, "seconds": round(elapsed, 1), "samples": samples}


def main() -> None:
    os.environ["NODE_OPTIONS"] = "--expose-gc"  # the gateway collects garbage before each sample
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=1000)
    args = parser.parse_args()
    server = server_url()
    name = f"zf_bench_gw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = with_database(server, name)
    try:
        upgrade_to_head(url)
        print(json.dumps(asyncio.run(measure(url, args.attempts)), indent=2))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
