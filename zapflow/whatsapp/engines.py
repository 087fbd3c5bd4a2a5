"""Pick the driver for a session's engine."""

from __future__ import annotations

from zapflow.config import Settings
from zapflow.models import Engine
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.protocol import WhatsAppDriver
from zapflow.whatsapp.simulator.driver import SimulatorDriver
from zapflow.whatsapp.simulator.network import network_for


class EngineUnavailable(Exception):
    pass


def simulator_driver(settings: Settings, session_id: int, store: AuthStore) -> SimulatorDriver:
    if not settings.simulator_on:
        raise EngineUnavailable("the simulator is disabled (ZAPFLOW_SIMULATOR_ENABLED=false)")
    return SimulatorDriver(
        session_id,
        store,
        network_for(settings.simulator_seed, settings.clock(), settings.simulator_journal),
        qr_seconds=settings.simulator_qr_seconds,
    )


def driver_for(
    engine: Engine, settings: Settings, session_id: int, store: AuthStore, gateway: object | None
) -> WhatsAppDriver:
    if engine is Engine.simulator:
        return simulator_driver(settings, session_id, store)
    if engine is Engine.baileys:
        from zapflow.whatsapp.baileys import BaileysDriver, Gateway

        if not isinstance(gateway, Gateway):
            raise EngineUnavailable("the Baileys gateway is not running in this worker")
        return BaileysDriver(gateway, session_id)
    raise EngineUnavailable(str(engine))
