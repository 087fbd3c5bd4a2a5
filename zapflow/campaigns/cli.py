"""`zapflow campaigns ...`, `zapflow messages send` and `zapflow optouts ...`: the same rules
as the API, acting as the user named by `--user`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal
from zapflow.campaigns import service
from zapflow.campaigns.schemas import CampaignBase, CampaignIn
from zapflow.clikit import as_user
from zapflow.config import Settings
from zapflow.contacts import service as contacts_service
from zapflow.messages import service as messages_service
from zapflow.messages.schemas import MessageIn
from zapflow.models import Campaign
from zapflow.safety import service as safety_service

campaigns_app = typer.Typer(no_args_is_help=True, help="Campaigns: one message to many.")
messages_app = typer.Typer(no_args_is_help=True, help="Single messages.")
optouts_app = typer.Typer(no_args_is_help=True, help="Numbers that must not be messaged.")
User = Annotated[str, typer.Option("--user", help="E-mail of the owner")]


async def _summary(db: AsyncSession, campaign: Campaign, settings: Settings) -> str:
    counts = await service.counts(db, campaign.id)
    pool = await service.pool_ids(db, campaign.id)
    eta = await service.eta(db, campaign, settings, counts=counts, session_ids=pool)
    finishes = eta.finishes_at.isoformat(timespec="minutes") if eta and eta.finishes_at else "-"
    shown = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    return f"{campaign.id}\t{campaign.status.value}\t{campaign.name}\t{shown}\tETA {finishes}"


@campaigns_app.command("create")
def create_campaign(
    user: User,
    name: Annotated[str, typer.Option(help="Campaign name")],
    session: Annotated[list[int], typer.Option(help="Session id of the pool (repeat for more)")],
    text: Annotated[str | None, typer.Option(help="Template: {{nome}}, {Olá|Oi}")] = None,
    numbers: Annotated[str | None, typer.Option(help="Typed numbers, comma-separated")] = None,
    list_id: Annotated[int | None, typer.Option("--list", help="Contact list id")] = None,
    csv: Annotated[Path | None, typer.Option(help="CSV/XLSX of recipients (imported)")] = None,
    media_url: Annotated[str | None, typer.Option(help="Image or document by URL")] = None,
    at: Annotated[
        datetime | None, typer.Option(help="When, in your time zone (2026-12-24T09:00)")
    ] = None,
    min_delay: Annotated[float, typer.Option(help="Seconds between sends, at least")] = 8,
    max_delay: Annotated[float, typer.Option(help="Seconds between sends, at most")] = 25,
    window: Annotated[str | None, typer.Option(help="Send window, e.g. 08:00-20:00")] = None,
) -> None:
    """Create a campaign to typed numbers, a list or a CSV."""
    start, end = window.split("-", 1) if window else (None, None)
    fields = {
        "name": name,
        "session_ids": session,
        "text": text,
        "media_url": media_url,
        "scheduled_at": at,
        "min_delay_seconds": min_delay,
        "max_delay_seconds": max_delay,
        "send_window_start": start,
        "send_window_end": end,
    }

    async def work(db: AsyncSession, principal: Principal, settings: Settings) -> str:
        if csv is not None:
            data = CampaignBase.model_validate(fields)
            parsed = contacts_service.open_file(csv.read_bytes(), None, None, "pt-BR")
            target = await contacts_service.resolve_list(
                db, principal, list_id=None, list_name=f"{name} ({csv.name})"[:200]
            )
            assert target is not None
            record, counts = await contacts_service.import_file(
                db, principal, parsed, filename=csv.name, contact_list=target
            )
            campaign = await service.create_for_import(
                db, principal, data, settings, list_id=target.id, import_id=record.id
            )
            note = f"\nimport {record.id}: {counts.rejected} linha(s) rejeitada(s)"
        else:
            body = CampaignIn.model_validate({**fields, "numbers": numbers, "list_id": list_id})
            campaign = await service.create(db, principal, body, settings, "pt-BR")
            note = ""
        return await _summary(db, campaign, settings) + note

    typer.echo(as_user(user, work))


@campaigns_app.command("list")
def list_campaigns(user: User) -> None:
    """Campaigns, newest first: id, status, name, messages by status, ETA."""

    async def work(db: AsyncSession, principal: Principal, settings: Settings) -> list[str]:
        return [await _summary(db, c, settings) for c in await service.listing(db, principal, 100)]

    for line in as_user(user, work):
        typer.echo(line)


def _transition(action: str) -> Callable[..., None]:
    change = {"pause": service.pause, "resume": service.resume, "cancel": service.cancel}[action]

    def command(campaign_id: int, user: User) -> None:
        async def work(db: AsyncSession, principal: Principal, settings: Settings) -> str:
            return await _summary(db, await change(db, principal, campaign_id), settings)

        typer.echo(as_user(user, work))

    command.__doc__ = f"{action.capitalize()} a campaign."
    return command


for _action in ("pause", "resume", "cancel"):
    campaigns_app.command(_action)(_transition(_action))


@messages_app.command("send")
def send_message(
    user: User,
    session: Annotated[int, typer.Option(help="Session id")],
    to: Annotated[str, typer.Option(help="Recipient, any common spelling")],
    text: Annotated[str | None, typer.Option(help="Text (a template)")] = None,
    media_url: Annotated[str | None, typer.Option(help="Image or document by URL")] = None,
    at: Annotated[datetime | None, typer.Option(help="When, in your time zone")] = None,
) -> None:
    """Queue one message; the worker holding the session sends it."""

    async def work(db: AsyncSession, principal: Principal, settings: Settings) -> str:
        data = MessageIn.model_validate(
            {
                "session_id": session,
                "to": to,
                "text": text,
                "media_url": media_url,
                "scheduled_at": at,
            }
        )
        message = await messages_service.create_individual(db, principal, data, "pt-BR", settings)
        return json.dumps({"id": message.id, "status": message.status.value})

    typer.echo(as_user(user, work))


@optouts_app.command("add")
def add_opt_out(
    user: User,
    phone: Annotated[str, typer.Argument(help="The number")],
    note: Annotated[str | None, typer.Option(help="Why")] = None,
) -> None:
    async def work(db: AsyncSession, principal: Principal, _settings: Settings) -> str:
        entry = await safety_service.add(db, principal, phone, note, "pt-BR")
        return f"{entry.id}\t{entry.phone}"

    typer.echo(as_user(user, work))


@optouts_app.command("list")
def list_opt_outs(user: User) -> None:
    async def work(db: AsyncSession, principal: Principal, _settings: Settings) -> list[str]:
        found = await safety_service.listing(db, principal, None, "pt-BR", 10_000)
        return [f"{o.id}\t{o.phone}\t{o.source.value}\t{o.keyword or o.note or ''}" for o in found]

    for line in as_user(user, work):
        typer.echo(line)
