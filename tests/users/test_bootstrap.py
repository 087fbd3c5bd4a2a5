from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from tests.conftest import make_settings
from zapflow.bootstrap import DEV_ADMIN_EMAIL, bootstrap_admin
from zapflow.config import Environment
from zapflow.db.engine import create_engine, create_sessionmaker, transaction
from zapflow.models import Role, User


async def users_in(url: str) -> list[User]:
    engine = create_engine(url, pool_size=1)
    async with transaction(create_sessionmaker(engine)) as session:
        users = list((await session.execute(select(User))).scalars())
    await engine.dispose()
    return users


async def test_first_admin_comes_from_the_environment_once(
    committed_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        committed_url,
        tmp_path,
        admin_email="dono@empresa.com.br",
        admin_password=SecretStr("senha-do-dono-1"),
    )
    engine = create_engine(committed_url, pool_size=1)
    await bootstrap_admin(settings, engine)
    await bootstrap_admin(settings, engine)  # a second start changes nothing
    await engine.dispose()
    users = await users_in(committed_url)
    assert [(u.email, u.role) for u in users] == [("dono@empresa.com.br", Role.admin)]


async def test_development_without_users_creates_an_admin_with_a_password_file(
    committed_url: str, tmp_path: Path
) -> None:
    settings = make_settings(committed_url, tmp_path, env=Environment.development)
    engine = create_engine(committed_url, pool_size=1)
    await bootstrap_admin(settings, engine)
    await engine.dispose()
    email, password = (tmp_path / "initial_admin_password.txt").read_text().split()
    assert email == DEV_ADMIN_EMAIL and len(password) >= 12
    assert [u.email for u in await users_in(committed_url)] == [DEV_ADMIN_EMAIL]


async def test_production_without_users_creates_nobody(committed_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        committed_url, tmp_path, env=Environment.production, secret_key="p" * 40
    )
    engine = create_engine(committed_url, pool_size=1)
    await bootstrap_admin(settings, engine)
    await engine.dispose()
    assert await users_in(committed_url) == []
