"""Control of the simulated WhatsApp network: scan a QR, confirm a pairing code, inject faults.
Mounted only while the simulator is enabled (never by default in production)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.errors import Conflict, Invalid
from zapflow.kit.i18n import translate
from zapflow.kit.phones import normalize_phone
from zapflow.models import Engine, WhatsAppSession
from zapflow.sessions import service
from zapflow.sessions.schemas import CommandOut, ConfirmPairingIn, FaultIn, ScanIn
from zapflow.web.deps import AppSettings, DbSession, request_locale
from zapflow.whatsapp.simulator.driver import confirm_pairing, scan

router = APIRouter(prefix="/simulator", tags=["simulator"])


async def _simulator_session(
    db: DbSession, principal: CurrentPrincipal, session_id: int
) -> WhatsAppSession:
    session = await service.get(db, principal, session_id)
    if session.engine is not Engine.simulator:
        raise Invalid("sessions.not_simulator")
    return session


@router.post("/sessions/{session_id}/scan", response_model=CommandOut)
async def scan_qr(
    session_id: int,
    body: ScanIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
) -> CommandOut:
    """Do what a phone does when it scans the session's QR code."""
    session = await _simulator_session(db, principal, session_id)
    phone = normalize_phone(body.phone).e164 if body.phone else service.simulated_phone(session.id)
    if phone is None:
        raise Invalid("contacts.invalid_phone", raw=body.phone, problem="?")
    await scan(db, settings.keyring(), session.id, phone)
    return CommandOut(accepted=True, detail=translate("sessions.scanned", request_locale(request)))


@router.post("/sessions/{session_id}/pairing/confirm", response_model=CommandOut)
async def confirm_pairing_code(
    session_id: int,
    body: ConfirmPairingIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
) -> CommandOut:
    """Do what a phone does when the pairing code is typed on it."""
    session = await _simulator_session(db, principal, session_id)
    if not await confirm_pairing(db, settings.keyring(), session.id, body.code):
        raise Conflict("sessions.bad_pairing_code")
    return CommandOut(accepted=True, detail=translate("sessions.scanned", request_locale(request)))


@router.post("/sessions/{session_id}/faults", response_model=CommandOut, status_code=202)
async def inject_fault(
    session_id: int, body: FaultIn, request: Request, principal: CurrentPrincipal, db: DbSession
) -> CommandOut:
    """disconnect | logout | ban | restrict (463) or rate_overlimit (429) for `count` sends |
    inbound (`sender`, `text`)."""
    payload: dict[str, str] = {"fault": body.fault}
    if body.count is not None:
        payload["count"] = str(body.count)
    if body.sender is not None:
        sender = normalize_phone(body.sender).e164 or body.sender
        payload["from"] = sender
    if body.text is not None:
        payload["text"] = body.text
    await service.simulator_fault(db, principal, session_id, payload)
    return CommandOut(
        accepted=True, detail=translate("sessions.fault_sent", request_locale(request))
    )
