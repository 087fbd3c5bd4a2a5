"""Figures for the dashboard's home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.reports.overview import Overview, overview
from zapflow.web.deps import DbSession

router = APIRouter(tags=["reports"])


@router.get("/reports/overview", response_model=Overview)
async def get_overview(
    principal: CurrentPrincipal, db: DbSession, days: Annotated[int, Query(ge=1, le=90)] = 7
) -> Overview:
    """Sent today, scheduled, success rate and failures per session over the last `days`."""
    return await overview(db, principal, days)
