"""The one async protocol every WhatsApp engine implements (simulator, Baileys, later whatsmeow).

A driver runs one session (one WhatsApp number). After `connect()`, everything the network
says arrives as events from `events()`: connection state, QR codes, pairing codes, delivery
receipts and inbound texts. Calls that ask something of the network (`send`, `check_numbers`,
groups) raise `WhatsAppError` with a code and whether retrying can help.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ConnectionState(StrEnum):
    connecting = "connecting"
    qr = "qr"
    open = "open"
    close = "close"
    logged_out = "logged_out"


class CloseReason(StrEnum):
    """Why a connection closed, in our words (the engine's code travels alongside)."""

    connection_lost = "connection_lost"  # 408 / 428: network blip; reconnect with backoff
    server_error = "server_error"  # 500 / 503
    restart_required = "restart_required"  # 515: after pairing; reconnect at once
    logged_out = "logged_out"  # 401: the phone unlinked us; keys are wiped
    forbidden = "forbidden"  # 403: banned or restricted; never reconnect by ourselves
    replaced = "replaced"  # 440: the number connected elsewhere; never reconnect
    stopped = "stopped"  # we closed it
    keys_unreadable = "keys_unreadable"  # stored keys cannot be decrypted: encryption key missing


@dataclass(frozen=True)
class StateEvent:
    state: ConnectionState
    reason: CloseReason | None = None
    code: int | None = None
    qr: str | None = None
    phone: str | None = None  # E.164 of the number, once open
    retry_in: float | None = None  # seconds until the engine reconnects by itself


class ReceiptStatus(StrEnum):
    server_ack = "server_ack"
    delivered = "delivered"
    read = "read"
    error = "error"


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: ReceiptStatus
    code: int | None = None


@dataclass(frozen=True)
class InboundText:
    sender: str  # E.164
    text: str
    message_id: str


@dataclass(frozen=True)
class PairingCode:
    code: str
    phone: str


Event = StateEvent | Receipt | InboundText | PairingCode


class MessageKind(StrEnum):
    text = "text"
    image = "image"
    document = "document"


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str  # chosen by the caller, before sending: receipts come back with it
    to: str  # E.164, or a group id
    kind: MessageKind
    text: str | None = None
    media: bytes | None = None
    media_url: str | None = None
    mimetype: str | None = None
    filename: str | None = None


class WhatsAppError(Exception):
    """The network refused: `code` as the engine reports it, `transient` if a retry may help."""

    def __init__(self, code: str, reason: str, *, transient: bool = False) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason, self.transient = code, reason, transient


class NotConnected(WhatsAppError):
    def __init__(self) -> None:
        super().__init__("not_connected", "the session is not connected", transient=True)


@dataclass(frozen=True)
class NumberCheck:
    phone: str
    on_whatsapp: bool
    jid: str | None = None


class ParticipantStatus(StrEnum):
    added = "added"
    already_member = "already_member"
    not_on_whatsapp = "not_on_whatsapp"
    privacy_blocked = "privacy_blocked"  # needs an invite link instead
    recently_left = "recently_left"
    group_full = "group_full"
    failed = "failed"


@dataclass(frozen=True)
class ParticipantResult:
    phone: str
    status: ParticipantStatus
    code: int | None = None


@dataclass(frozen=True)
class GroupInfo:
    group_id: str
    subject: str
    participants: list[str] = field(default_factory=list)
    owner: str | None = None


class WhatsAppDriver(Protocol):
    """One session on one engine."""

    async def connect(self) -> None:
        """Start connecting (QR codes or an open connection follow as events)."""

    def events(self) -> AsyncIterator[Event]:
        """Everything the network says, in order, until `close()`."""
        ...

    async def request_pairing_code(self, phone: str) -> str:
        """Log in with an 8-character code typed on the phone instead of a QR."""
        ...

    async def send(self, message: OutgoingMessage) -> None:
        """Send with the caller's message id; raises `WhatsAppError` when refused."""

    async def send_presence(self, to: str, presence: str) -> None:
        """`composing` before a message, `paused` after."""

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberCheck]: ...

    async def create_group(
        self, subject: str, participants: Sequence[str]
    ) -> tuple[GroupInfo, list[ParticipantResult]]: ...

    async def add_participants(
        self, group_id: str, phones: Sequence[str]
    ) -> list[ParticipantResult]: ...

    async def invite_code(self, group_id: str) -> str: ...

    async def group_metadata(self, group_id: str) -> GroupInfo: ...

    async def logout(self) -> None:
        """Unlink this device from the phone; the keys are wiped."""

    async def close(self) -> None:
        """Stop the connection (keeping the keys) and end `events()`."""
