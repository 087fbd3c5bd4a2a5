"""Run Alembic programmatically: on start-up, from `zapflow db upgrade`, and in tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from zapflow.db.engine import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; this one spells "zapflow" in a bigint's worth of ASCII.
MIGRATION_LOCK_ID = 0x7A6170666C6F77


def alembic_config(libpq_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(libpq_url).replace("%", "%%"))
    return config


def upgrade_to_head(libpq_url: str) -> None:
    """Bring the schema to head. Safe to call from many processes at once."""
    command.upgrade(alembic_config(libpq_url), "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
