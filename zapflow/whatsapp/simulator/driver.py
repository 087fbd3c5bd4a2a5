"""The simulator engine: one session on the simulated network.

Login works like the real thing, through the database so that any process can take part:
the driver shows QR codes (`zfsim:<session>:<n>:<nonce>`) until creds appear in the session's
auth store. `zapflow simulator scan` (or the simulator API) writes those creds, as a phone
would by scanning. A pairing code works the same way. Creds stay, encrypted like a real
engine's, so a restarted worker reconnects without a new QR.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.kit.crypto import Keyring, UnknownKey
from zapflow.sessions.auth_store import AuthStore, get_keys, set_keys
from zapflow.whatsapp.protocol import (
    CloseReason,
    ConnectionState,
    Event,
    GroupInfo,
    InboundText,
    MessageKind,
    NotConnected,
    NumberCheck,
    OutgoingMessage,
    PairingCode,
    ParticipantResult,
    ParticipantStatus,
    Receipt,
    ReceiptStatus,
    StateEvent,
    WhatsAppError,
)
from zapflow.whatsapp.simulator.network import GROUP_LIMIT, Delivery, Group, SimulatedNetwork

CREDS_POLL_SECONDS = 0.2
RECONNECT_SECONDS = 1.0
PAIRING_KEY = ("simulator", "pairing")


@dataclass(frozen=True)
class SimulatorCreds:
    phone: str

    def dump(self) -> str:
        return json.dumps(
            {"engine": "simulator", "phone": self.phone, "noise": secrets.token_hex(16)}
        )


async def scan(db: AsyncSession, keyring: Keyring, session_id: int, phone: str) -> None:
    """What a phone does when it scans the QR: the session now has creds."""
    await set_keys(db, keyring, session_id, {"creds": {"creds": SimulatorCreds(phone).dump()}})


async def confirm_pairing(db: AsyncSession, keyring: Keyring, session_id: int, code: str) -> bool:
    """What a phone does when the pairing code is typed on it. False if the code is wrong."""
    pending = (await get_keys(db, keyring, session_id, PAIRING_KEY[0], [PAIRING_KEY[1]]))[
        PAIRING_KEY[1]
    ]
    if pending is None:
        return False
    wanted = json.loads(pending)
    if wanted["code"].replace("-", "") != code.replace("-", "").upper():
        return False
    creds = SimulatorCreds(wanted["phone"]).dump()
    await set_keys(
        db, keyring, session_id, {"creds": {"creds": creds}, PAIRING_KEY[0]: {PAIRING_KEY[1]: None}}
    )
    return True


class SimulatorDriver:
    def __init__(
        self,
        session_id: int,
        store: AuthStore,
        network: SimulatedNetwork,
        *,
        qr_seconds: float = 20.0,
    ) -> None:
        self.session_id = session_id
        self.store = store
        self.network = network
        self.qr_seconds = qr_seconds
        # Deterministic on purpose: the simulator replays the same way for the same seed.
        self.rng = random.Random(f"{network.seed}:{session_id}")  # noqa: S311
        self.phone: str | None = None
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._timers: set[asyncio.Task[None]] = set()

    # --- connection -----------------------------------------------------------------------

    async def connect(self) -> None:
        self._task = asyncio.create_task(self._guarded_login())

    async def _guarded_login(self) -> None:
        try:
            await self._login()
        except UnknownKey:
            self._emit(StateEvent(ConnectionState.close, reason=CloseReason.keys_unreadable))
        except InvalidTag:
            self._emit(StateEvent(ConnectionState.close, reason=CloseReason.keys_unreadable))

    async def _login(self) -> None:
        self._emit(StateEvent(ConnectionState.connecting))
        qr_number = 0
        last_qr = 0.0
        while not self._closed:
            creds = (await self.store.get(self.session_id, "creds", ["creds"]))["creds"]
            if creds is not None:
                self.phone = json.loads(creds)["phone"]
                self._emit(StateEvent(ConnectionState.open, phone=self.phone))
                return
            if time.monotonic() - last_qr >= self.qr_seconds or qr_number == 0:
                qr_number += 1
                last_qr = time.monotonic()
                qr = f"zfsim:{self.session_id}:{qr_number}:{secrets.token_urlsafe(12)}"
                self._emit(StateEvent(ConnectionState.qr, qr=qr))
            await asyncio.sleep(CREDS_POLL_SECONDS)

    def events(self) -> AsyncIterator[Event]:
        return self._drain()

    async def _drain(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    def _emit(self, event: Event) -> None:
        if not self._closed:
            self._queue.put_nowait(event)

    async def request_pairing_code(self, phone: str) -> str:
        phone = phone if phone.startswith("+") else f"+{phone}"  # Baileys-style digits, too
        code = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
        await self.store.set(
            self.session_id,
            {PAIRING_KEY[0]: {PAIRING_KEY[1]: json.dumps({"code": code, "phone": phone})}},
        )
        formatted = f"{code[:4]}-{code[4:]}"
        self._emit(PairingCode(code=formatted, phone=phone))
        return formatted

    async def logout(self) -> None:
        await self.store.clear(self.session_id)
        self.phone = None
        self._emit(StateEvent(ConnectionState.logged_out, reason=CloseReason.logged_out, code=401))

    async def close(self) -> None:
        self._closed = True
        for task in [self._task, *self._timers]:
            if task is not None and not task.done():
                task.cancel()
        self._queue.put_nowait(None)

    # --- faults (simulator only) ----------------------------------------------------------

    async def inject(self, fault: str, payload: dict[str, str] | None = None) -> None:
        """disconnect | logout | ban | restrict | rate_overlimit | inbound."""
        payload = payload or {}
        if fault == "disconnect":
            self.phone = None
            self._emit(
                StateEvent(
                    ConnectionState.close,
                    reason=CloseReason.connection_lost,
                    code=428,
                    retry_in=RECONNECT_SECONDS,
                )
            )
            self._later(RECONNECT_SECONDS, self._guarded_login())
        elif fault == "logout":
            await self.logout()
        elif fault == "ban":
            self._ban()
        elif fault == "restrict":
            self.network.session_health(self.session_id).restricted_left = int(
                payload.get("count", "1")
            )
        elif fault == "rate_overlimit":
            self.network.session_health(self.session_id).overlimit_left = int(
                payload.get("count", "3")
            )
        elif fault == "inbound":
            self._emit(
                InboundText(
                    sender=payload["from"],
                    text=payload.get("text", ""),
                    message_id=secrets.token_hex(8),
                )
            )
        else:
            raise ValueError(f"unknown simulator fault: {fault}")

    def _ban(self) -> None:
        self.network.session_health(self.session_id).banned = True
        self.phone = None
        self._emit(StateEvent(ConnectionState.close, reason=CloseReason.forbidden, code=403))

    def _later(self, seconds: float, coro: object) -> None:
        async def run() -> None:
            await asyncio.sleep(seconds)
            await coro  # type: ignore[misc]

        task = asyncio.create_task(run())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    # --- messages -------------------------------------------------------------------------

    def _require_open(self) -> str:
        if self.phone is None or self._closed:
            raise NotConnected
        return self.phone

    async def _latency(self) -> None:
        low, high = self.network.rules.latency_ms
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high) / 1000)

    async def send(self, message: OutgoingMessage) -> None:
        self._require_open()
        await self._latency()
        health = self.network.session_health(self.session_id)
        if health.overlimit_left > 0:
            health.overlimit_left -= 1
            raise WhatsAppError("429", "rate-overlimit", transient=True)
        if health.restricted_left > 0:
            health.restricted_left -= 1
            raise WhatsAppError("463", "account restricted", transient=False)
        if self.rng.random() < self.network.rules.transient_failure_share:
            raise WhatsAppError("500", "transient server error", transient=True)
        verdict = self.network.judge_send(self.session_id, message.to)
        if verdict == "banned":
            self._ban()
            raise WhatsAppError("403", "account banned", transient=False)
        if verdict == "restricted":
            raise WhatsAppError("463", "account restricted: sending too fast", transient=False)
        if not message.to.endswith("@g.us") and not self.network.exists(message.to):
            raise WhatsAppError("not_on_whatsapp", "number not on WhatsApp", transient=False)
        if not message.to.endswith("@g.us") and self.network.blocks_us(message.to):
            raise WhatsAppError("blocked", "the recipient blocked this number", transient=False)
        if (
            message.kind is not MessageKind.text
            and message.media is None
            and message.media_url is None
        ):
            raise WhatsAppError("bad_media", "media message without media", transient=False)
        self.network.record(
            Delivery(
                self.session_id,
                message.message_id,
                message.to,
                message.kind.value,
                self.network.clock.now().timestamp(),
            )
        )
        self._emit(Receipt(message.message_id, ReceiptStatus.server_ack))
        self._schedule_receipts(message)

    def _schedule_receipts(self, message: OutgoingMessage) -> None:
        low, high = self.network.rules.receipt_delay_ms
        delivered_after = self.rng.uniform(low, high) / 1000
        reads = self.network.reads(message.to)

        async def receipts() -> None:
            await asyncio.sleep(delivered_after)
            self._emit(Receipt(message.message_id, ReceiptStatus.delivered))
            if reads:
                await asyncio.sleep(delivered_after)
                self._emit(Receipt(message.message_id, ReceiptStatus.read))

        task = asyncio.create_task(receipts())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def send_presence(self, to: str, presence: str) -> None:
        self._require_open()

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberCheck]:
        self._require_open()
        await self._latency()
        return [
            NumberCheck(
                p,
                self.network.exists(p),
                f"{p.lstrip('+')}@s.whatsapp.net" if self.network.exists(p) else None,
            )
            for p in phones
        ]

    # --- groups ---------------------------------------------------------------------------

    async def create_group(
        self, subject: str, participants: Sequence[str]
    ) -> tuple[GroupInfo, list[ParticipantResult]]:
        owner = self._require_open()
        group_id = f"{self.rng.getrandbits(64):020d}@g.us"
        self.network.groups[group_id] = Group(group_id, subject, owner, members={owner})
        results = await self.add_participants(group_id, participants)
        return await self.group_metadata(group_id), results

    async def add_participants(
        self, group_id: str, phones: Sequence[str]
    ) -> list[ParticipantResult]:
        self._require_open()
        group = self._group(group_id)
        return [self._add_one(group, phone) for phone in phones]

    def _add_one(self, group: Group, phone: str) -> ParticipantResult:
        network = self.network
        if not network.exists(phone):
            return ParticipantResult(phone, ParticipantStatus.not_on_whatsapp, 404)
        if phone in group.members:
            return ParticipantResult(phone, ParticipantStatus.already_member, 409)
        if len(group.members) >= GROUP_LIMIT:
            return ParticipantResult(phone, ParticipantStatus.group_full, 500)
        if network.blocks_group_adds(phone):
            return ParticipantResult(phone, ParticipantStatus.privacy_blocked, 403)
        if network.recently_left(phone) or phone in group.left:
            return ParticipantResult(phone, ParticipantStatus.recently_left, 408)
        group.members.add(phone)
        return ParticipantResult(phone, ParticipantStatus.added, 200)

    async def invite_code(self, group_id: str) -> str:
        self._require_open()
        self._group(group_id)
        return secrets.token_urlsafe(16)[:22]

    async def group_metadata(self, group_id: str) -> GroupInfo:
        self._require_open()
        group = self._group(group_id)
        return GroupInfo(group.group_id, group.subject, sorted(group.members), group.owner)

    def _group(self, group_id: str) -> Group:
        group = self.network.groups.get(group_id)
        if group is None:
            raise WhatsAppError("404", "group not found", transient=False)
        return group
