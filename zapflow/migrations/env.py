"""Alembic environment. Migrations run under a PostgreSQL advisory lock, so several processes
starting at once queue up and each finds the schema already at head."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

import zapflow.models  # noqa: F401  (registers every table)
from zapflow.db.base import Base
from zapflow.db.migrate import MIGRATION_LOCK_ID

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        # Transaction-scoped: released at commit, or when the connection dies.
        context.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run 'zapflow db upgrade'")
run_migrations_online()
