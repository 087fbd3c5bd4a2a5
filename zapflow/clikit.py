"""What every operator command shares: settings, start-up, one transaction, acting as a user,
and errors printed as a person reads them (exit code 1; 2 for bad configuration)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal
from zapflow.bootstrap import prepare
from zapflow.config import Settings
from zapflow.db.engine import create_sessionmaker, transaction
from zapflow.errors import ZapflowError
from zapflow.users import repository as users_repository

T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"Configuração inválida / invalid configuration:\n{exc}", err=True)
        raise typer.Exit(2) from exc


def in_transaction(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Start up (migrations included), run `work` in one transaction, shut down."""

    async def main() -> T:
        runtime = await prepare(load_settings())
        try:
            async with transaction(create_sessionmaker(runtime.engine)) as db:
                return await work(db, runtime.settings)
        finally:
            await runtime.engine.dispose()

    try:
        return asyncio.run(main())
    except ZapflowError as exc:
        typer.echo(exc.detail("pt-BR"), err=True)
        raise typer.Exit(1) from exc


def as_user(email: str, work: Callable[[AsyncSession, Principal, Settings], Awaitable[T]]) -> T:
    """`in_transaction`, acting as the user with this e-mail (as their API key would)."""

    async def run(db: AsyncSession, settings: Settings) -> T:
        owner = await users_repository.find_by_email(db, email)
        if owner is None:
            typer.echo(f"usuário não encontrado: {email}", err=True)
            raise typer.Exit(1)
        return await work(db, Principal(user=owner, via="api_key"), settings)

    return in_transaction(run)
