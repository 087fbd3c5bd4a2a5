"""The embedded PostgreSQL (pgserver) used when DATABASE_URL is unset."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import psycopg

from zapflow.logging import get_logger

log = get_logger(__name__)
DATABASE_NAME = "zapflow"


def start_embedded_postgres(pgdata: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server for `pgdata` and return a libpq URL to `database`.

    pgserver shares one server among every process that asks for the same directory and
    stops it when the last of them exits, so `api` and `worker` may both call this.
    """
    import pgserver  # imported lazily: a deployment with DATABASE_URL never loads it

    pgdata.mkdir(parents=True, exist_ok=True)
    server: Any = pgserver.get_server(pgdata)  # type: ignore[attr-defined]
    base_uri: str = server.get_uri()
    _create_database_if_missing(base_uri, database)
    log.info("embedded_postgres_ready", pgdata=str(pgdata), database=database)
    return base_uri.replace("/postgres?", f"/{database}?", 1)


def _create_database_if_missing(base_uri: str, database: str) -> None:
    with psycopg.connect(base_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            # Another process may create it between our check and our CREATE.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f'CREATE DATABASE "{database}"')
