"""WhatsApp sessions over HTTP: create, list with live status, restart, logout, delete; the QR
as PNG, SVG and a live stream (SSE); pairing codes; the status history."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import segno
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.db.engine import transaction
from zapflow.kit.i18n import translate
from zapflow.models import WhatsAppSession
from zapflow.sessions import service
from zapflow.sessions.schemas import (
    CommandOut,
    PairingIn,
    PairingOut,
    SessionEventOut,
    SessionIn,
    SessionOut,
    SessionUpdateIn,
)
from zapflow.web.deps import AppSettings, DbSession, request_locale

router = APIRouter(tags=["sessions"])
STREAM_POLL_SECONDS = 0.5
STREAM_MAX_SECONDS = 600  # browsers reconnect an EventSource by themselves
STREAM_KEEPALIVE_SECONDS = 15
PAIRING_WAIT_SECONDS = 15.0
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(principal: CurrentPrincipal, db: DbSession) -> list[SessionOut]:
    return [service.to_out(s) for s in await service.list_all(db, principal)]


@router.post("/sessions", response_model=SessionOut, status_code=201)
async def create_session(
    body: SessionIn, principal: CurrentPrincipal, db: DbSession, settings: AppSettings
) -> SessionOut:
    """Add a WhatsApp number. A worker starts it at once; its QR code follows."""
    return service.to_out(await service.create(db, principal, body, settings))


@router.get("/sessions/{session_id}", response_model=SessionOut)
async def get_session(session_id: int, principal: CurrentPrincipal, db: DbSession) -> SessionOut:
    return service.to_out(await service.get(db, principal, session_id))


@router.patch("/sessions/{session_id}", response_model=SessionOut)
async def update_session(
    session_id: int, body: SessionUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> SessionOut:
    return service.to_out(await service.update_session(db, principal, session_id, body))


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(session_id: int, principal: CurrentPrincipal, db: DbSession) -> None:
    """Delete the session and wipe its keys."""
    await service.remove(db, principal, session_id)


@router.post("/sessions/{session_id}/restart", response_model=CommandOut, status_code=202)
async def restart_session(
    session_id: int, request: Request, principal: CurrentPrincipal, db: DbSession
) -> CommandOut:
    key = await service.restart(db, principal, session_id)
    return CommandOut(accepted=True, detail=translate(key, request_locale(request)))


@router.post("/sessions/{session_id}/logout", response_model=CommandOut, status_code=202)
async def logout_session(
    session_id: int, request: Request, principal: CurrentPrincipal, db: DbSession
) -> CommandOut:
    key = await service.logout(db, principal, session_id)
    return CommandOut(accepted=True, detail=translate(key, request_locale(request)))


@router.get("/sessions/{session_id}/history", response_model=list[SessionEventOut])
async def session_history(
    session_id: int,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SessionEventOut]:
    """When the session connected and disconnected, and why; newest first."""
    return [
        SessionEventOut.model_validate(e)
        for e in await service.history(db, principal, session_id, limit)
    ]


@router.get("/sessions/{session_id}/qr.svg", response_class=Response)
async def qr_svg(session_id: int, principal: CurrentPrincipal, db: DbSession) -> Response:
    code = segno.make(await service.current_qr(db, principal, session_id), error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return Response(out.getvalue(), media_type="image/svg+xml", headers=NO_STORE)


@router.get("/sessions/{session_id}/qr.png", response_class=Response)
async def qr_png(session_id: int, principal: CurrentPrincipal, db: DbSession) -> Response:
    code = segno.make(await service.current_qr(db, principal, session_id), error="m")
    out = io.BytesIO()
    code.save(out, kind="png", scale=8, border=2)
    return Response(out.getvalue(), media_type="image/png", headers=NO_STORE)


@router.get("/sessions/{session_id}/stream", response_class=StreamingResponse)
async def session_stream(
    session_id: int, request: Request, principal: CurrentPrincipal, db: DbSession
) -> StreamingResponse:
    """Server-sent events: one `status` event each time the status or the QR changes.

    `data` is `{"status", "reason", "phone", "qr", "pairing_code"}`; `qr` is the text to draw as a
    QR code (or fetch `qr.svg`). The stream ends after ten minutes; EventSource reconnects."""
    await service.get(db, principal, session_id)
    sessionmaker = request.app.state.sessionmaker
    return StreamingResponse(
        _stream(sessionmaker, session_id, request),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


async def _stream(sessionmaker: object, session_id: int, request: Request) -> AsyncIterator[str]:
    last: dict[str, object] | None = None
    started = last_sent = time.monotonic()
    while time.monotonic() - started < STREAM_MAX_SECONDS and not await request.is_disconnected():
        async with transaction(sessionmaker) as db:  # type: ignore[arg-type]
            session = (
                await db.execute(select(WhatsAppSession).where(WhatsAppSession.id == session_id))
            ).scalar_one_or_none()
        if session is None:
            yield "event: deleted\ndata: {}\n\n"
            return
        snapshot: dict[str, object] = {
            "status": session.status.value,
            "reason": session.status_reason,
            "phone": session.phone,
            "qr": session.qr_code if session.status.value == "qr" else None,
            "pairing_code": session.pairing_code,
        }
        if snapshot != last:
            last, last_sent = snapshot, time.monotonic()
            yield f"event: status\ndata: {json.dumps(snapshot)}\n\n"
        elif time.monotonic() - last_sent > STREAM_KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_SECONDS)


@router.post("/sessions/{session_id}/pairing-code", response_model=PairingOut)
async def pairing_code(
    session_id: int, body: PairingIn, request: Request, principal: CurrentPrincipal
) -> PairingOut:
    """Log in with a code typed on the phone (WhatsApp > Linked devices > Link with phone number).

    Waits up to 15 s for the session's worker to get the code; `pending` means poll the session.
    The command is committed before waiting, so the worker can see it."""
    sessionmaker = request.app.state.sessionmaker
    async with transaction(sessionmaker) as db:
        asked_at = await service.ask_pairing_code(db, principal, session_id, body.phone)
    deadline = time.monotonic() + PAIRING_WAIT_SECONDS
    while time.monotonic() < deadline:
        async with transaction(sessionmaker) as db:
            session = await service.get(db, principal, session_id)
        if session.pairing_code and session.pairing_code_at and session.pairing_code_at >= asked_at:
            return PairingOut(code=session.pairing_code, pending=False)
        await asyncio.sleep(0.2)
    return PairingOut(code=None, pending=True)
