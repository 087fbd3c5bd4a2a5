from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

import zapflow.models  # noqa: F401
from tests.conftest import admin_execute, database_url
from zapflow.db.base import Base
from zapflow.db.engine import sqlalchemy_url
from zapflow.db.migrate import head_revision


def test_models_and_migrations_agree(template_url: str, server_url: str) -> None:
    # Compare on a copy: nothing may stay connected to the template.
    from tests.conftest import copy_database, drop_database

    url = copy_database(server_url, template_url)
    try:
        engine = create_engine(sqlalchemy_url(url))
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            differences = compare_metadata(context, Base.metadata)
        engine.dispose()
    finally:
        drop_database(server_url, url)
    assert differences == []


def test_concurrent_upgrades_all_succeed_on_a_fresh_database(server_url: str) -> None:
    name = "zapflow_race_" + str(abs(hash(server_url)) % 10**8)
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    url = database_url(server_url, name)
    try:
        code = "import sys; from zapflow.db.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1])"
        processes = [
            subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        results = [
            (p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in processes
        ]
        assert [rc for rc, _ in results] == [0, 0, 0, 0], results
        engine = create_engine(sqlalchemy_url(url))
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [head_revision()]
    finally:
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
