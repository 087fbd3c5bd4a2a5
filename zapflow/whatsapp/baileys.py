"""The Baileys engine: a Node sidecar (`gateway/`) hosting many sockets, spoken to in JSON lines.

`Gateway` starts `node gateway/src/main.js` as a child of the worker and supervises it: if it
dies, the worker lives on, the gateway is started again and every session it hosted
reconnects. The gateway keeps no state: it asks Python for auth keys (`auth.get`, `auth.set`,
`auth.clear`), which the `AuthStore` keeps encrypted in PostgreSQL; `auth.set` is one
transaction. `BaileysDriver` is one session on top of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any

from zapflow.logging import get_logger
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.protocol import (
    CloseReason,
    ConnectionState,
    Event,
    GroupInfo,
    InboundText,
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

log = get_logger(__name__)
GATEWAY_DIR = Path(__file__).resolve().parents[2] / "gateway"
CALL_TIMEOUT_SECONDS = 60.0
RESTART_BACKOFF_SECONDS = (0.5, 30.0)
STREAM_LIMIT = 64 * 1024 * 1024  # a media message travels as one line


class GatewayUnavailable(Exception):
    pass


class Gateway:
    def __init__(
        self,
        store: AuthStore,
        *,
        node: str = "node",
        gateway_dir: Path = GATEWAY_DIR,
        backoff_ms: tuple[int, int] = (1000, 60000),
    ) -> None:
        self.store = store
        self.node = node
        self.gateway_dir = gateway_dir
        self.backoff_ms = backoff_ms
        self.drivers: dict[str, BaileysDriver] = {}
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._started = asyncio.Event()
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- process --------------------------------------------------------------------------

    async def ensure_started(self) -> None:
        async with self._lock:
            if self._supervisor is None:
                if not (self.gateway_dir / "node_modules" / "baileys").exists():
                    raise GatewayUnavailable("gateway/node_modules is missing: run 'make deps'")
                self._supervisor = asyncio.create_task(self._supervise())
        await asyncio.wait_for(self._started.wait(), timeout=30)

    async def _supervise(self) -> None:
        backoff = RESTART_BACKOFF_SECONDS[0]
        while not self._stopping:
            try:
                await self._run_once()
                backoff = RESTART_BACKOFF_SECONDS[0]
            except Exception:
                log.exception("gateway_failed")
            if self._stopping:
                return
            self.restarts += 1
            log.warning("gateway_restarting", restarts=self.restarts, in_seconds=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RESTART_BACKOFF_SECONDS[1])

    async def _run_once(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.node,
            "src/main.js",
            cwd=self.gateway_dir,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=STREAM_LIMIT,
            env={**os.environ, "NODE_ENV": "production"},
        )
        log.info("gateway_started", pid=self.process.pid)
        stderr = asyncio.create_task(self._drain_stderr(self.process))
        try:
            await self._read(self.process)
        finally:
            stderr.cancel()
            self._started.clear()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(GatewayUnavailable("gateway exited"))
            self._pending.clear()
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
            log.warning("gateway_exited", code=self.process.returncode)
            for driver in list(self.drivers.values()):
                driver.deliver_gateway_lost()

    async def _drain_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            log.warning("gateway_stderr", line=line.decode(errors="replace")[:300])

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            try:
                message = json.loads(raw)
            except json.JSONDecodeError:
                log.warning("gateway_bad_line")
                continue
            await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("event") == "ready":
            self._started.set()
            self._spawn(self._reconnect_all())
        elif "reply" in message:
            future = self._pending.pop(message["reply"], None)
            if future is not None and not future.done():
                if message.get("ok"):
                    future.set_result(message.get("result"))
                else:
                    future.set_exception(_error(message))
        elif "op" in message:
            self._spawn(self._answer(message))
        elif message.get("event") == "log":
            log.warning(
                "gateway_log",
                what=message.get("what"),
                session_id=message.get("session"),
                error=message.get("error"),
            )
        elif "session" in message:
            driver = self.drivers.get(str(message["session"]))
            if driver is not None:
                driver.deliver(message)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)  # keep a reference until it finishes
        task.add_done_callback(self._tasks.discard)

    async def _reconnect_all(self) -> None:
        """After a (re)start, every session this worker runs comes back."""
        if self.restarts == 0:
            return
        for driver in list(self.drivers.values()):
            with contextlib.suppress(Exception):
                await driver.connect()

    async def _answer(self, request: dict[str, Any]) -> None:
        """The gateway asks for auth state; we answer from the encrypted store."""
        try:
            session_id = int(request["session"])
            op = request["op"]
            result: Any = None
            reply: dict[str, Any]
            if op == "auth.get":
                result = await self.store.get(session_id, request["type"], request["ids"])
            elif op == "auth.set":
                await self.store.set(session_id, request["data"])
            elif op == "auth.clear":
                await self.store.clear(session_id)
            else:
                raise ValueError(f"unknown request {op}")
            reply = {"reply": request["id"], "ok": True, "result": result}
        except Exception as exc:
            log.warning("gateway_request_failed", op=request.get("op"), error=type(exc).__name__)
            reply = {"reply": request.get("id"), "ok": False, "error": type(exc).__name__}
        with contextlib.suppress(GatewayUnavailable, ConnectionError):  # it may have just died
            await self._write(reply)

    async def _write(self, message: dict[str, Any]) -> None:
        process = self.process
        if process is None or process.stdin is None or process.returncode is not None:
            raise GatewayUnavailable("gateway not running")
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()

    async def call(self, op: str, *, wait: float = CALL_TIMEOUT_SECONDS, **params: Any) -> Any:
        await self.ensure_started()
        self._next_id += 1
        request_id = f"p{self._next_id}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self._write({"id": request_id, "op": op, **params})
        try:
            return await asyncio.wait_for(future, wait)
        finally:
            self._pending.pop(request_id, None)

    async def stop(self) -> None:
        self._stopping = True
        if self.process is not None and self.process.returncode is None and self.process.stdin:
            self.process.stdin.close()  # the gateway exits when its stdin closes
            try:
                await asyncio.wait_for(self.process.wait(), timeout=5)
            except TimeoutError:
                self.process.kill()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor


def _error(message: dict[str, Any]) -> Exception:
    if message.get("code") == "not_connected":
        return NotConnected()
    text = str(message.get("error", "gateway error"))
    transient = any(
        word in text.lower() for word in ("timed out", "rate-overlimit", "connection closed")
    )
    return WhatsAppError(str(message.get("code") or "gateway"), text, transient=transient)


_CLOSE_REASONS = {reason.value: reason for reason in CloseReason}


def to_event(message: dict[str, Any]) -> Event | None:
    kind = message.get("event")
    if kind == "state":
        retry = message.get("retry_in_ms")
        return StateEvent(
            ConnectionState(message["state"]),
            reason=_CLOSE_REASONS.get(message.get("reason") or ""),
            code=message.get("code"),
            qr=message.get("qr"),
            phone=message.get("phone"),
            retry_in=None if retry is None else retry / 1000,
        )
    if kind == "receipt":
        return Receipt(message["message_id"], ReceiptStatus(message["status"]))
    if kind == "inbound":
        return InboundText(message["sender"], message["text"], message["message_id"])
    if kind == "pairing_code":
        return PairingCode(message["code"], message["phone"])
    return None


class BaileysDriver:
    def __init__(self, gateway: Gateway, session_id: int) -> None:
        self.gateway = gateway
        self.session_id = session_id
        self.key = str(session_id)
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._closed = False

    def deliver(self, message: dict[str, Any]) -> None:
        event = to_event(message)
        if event is not None and not self._closed:
            self._queue.put_nowait(event)

    def deliver_gateway_lost(self) -> None:
        if not self._closed:
            self._queue.put_nowait(
                StateEvent(
                    ConnectionState.close,
                    reason=CloseReason.connection_lost,
                    code=None,
                    retry_in=RESTART_BACKOFF_SECONDS[0],
                )
            )

    async def connect(self) -> None:
        self.gateway.drivers[self.key] = self
        low, high = self.gateway.backoff_ms
        await self.gateway.call(
            "connect", session=self.key, options={"backoffInitialMs": low, "backoffMaxMs": high}
        )

    def events(self) -> AsyncIterator[Event]:
        return self._drain()

    async def _drain(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def request_pairing_code(self, phone: str) -> str:
        return str(await self.gateway.call("pairing_code", session=self.key, phone=phone))

    async def send(self, message: OutgoingMessage) -> None:
        payload = {
            "message_id": message.message_id,
            "to": message.to,
            "kind": message.kind.value,
            "text": message.text,
            "media_url": message.media_url,
            "mimetype": message.mimetype,
            "filename": message.filename,
            "media_base64": base64.b64encode(message.media).decode() if message.media else None,
        }
        await self.gateway.call("send", session=self.key, message=payload)

    async def send_presence(self, to: str, presence: str) -> None:
        await self.gateway.call("presence", session=self.key, to=to, presence=presence)

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberCheck]:
        rows = await self.gateway.call("on_whatsapp", session=self.key, phones=list(phones))
        return [NumberCheck(r["phone"], bool(r["exists"]), r.get("jid")) for r in rows]

    async def create_group(
        self, subject: str, participants: Sequence[str]
    ) -> tuple[GroupInfo, list[ParticipantResult]]:
        result = await self.gateway.call(
            "group_create", session=self.key, subject=subject, phones=list(participants)
        )
        return _group(result["group"]), [_participant(r) for r in result["results"]]

    async def add_participants(
        self, group_id: str, phones: Sequence[str]
    ) -> list[ParticipantResult]:
        rows = await self.gateway.call(
            "group_add", session=self.key, group=group_id, phones=list(phones)
        )
        return [_participant(r) for r in rows]

    async def invite_code(self, group_id: str) -> str:
        return str(await self.gateway.call("group_invite", session=self.key, group=group_id))

    async def group_metadata(self, group_id: str) -> GroupInfo:
        return _group(await self.gateway.call("group_metadata", session=self.key, group=group_id))

    async def logout(self) -> None:
        await self.gateway.call("logout", session=self.key)

    async def close(self) -> None:
        self._closed = True
        self.gateway.drivers.pop(self.key, None)
        with contextlib.suppress(Exception):
            await self.gateway.call("disconnect", session=self.key, wait=10)
        self._queue.put_nowait(None)


def _group(row: dict[str, Any]) -> GroupInfo:
    return GroupInfo(
        row["group_id"], row["subject"], list(row.get("participants") or []), row.get("owner")
    )


def _participant(row: dict[str, Any]) -> ParticipantResult:
    return ParticipantResult(row["phone"], ParticipantStatus(row["status"]), row.get("code"))
