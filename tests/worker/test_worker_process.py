from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg

from tests.helpers.processes import running, zapflow_env


def worker_rows(url: str) -> list[tuple[str, object, object]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, heartbeat_at, stopped_at FROM workers").fetchall()  # type: ignore[return-value]


def wait_for(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError


def test_worker_heartbeats_survives_lost_connections_and_stops_gracefully(
    committed_url: str, tmp_path: Path
) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_WORKER_HEARTBEAT_SECONDS="0.3")
    with running(["worker"], env, tmp_path / "worker.log") as process:
        wait_for(lambda: len(worker_rows(committed_url)) == 1)
        first_beat = worker_rows(committed_url)[0][1]
        # The database drops every connection (as on a PostgreSQL restart): the worker carries on.
        with psycopg.connect(committed_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        wait_for(lambda: worker_rows(committed_url)[0][1] > first_beat)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    ((_id, _beat, stopped_at),) = worker_rows(committed_url)
    assert stopped_at is not None
    log = (tmp_path / "worker.log").read_text()
    assert '"worker_stopped"' in log
