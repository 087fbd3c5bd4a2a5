"""Sending the outbox of one session (first slice: messages pinned to a session).

Rows are claimed with `FOR UPDATE SKIP LOCKED` and marked `sending`, with a message id of our
own, in one committed statement before the driver is called: a worker that dies mid-send
leaves `sending` rows, which the next holder of the session marks `unknown` and never resends.
Caps are counted from the log (sent in the last hour / day by this session), so a restart
cannot reset them. Opt-outs are checked at send time. Between sends: a random delay and a
typing presence. The loop sleeps until the next due row or a NOTIFY, never a slow poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zapflow.config import Settings
from zapflow.db.engine import transaction
from zapflow.logging import get_logger
from zapflow.whatsapp.protocol import (
    MessageKind,
    NotConnected,
    OutgoingMessage,
    WhatsAppDriver,
    WhatsAppError,
)

log = get_logger(__name__)
BATCH = 20
MAX_ATTEMPTS = 5
IDLE_SECONDS = 30.0

RECOVER_SENDING = text(
    "UPDATE messages SET status = 'unknown', status_reason = 'worker_stopped_while_sending', "
    "updated_at = now() WHERE session_id = :sid AND status = 'sending'"
)
_ROOM = text(
    """SELECT count(*) FILTER (WHERE sent_at > now() - interval '1 hour'),
              count(*) FILTER (WHERE sent_at > now() - interval '1 day')
    FROM messages WHERE session_id = :sid AND sent_at > now() - interval '1 day'"""
)
_CLAIM = text(
    """WITH due AS (
      SELECT id FROM messages
      WHERE session_id = :sid AND campaign_id IS NULL AND status IN ('queued', 'scheduled')
        AND due_at <= now()
      ORDER BY due_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    UPDATE messages m SET status = 'sending', sending_at = now(), attempts = m.attempts + 1,
      updated_at = now(),
      wa_message_id = COALESCE(m.wa_message_id, '3EB0' || upper(substr(md5(
        random()::text || m.id::text || clock_timestamp()::text), 1, 18)))
    FROM due WHERE m.id = due.id
    RETURNING m.id, m.user_id, m.recipient, m.message_type, m.body, m.media_id, m.wa_message_id,
              m.attempts"""
)
_NEXT_DUE = text(
    """SELECT extract(epoch FROM min(due_at) - now()) FROM messages
    WHERE session_id = :sid AND campaign_id IS NULL AND status IN ('queued', 'scheduled')"""
)
_OPTED_OUT = text("SELECT 1 FROM opt_outs WHERE user_id = :uid AND phone = :phone")
_FINISH = text(
    """UPDATE messages SET status = CAST(:status AS varchar), status_reason = :reason,
      error_code = :code,
      sent_at = CASE WHEN CAST(:status AS varchar) = 'sent' THEN now() ELSE sent_at END,
      failed_at = CASE WHEN CAST(:status AS varchar) IN ('failed', 'invalid_number')
                  THEN now() ELSE failed_at END,
      due_at = CASE WHEN CAST(:status AS varchar) = 'queued' THEN now() + :retry_in ELSE due_at END,
      updated_at = now()
    WHERE id = :id"""
)
_FAILURE = text(
    "INSERT INTO number_failures (user_id, phone, session_id, message_id, error_code, reason) "
    "VALUES (:uid, :phone, :sid, :id, :code, :reason)"
)
_MEDIA = text("SELECT storage_name, mime_type, original_filename FROM media_files WHERE id = :id")


@dataclass
class Dispatcher:
    session_id: int
    driver: WhatsAppDriver
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    hourly_cap: int
    daily_cap: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    is_open: bool = False
    rng: random.Random = field(default_factory=random.Random)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent_any = await self._round()
            except Exception:
                log.exception("dispatch_round_failed", session_id=self.session_id)
                sent_any = False
            if not sent_any:
                await self._sleep(stop, await self._idle_seconds())

    async def _round(self) -> bool:
        if not self.is_open:
            return False
        room = await self._room()
        if room <= 0:
            return False
        async with transaction(self.sessionmaker) as db:
            claimed = (
                (await db.execute(_CLAIM, {"sid": self.session_id, "n": min(room, BATCH)}))
                .mappings()
                .all()
            )
        for index, row in enumerate(claimed):
            if not self.is_open:  # the connection dropped: give the rest back
                await self._finish(
                    dict(row), "queued", "not_connected", None, retry=timedelta(seconds=1)
                )
                continue
            await self._deliver(dict(row))
            if index < len(claimed) - 1:
                await asyncio.sleep(self._pause())
        return bool(claimed)

    async def _room(self) -> int:
        async with transaction(self.sessionmaker) as db:
            hour, day = (await db.execute(_ROOM, {"sid": self.session_id})).one()
        return int(min(self.hourly_cap - hour, self.daily_cap - day))

    def _pause(self) -> float:
        low, high = self.settings.send_delay_ms
        return self.rng.uniform(low, high) / 1000

    async def _idle_seconds(self) -> float:
        try:
            async with transaction(self.sessionmaker) as db:
                seconds = (await db.execute(_NEXT_DUE, {"sid": self.session_id})).scalar_one()
        except Exception:
            return 1.0
        if seconds is None:
            return IDLE_SECONDS
        return max(0.0, min(float(seconds), IDLE_SECONDS))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        self.wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self.wake.wait())]
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def _deliver(self, row: dict[str, Any]) -> None:
        if await self._opted_out(row):
            await self._finish(row, "skipped", "opted_out", None)
            return
        try:
            message = await self._outgoing(row)
            with contextlib.suppress(WhatsAppError):  # typing is a courtesy, not a requirement
                await self.driver.send_presence(row["recipient"], "composing")
            await self.driver.send(message)
        except NotConnected:
            await self._finish(row, "queued", "not_connected", None, retry=timedelta(seconds=1))
        except WhatsAppError as error:
            await self._refused(row, error)
        else:
            await self._finish(row, "sent", None, None)
            log.info("message_sent", session_id=self.session_id, message_id=row["id"])

    async def _refused(self, row: dict[str, Any], error: WhatsAppError) -> None:
        if error.code == "not_on_whatsapp":
            await self._finish(row, "invalid_number", error.reason, error.code)
        elif error.transient and row["attempts"] < MAX_ATTEMPTS:
            retry = timedelta(seconds=2 ** row["attempts"])
            await self._finish(row, "queued", error.reason, error.code, retry=retry)
        else:
            await self._finish(row, "failed", error.reason, error.code, failure=True)
        log.warning(
            "message_refused", session_id=self.session_id, message_id=row["id"], code=error.code
        )

    async def _opted_out(self, row: dict[str, Any]) -> bool:
        async with transaction(self.sessionmaker) as db:
            found = await db.execute(_OPTED_OUT, {"uid": row["user_id"], "phone": row["recipient"]})
            return found.first() is not None

    async def _outgoing(self, row: dict[str, Any]) -> OutgoingMessage:
        kind = MessageKind(row["message_type"])
        media, mimetype, filename = None, None, None
        if row["media_id"] is not None:
            async with transaction(self.sessionmaker) as db:
                storage, mimetype, filename = (
                    await db.execute(_MEDIA, {"id": row["media_id"]})
                ).one()
            media = await asyncio.to_thread((self.settings.data_dir / "media" / storage).read_bytes)
        return OutgoingMessage(
            row["wa_message_id"],
            row["recipient"],
            kind,
            row["body"],
            media,
            None,
            mimetype,
            filename,
        )

    async def _finish(
        self,
        row: dict[str, Any],
        status: str,
        reason: str | None,
        code: str | None,
        *,
        retry: timedelta = timedelta(0),
        failure: bool = False,
    ) -> None:
        params = {
            "id": row["id"],
            "status": status,
            "reason": reason,
            "code": code,
            "retry_in": retry,
        }
        async with transaction(self.sessionmaker) as db:
            await db.execute(_FINISH, params)
            if failure:
                await db.execute(
                    _FAILURE,
                    {
                        "uid": row["user_id"],
                        "phone": row["recipient"],
                        "sid": self.session_id,
                        "id": row["id"],
                        "code": code,
                        "reason": (reason or "")[:200],
                    },
                )
