"""The `zapflow` command: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.api import create_app
from zapflow.auth.principal import Principal
from zapflow.bootstrap import Runtime, prepare
from zapflow.campaigns.cli import campaigns_app, messages_app, optouts_app
from zapflow.clikit import as_user, in_transaction, load_settings
from zapflow.config import Settings
from zapflow.contacts import service as contacts_service
from zapflow.db.engine import resolve_database_url
from zapflow.db.migrate import upgrade_to_head
from zapflow.logging import configure_logging
from zapflow.models import Role
from zapflow.sessions.cli import keys_app, sessions_app, simulator_app
from zapflow.users import repository as users_repository
from zapflow.users import service as users_service
from zapflow.users.schemas import UserCreateIn
from zapflow.worker.process import Worker

app = typer.Typer(no_args_is_help=True, help="Zapflow: self-hosted WhatsApp campaign manager.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
users_app = typer.Typer(no_args_is_help=True, help="User accounts.")
contacts_app = typer.Typer(no_args_is_help=True, help="Contacts and lists.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(contacts_app, name="contacts")
app.add_typer(sessions_app, name="sessions")
app.add_typer(simulator_app, name="simulator")
app.add_typer(keys_app, name="keys")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(messages_app, name="messages")
app.add_typer(optouts_app, name="optouts")

HostOption = Annotated[str | None, typer.Option(help="Address to listen on")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on")]


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after shutting down, which would kill the process before the
    worker half of `zapflow run` stops cleanly; we install our own handlers instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _on_stop_signals(*callbacks: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: [callback() for callback in callbacks])


def _stop_server(server: uvicorn.Server) -> Callable[[], None]:
    def stop() -> None:
        if server.should_exit:
            server.force_exit = True  # a second signal: stop waiting for open connections
        server.should_exit = True

    return stop


def _server(runtime: Runtime, host: str | None, port: int | None) -> uvicorn.Server:
    settings = runtime.settings
    config = uvicorn.Config(
        create_app(settings, runtime.engine),
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.worker_shutdown_grace_seconds),
    )
    return _Server(config)


@app.command()
def run(host: HostOption = None, port: PortOption = None) -> None:
    """API and worker in one process: the small install, and `make run`."""

    async def main() -> None:
        runtime = await prepare(load_settings())
        server = _server(runtime, host, port)
        worker = Worker(runtime.settings, runtime.engine, runtime.database_url)
        _on_stop_signals(_stop_server(server), worker.stop.set)
        worker_task = asyncio.create_task(worker.run())
        try:
            await server.serve()  # returns once a signal sets should_exit
        finally:
            worker.stop.set()
            await worker_task
            await runtime.engine.dispose()

    asyncio.run(main())


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI schema (the dashboard's TypeScript client is generated from it)."""
    import json

    from zapflow.db.engine import create_engine

    settings = Settings(simulator_enabled=True, DATABASE_URL="postgresql://openapi@localhost/x")
    engine = create_engine(settings.database_url or "")  # never connects: only the schema
    typer.echo(json.dumps(create_app(settings, engine).openapi(), ensure_ascii=False, indent=1))


@app.command()
def api(host: HostOption = None, port: PortOption = None) -> None:
    """The HTTP API and dashboard. Stateless: run as many as you like behind NGINX."""

    async def main() -> None:
        runtime = await prepare(load_settings())
        server = _server(runtime, host, port)
        _on_stop_signals(_stop_server(server))
        await server.serve()

    asyncio.run(main())


@app.command()
def worker() -> None:
    """The background worker: WhatsApp connections, dispatch, periodic jobs."""

    async def main() -> None:
        runtime = await prepare(load_settings())
        process = Worker(runtime.settings, runtime.engine, runtime.database_url)
        process.install_signal_handlers()
        try:
            await process.run()
        finally:
            await runtime.engine.dispose()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the schema to the newest revision (safe while other processes start)."""
    settings = load_settings()
    configure_logging(settings)
    upgrade_to_head(resolve_database_url(settings))
    typer.echo("database at head")


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)] = "Admin",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="ZAPFLOW_NEW_PASSWORD",
            help="Prompted when not given",
        ),
    ] = "",
) -> None:
    """Create an administrator account."""
    _create_user(email, name, password, Role.admin)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="ZAPFLOW_NEW_PASSWORD"
        ),
    ] = "",
) -> None:
    """Create an operator account."""
    _create_user(email, name, password, Role.operator)


def _create_user(email: str, name: str, password: str, role: Role) -> None:
    try:
        data = UserCreateIn(email=email, name=name, password=password, role=role)
    except ValueError as exc:
        typer.echo(f"Dados inválidos / invalid input:\n{exc}", err=True)
        raise typer.Exit(2) from exc

    async def work(db: AsyncSession, _settings: Settings) -> str:
        user = await users_service.create_user(db, data)
        return f"created {user.role.value} {user.email} (id {user.id})"

    typer.echo(in_transaction(work))


@users_app.command("list")
def list_users() -> None:
    """List accounts."""

    async def work(db: AsyncSession, _settings: Settings) -> None:
        for user in await users_repository.list_users(db):
            state = "active" if user.is_active else "disabled"
            typer.echo(f"{user.id}\t{user.email}\t{user.role.value}\t{state}")

    in_transaction(work)


@contacts_app.command("import")
def import_contacts(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    user: Annotated[str, typer.Option(help="E-mail of the owner of the contacts")],
    list_name: Annotated[
        str | None, typer.Option("--list", help="Add every contact to this list")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column override, e.g. --map phone=Celular --map birth_date=3"),
    ] = None,
    default_area_code: Annotated[
        str | None, typer.Option(help="DDD for numbers without one")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the rows report (CSV) here")] = None,
) -> None:
    """Import a CSV/TSV/XLSX file of contacts, as the dashboard does."""
    mapping = dict(item.split("=", 1) for item in column or [] if "=" in item)

    async def work(db: AsyncSession, principal: Principal, _settings: Settings) -> str:
        parsed = contacts_service.open_file(file.read_bytes(), mapping, default_area_code, "pt-BR")
        contact_list = await contacts_service.resolve_list(
            db, principal, list_id=None, list_name=list_name
        )
        record, counts = await contacts_service.import_file(
            db, principal, parsed, filename=file.name, contact_list=contact_list
        )
        if report is not None:
            report.write_text(await contacts_service.report_csv(db, principal, record.id))
        return (
            f"import {record.id}: read {counts.read}, imported {counts.imported}, "
            f"updated {counts.updated}, unchanged {counts.unchanged}, "
            f"duplicates {counts.duplicates}, rejected {counts.rejected}, "
            f"imported without birth date {counts.warned}"
        )

    typer.echo(as_user(user, work))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
