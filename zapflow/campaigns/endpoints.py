"""Campaigns over HTTP: create (numbers, a list, or a CSV), follow, pause, resume, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.campaigns import service
from zapflow.campaigns.eta import Eta
from zapflow.campaigns.schemas import (
    CampaignCsvIn,
    CampaignIn,
    CampaignOut,
    CsvCampaignOut,
    EstimateIn,
    EtaOut,
)
from zapflow.config import Settings
from zapflow.contacts import service as contacts_service
from zapflow.errors import Invalid
from zapflow.kit.i18n import describe_validation_error
from zapflow.models import Campaign
from zapflow.web.deps import AppSettings, DbSession, request_locale
from zapflow.web.uploads import read_limited

router = APIRouter(tags=["campaigns"])


def eta_out(eta: Eta | None) -> EtaOut | None:
    if eta is None:
        return None
    return EtaOut(
        finishes_at=eta.finishes_at,
        remaining=eta.remaining,
        per_hour=eta.per_hour,
        blocked_reason=eta.blocked_reason,
    )


async def to_out(db: AsyncSession, campaign: Campaign, settings: Settings) -> CampaignOut:
    counts = await service.counts(db, campaign.id)
    session_ids = await service.pool_ids(db, campaign.id)
    eta = await service.eta(db, campaign, settings, counts=counts, session_ids=session_ids)
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        status=campaign.status,
        message_type=campaign.message_type,
        body_template=campaign.body_template,
        media_id=campaign.media_id,
        media_url=campaign.media_url,
        session_ids=session_ids,
        audience=campaign.audience,
        scheduled_at=campaign.scheduled_at,
        timezone=campaign.timezone,
        min_delay_seconds=campaign.min_delay_ms / 1000,
        max_delay_seconds=campaign.max_delay_ms / 1000,
        send_window_start=campaign.send_window_start,
        send_window_end=campaign.send_window_end,
        counts=counts,
        total=sum(counts.values()),
        eta=eta_out(eta),
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        created_at=campaign.created_at,
    )


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
async def create_campaign(
    body: CampaignIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
) -> CampaignOut:
    """A campaign to typed numbers or a contact list, sent by a pool of sessions. Every
    recipient gets one row in the message log at once (opted-out numbers as skipped)."""
    campaign = await service.create(db, principal, body, settings, request_locale(request))
    return await to_out(db, campaign, settings)


@router.post("/campaigns/csv", response_model=CsvCampaignOut, status_code=201)
async def create_campaign_from_csv(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="CSV, TSV or XLSX with the recipients")],
    campaign: Annotated[str, Form(description="The campaign as JSON (CampaignCsvIn)")],
) -> CsvCampaignOut:
    """Import a spreadsheet into a new list (rejected rows reported, as in /contacts/imports)
    and start a campaign to everyone imported, in one transaction."""
    locale = request_locale(request)
    try:
        data = CampaignCsvIn.model_validate_json(campaign)
    except ValidationError as exc:
        problems = "; ".join(describe_validation_error(dict(e), locale) for e in exc.errors())
        raise Invalid("campaigns.bad_csv_form", problem=problems) from exc
    raw = await read_limited(file, settings.max_import_mb * 1024 * 1024)
    parsed = contacts_service.open_file(raw, data.mapping, data.default_area_code, locale)
    contact_list = await contacts_service.resolve_list(
        db, principal, list_id=None, list_name=f"{data.name} ({file.filename or 'CSV'})"[:200]
    )
    assert contact_list is not None
    record, counts = await contacts_service.import_file(
        db,
        principal,
        parsed,
        filename=(file.filename or "")[:255] or None,
        contact_list=contact_list,
    )
    created = await service.create_for_import(
        db, principal, data, settings, list_id=contact_list.id, import_id=record.id
    )
    return CsvCampaignOut(
        campaign=await to_out(db, created, settings),
        import_id=record.id,
        rejected=counts.rejected,
        report_url=f"/api/v1/contacts/imports/{record.id}/report.csv",
    )


@router.post("/campaigns/estimate", response_model=EtaOut)
async def estimate_campaign(
    body: EstimateIn, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> EtaOut:
    """When a campaign with these settings would finish, before creating it."""
    result = eta_out(await service.estimate_draft(db, principal, body, settings))
    assert result is not None
    return result


@router.get("/campaigns", response_model=list[CampaignOut])
async def list_campaigns(
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CampaignOut]:
    return [await to_out(db, c, settings) for c in await service.listing(db, principal, limit)]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
async def get_campaign(
    campaign_id: int, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> CampaignOut:
    """Progress (messages by status) and the ETA."""
    return await to_out(db, await service.get(db, principal, campaign_id), settings)


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignOut)
async def pause_campaign(
    campaign_id: int, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> CampaignOut:
    return await to_out(db, await service.pause(db, principal, campaign_id), settings)


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignOut)
async def resume_campaign(
    campaign_id: int, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> CampaignOut:
    return await to_out(db, await service.resume(db, principal, campaign_id), settings)


@router.post("/campaigns/{campaign_id}/cancel", response_model=CampaignOut)
async def cancel_campaign(
    campaign_id: int, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> CampaignOut:
    """Nothing more leaves; waiting messages are logged as skipped (cancelled)."""
    return await to_out(db, await service.cancel(db, principal, campaign_id), settings)
