"""Liveness and readiness, for load balancers and orchestrators. No authentication, no data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from zapflow.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the head migration."""
    try:
        async with request.app.state.engine.connect() as conn:
            revision = await conn.run_sync(current_revision)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__}, 503
        )
    head = head_revision()
    if revision != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "migrations": "behind",
                "current": revision,
                "head": head,
            },
            503,
        )
    return JSONResponse(
        {"status": "ok", "database": "ok", "migrations": "head", "current": revision}
    )
