"""The README's promise: `zapflow run` with nothing configured serves /healthz, the docs and a
login, on an embedded PostgreSQL whose data survives a restart."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.helpers.processes import free_port, running, wait_until_ready, zapflow_env


def test_run_on_embedded_postgres_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = zapflow_env(data_dir)  # no DATABASE_URL: embedded
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "zapflow.log"

    with running(["run", "--port", str(port)], env, log_path) as process:
        wait_until_ready(base, process)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/docs").status_code == 200
        assert '<div id="root">' in httpx.get(f"{base}/").text  # the dashboard is served
        email, password = (data_dir / "initial_admin_password.txt").read_text().split()
        with httpx.Client(base_url=base) as http:
            login = http.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert login.status_code == 200
            created = http.post(
                "/api/v1/api-keys",
                json={"name": "persiste"},
                headers={"X-CSRF-Token": login.json()["csrf_token"]},
            )
            api_key = created.json()["key"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    with running(["run", "--port", str(port)], env, log_path) as process:
        wait_until_ready(base, process)
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {api_key}"})
        assert me.status_code == 200 and me.json()["email"] == email

    log = log_path.read_text()
    assert password not in log and api_key not in log
