"""`zapflow sessions ...`, `zapflow simulator ...` and `zapflow keys ...`: operator commands that
talk to the database directly (the worker holding a session picks commands up by NOTIFY)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.clikit import in_transaction
from zapflow.config import Settings
from zapflow.db.notify import SESSIONS_CHANNEL, notify
from zapflow.kit.crypto import new_key_spec
from zapflow.kit.phones import normalize_phone
from zapflow.models import CommandKind, Engine, SessionCommand, User, WhatsAppSession
from zapflow.sessions.auth_store import rotate_keys
from zapflow.sessions.service import simulated_phone
from zapflow.whatsapp.simulator.driver import scan

sessions_app = typer.Typer(no_args_is_help=True, help="WhatsApp sessions.")
simulator_app = typer.Typer(no_args_is_help=True, help="The simulated WhatsApp network.")
keys_app = typer.Typer(no_args_is_help=True, help="Encryption keys of the stored session keys.")


async def _session(db: AsyncSession, session_id: int) -> WhatsAppSession:
    session = await db.get(WhatsAppSession, session_id)
    if session is None:
        typer.echo(f"sessão {session_id} não existe", err=True)
        raise typer.Exit(1)
    return session


@sessions_app.command("list")
def list_sessions() -> None:
    """Every session, with its owner, status and the worker running it."""

    async def work(db: AsyncSession, _settings: Settings) -> None:
        rows = await db.execute(
            select(WhatsAppSession, User.email).join(User).order_by(WhatsAppSession.id)
        )
        for session, email in rows:
            typer.echo(
                f"{session.id}\t{session.name}\t{email}\t{session.engine.value}\t{session.status.value}"
                f"\t{session.phone or '-'}\t{session.lease_owner or '-'}"
            )

    in_transaction(work)


@sessions_app.command("create")
def create_session(
    name: str,
    user: Annotated[str, typer.Option(help="E-mail of the owner")],
    engine: Annotated[Engine, typer.Option()] = Engine.simulator,
) -> None:
    """Add a session for a user; a worker starts it and shows its QR."""

    async def work(db: AsyncSession, _settings: Settings) -> int:
        owner = (await db.execute(select(User).where(User.email.ilike(user)))).scalar_one_or_none()
        if owner is None:
            typer.echo(f"usuário não encontrado: {user}", err=True)
            raise typer.Exit(1)
        session = WhatsAppSession(user_id=owner.id, name=name, engine=engine)
        db.add(session)
        await db.flush()
        await notify(db, SESSIONS_CHANNEL, str(session.id))
        return session.id

    typer.echo(f"created session {in_transaction(work)}")


@simulator_app.command("scan")
def simulator_scan(
    session_id: int, phone: Annotated[str | None, typer.Option(help="The number that scans")] = None
) -> None:
    """Scan a simulator session's QR code, as a phone would."""

    async def work(db: AsyncSession, settings: Settings) -> str:
        session = await _session(db, session_id)
        if session.engine is not Engine.simulator:
            typer.echo("esta sessão não usa o simulador", err=True)
            raise typer.Exit(1)
        number = (normalize_phone(phone).e164 if phone else None) or simulated_phone(session_id)
        await scan(db, settings.keyring(), session_id, number)
        return number

    typer.echo(f"scanned session {session_id} as {in_transaction(work)}")


@simulator_app.command("fault")
def simulator_fault(
    session_id: int,
    fault: Annotated[
        str, typer.Argument(help="disconnect | logout | ban | restrict | rate_overlimit | inbound")
    ],
    count: Annotated[
        int | None, typer.Option(help="restrict, rate_overlimit: how many sends fail")
    ] = None,
    sender: Annotated[str | None, typer.Option(help="inbound: who writes")] = None,
    text: Annotated[str | None, typer.Option(help="inbound: what they write")] = None,
) -> None:
    """Inject a fault into a running simulator session."""
    if fault not in {"disconnect", "logout", "ban", "restrict", "rate_overlimit", "inbound"}:
        typer.echo(f"falha desconhecida: {fault}", err=True)
        raise typer.Exit(2)
    payload = {"fault": fault}
    payload |= {"count": str(count)} if count is not None else {}
    payload |= {"from": normalize_phone(sender).e164 or sender} if sender else {}
    payload |= {"text": text} if text is not None else {}

    async def work(db: AsyncSession, _settings: Settings) -> None:
        await _session(db, session_id)
        db.add(
            SessionCommand(session_id=session_id, kind=CommandKind.simulator_fault, payload=payload)
        )
        await notify(db, SESSIONS_CHANNEL, str(session_id))

    in_transaction(work)
    typer.echo(f"fault {fault} sent to session {session_id}")


@keys_app.command("new")
def new_key(
    key_id: Annotated[str, typer.Argument(help="A short name for the key, e.g. k2")],
) -> None:
    """Print a new key. Put it FIRST in ZAPFLOW_ENCRYPTION_KEYS, keep the old ones after it,
    restart, then run `zapflow keys rotate`."""
    typer.echo(new_key_spec(key_id))


@keys_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored session key with the newest key in ZAPFLOW_ENCRYPTION_KEYS."""

    async def work(db: AsyncSession, settings: Settings) -> tuple[int, str]:
        keyring = settings.keyring()
        return await rotate_keys(db, keyring), keyring.current_id

    count, key_id = in_transaction(work)
    typer.echo(f"re-encrypted {count} keys with {key_id}")
