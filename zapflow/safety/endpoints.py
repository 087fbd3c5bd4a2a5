"""The opt-out list and the per-number failure log over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.safety import service
from zapflow.safety.schemas import NumberFailureOut, OptOutIn, OptOutOut
from zapflow.web.deps import DbSession, request_locale

router = APIRouter(tags=["opt-outs"])
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/opt-outs", response_model=list[OptOutOut])
async def list_opt_outs(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    phone: str | None = None,
    limit: Limit = 200,
) -> list[OptOutOut]:
    found = await service.listing(db, principal, phone, request_locale(request), limit)
    return [OptOutOut.model_validate(o) for o in found]


@router.post("/opt-outs", response_model=OptOutOut, status_code=201)
async def add_opt_out(
    body: OptOutIn, request: Request, principal: CurrentPrincipal, db: DbSession
) -> OptOutOut:
    """Never message this number again (checked at send time, for every campaign)."""
    entry = await service.add(db, principal, body.phone, body.note, request_locale(request))
    return OptOutOut.model_validate(entry)


@router.get("/opt-outs/{opt_out_id}", response_model=OptOutOut)
async def get_opt_out(opt_out_id: int, principal: CurrentPrincipal, db: DbSession) -> OptOutOut:
    return OptOutOut.model_validate(await service.get_opt_out(db, principal, opt_out_id))


@router.delete("/opt-outs/{opt_out_id}", status_code=204)
async def remove_opt_out(opt_out_id: int, principal: CurrentPrincipal, db: DbSession) -> Response:
    await service.remove(db, principal, opt_out_id)
    return Response(status_code=204)


@router.get("/number-failures", response_model=list[NumberFailureOut])
async def number_failures(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    phone: str | None = None,
    limit: Limit = 200,
) -> list[NumberFailureOut]:
    """Failed sends per number (newest first); enough of them suppress the number."""
    found = await service.failures(db, principal, phone, request_locale(request), limit)
    return [NumberFailureOut.model_validate(f) for f in found]


@router.get("/number-failures/{failure_id}", response_model=NumberFailureOut)
async def get_number_failure(
    failure_id: int, principal: CurrentPrincipal, db: DbSession
) -> NumberFailureOut:
    return NumberFailureOut.model_validate(await service.get_failure(db, principal, failure_id))
