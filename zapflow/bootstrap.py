"""Start-up shared by every process: logging, the database, migrations, the first admin."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from zapflow.config import Environment, Settings
from zapflow.db.engine import create_engine, create_sessionmaker, resolve_database_url, transaction
from zapflow.db.migrate import upgrade_to_head
from zapflow.logging import configure_logging, get_logger
from zapflow.users import repository as users_repository
from zapflow.users import service as users_service

log = get_logger(__name__)
DEV_ADMIN_EMAIL = "admin@zapflow.local"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database_url: str  # libpq form; never logged (it may hold a password)
    engine: AsyncEngine


async def prepare(settings: Settings, *, migrate: bool | None = None) -> Runtime:
    """Configure logging, reach the database, migrate it (under a lock), create the first admin."""
    configure_logging(settings)
    url = await asyncio.to_thread(resolve_database_url, settings)
    if settings.run_migrations_on_start if migrate is None else migrate:
        await asyncio.to_thread(upgrade_to_head, url)
        log.info("migrations_at_head")
    engine = create_engine(url)
    await bootstrap_admin(settings, engine)
    return Runtime(settings=settings, database_url=url, engine=engine)


async def bootstrap_admin(settings: Settings, engine: AsyncEngine) -> None:
    """The first admin: from ZAPFLOW_ADMIN_EMAIL/PASSWORD, or in development a generated one
    whose password goes to a file in the data directory (never to the log)."""
    async with transaction(create_sessionmaker(engine)) as session:
        if settings.admin_email and settings.admin_password:
            created = await users_service.ensure_admin(
                session,
                email=settings.admin_email,
                password=settings.admin_password.get_secret_value(),
            )
            if created is not None:
                log.info("admin_created_from_environment", email=created.email)
            return
        if await users_repository.count_users(session) > 0:
            return
        if settings.env is not Environment.development:
            log.warning(
                "no_users_yet", hint="run: zapflow users create-admin --email you@example.com"
            )
            return
        password = secrets.token_urlsafe(12)
        await users_service.ensure_admin(session, email=DEV_ADMIN_EMAIL, password=password)
    path = settings.data_dir / "initial_admin_password.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{DEV_ADMIN_EMAIL}\n{password}\n")
    log.info("dev_admin_created", email=DEV_ADMIN_EMAIL, first_login_file=str(path))
