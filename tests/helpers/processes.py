"""Run `zapflow` commands as real processes, the way an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET

ZAPFLOW = [sys.executable, "-m", "zapflow.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def zapflow_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ZAPFLOW_") and k != "DATABASE_URL"
    }
    # The same secret as the in-process app of the tests, so both read the same encrypted keys.
    env.update(
        {
            "ZAPFLOW_DATA_DIR": str(data_dir),
            "ZAPFLOW_LOG_FORMAT": "json",
            "ZAPFLOW_SECRET_KEY": TEST_SECRET,
            **extra,
        }
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ZAPFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zapflow exited early with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError("zapflow did not become ready")


@contextmanager
def running(
    args: list[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A zapflow process that is stopped with SIGTERM (and checked to exit) at the end."""
    with log_path.open("ab") as log:
        process = subprocess.Popen([*ZAPFLOW, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
