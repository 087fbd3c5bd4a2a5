"""Sending one session's share of the outbox: its own messages and its campaigns' rows.

- Rows are claimed with `FOR UPDATE SKIP LOCKED` and marked `sending`, with a message id of our
  own, in one committed statement before the driver is called. A worker that dies mid-send
  leaves `sending` rows; the next holder of the session marks them `unknown`, never resent.
  While there is a pause between sends, a session claims one row at a time, so a crash leaves
  at most one row per session `unknown`.
- A campaign row belongs to no session until claimed: every session of the campaign's pool
  takes rows as its own pace allows, so the work rotates across the pool and flows away from a
  session that is paused, banned or disconnected.
- Caps per hour and day are counted from the log (with warm-up for new numbers), so a restart
  cannot reset them. Opt-outs and the on-WhatsApp cache are checked at send time; a campaign's
  send window is checked in the recipient's time zone.
- Ban signals (429 rate-overlimit, 463 restricted, 401/403 gone) pause the session and hand the
  row back to the pool. Transient errors are retried with backoff. Failures that are the
  number's are logged against it, and enough of them suppress it.
- Between rounds the loop sleeps until the next due row, free capacity, the end of a pause or
  a NOTIFY: never a slow poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zapflow.config import Settings
from zapflow.db.engine import transaction
from zapflow.kit.clock import Clock, SystemClock
from zapflow.kit.pacing import recipient_timezone, warmup_caps
from zapflow.logging import get_logger
from zapflow.whatsapp.protocol import (
    MessageKind,
    OutgoingMessage,
    WhatsAppDriver,
    WhatsAppError,
)
from zapflow.worker import outbox
from zapflow.worker.faults import Fault, classify
from zapflow.worker.outbox import PoolCampaign

log = get_logger(__name__)
BATCH = 20
MAX_ATTEMPTS = 5
IDLE_SECONDS = 30.0  # real seconds: a safety net under NOTIFY, not the way work is found
ROOM_CACHE_MIN = 5 * BATCH  # below this much room, the log is read every round
ROOM_CACHE_SECONDS = 5.0
BUSY_REUSE = 1.0  # seconds
_FINAL_STATUS = {Fault.not_on_whatsapp: "invalid_number", Fault.blocked: "blocked"}
Outcome = tuple[int, str, str | None, str | None]  # message id, status, reason, code
FailedNumber = tuple[dict[str, Any], str | None, str]  # row, code, reason


@dataclass
class Dispatcher:
    session_id: int
    driver: WhatsAppDriver
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    hourly_cap: int
    daily_cap: int
    clock: Clock = field(default_factory=SystemClock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    is_open: bool = False
    rng: random.Random = field(default_factory=random.Random)
    _rotation: int = 0
    _wait_until: datetime | None = None
    _last_check: float | None = None
    # Room counted from the log, reused for a few seconds while it is large: this dispatcher is
    # the only sender of its session (the lease), so it subtracts what it claims meanwhile.
    _room_cache: tuple[int, float] | None = None
    # While busy, the pool and "no messages of its own" are reused for a moment; any sleep or
    # NOTIFY drops them (new campaigns and messages always NOTIFY).
    _pool_cache: tuple[list[PoolCampaign], float] | None = None
    _no_pinned_since: float | None = None
    _started: set[int] = field(default_factory=set)
    _checks_to_save: dict[str, tuple[bool, str | None]] = field(default_factory=dict)
    _checks_owner: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                pause = await self._round()
            except Exception:
                log.exception("dispatch_round_failed", session_id=self.session_id)
                pause = None
            if pause is None:
                await self._sleep(stop, await self._idle_seconds())
            elif pause > 0:  # the pacing pause: a NOTIFY must not shorten it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.clock.real_seconds(pause))

    # --- one round ----------------------------------------------------------------------------

    async def _round(self) -> float | None:
        """Send what is due and allowed. Returns the pause (in clock seconds) before the next
        round, or None when there was nothing to do."""
        self._wait_until = None
        if not self.is_open:
            return None
        now = self.clock.now()
        # One short transaction: the session's pace, the claim, and (for a batch) the cached
        # checks. It commits before anything is sent: a crash then leaves `sending` rows.
        flags: dict[str, tuple[bool, bool | None]] = {}
        async with transaction(self.sessionmaker) as db:
            room = await self._cached_room(db, now)
            if room <= 0:
                return None
            claimed, campaign = await self._claim(db, now, room)
            if len(claimed) > 1:
                flags = await self._cached_flags(db, claimed, now)
        if self._room_cache is not None:
            self._room_cache = (self._room_cache[0] - len(claimed), self._room_cache[1])
        if not claimed:
            return None
        if len(claimed) > 1:  # no pause between sends: check, send and record as a batch
            await self._batch_round(claimed, campaign, flags)
            return 0.0
        touched_network = False
        for row in claimed:
            if not self.is_open:  # the connection dropped: give the rest back
                await self._give_back(row, "not_connected", delay=1.0)
                continue
            touched_network |= await self._deliver_safely(row, campaign)
        if not touched_network:
            return 0.0
        low, high = campaign.delay_ms if campaign else self.settings.send_delay_ms
        return self.rng.uniform(low, high) / 1000

    async def _cached_room(self, db: AsyncSession, now: datetime) -> int:
        """The room from the log; re-read at least every few seconds, and every round once it
        is small (so caps are exact where they bind, and a restart re-reads them)."""
        cached = self._room_cache
        if (
            cached is not None
            and cached[0] > ROOM_CACHE_MIN
            and (time.monotonic() - cached[1] < ROOM_CACHE_SECONDS)
        ):
            return cached[0]
        room = await self._room(db, now)
        self._room_cache = (room, time.monotonic())
        return room

    async def _room(self, db: AsyncSession, now: datetime) -> int:
        pace = await outbox.pace(db, self.session_id, now)
        if pace is None:
            return 0
        if pace.paused_until is not None and pace.paused_until > now:
            self._wait_until = pace.paused_until
            return 0
        caps = (pace.caps[0] or self.hourly_cap, pace.caps[1] or self.daily_cap)
        hourly, daily = warmup_caps(caps, pace.warmup_started_at, now, self.settings.warmup_days)
        room = min(hourly - pace.sent_hour, daily - pace.sent_day)
        if room <= 0:  # sleep until the oldest send leaves the window that is full
            frees = []
            if pace.sent_hour >= hourly and pace.hour_oldest is not None:
                frees.append(pace.hour_oldest + timedelta(hours=1))
            if pace.sent_day >= daily and pace.day_oldest is not None:
                frees.append(pace.day_oldest + timedelta(days=1))
            self._wait_until = max(frees) if frees else None
        return room

    async def _claim(
        self, db: AsyncSession, now: datetime, room: int
    ) -> tuple[list[dict[str, Any]], PoolCampaign | None]:
        """This session's own messages first, then its campaigns in turn."""
        if self._no_pinned_since is None or time.monotonic() - self._no_pinned_since > BUSY_REUSE:
            own_batch = self._batch(self.settings.send_delay_ms, room)
            rows = await outbox.claim_pinned(db, self.session_id, now, own_batch)
            if rows:
                self._no_pinned_since = None
                return rows, None
            self._no_pinned_since = time.monotonic()
        campaigns = await self._pool(db)
        if not campaigns:
            return [], None
        self._rotation += 1
        start = self._rotation % len(campaigns)
        for campaign in campaigns[start:] + campaigns[:start]:
            batch = self._batch(campaign.delay_ms, room)
            rows = await outbox.claim_campaign(
                db, self.session_id, campaign.id, now, batch, started=campaign.id in self._started
            )
            if rows:
                self._started.add(campaign.id)
                return rows, campaign
        return [], None

    async def _pool(self, db: AsyncSession) -> list[PoolCampaign]:
        cached = self._pool_cache
        if cached is not None and time.monotonic() - cached[1] < BUSY_REUSE:
            return cached[0]
        campaigns = await outbox.pool(db, self.session_id)
        self._pool_cache = (campaigns, time.monotonic())
        return campaigns

    def _forget_busy_state(self) -> None:
        self._pool_cache, self._no_pinned_since = None, None

    @staticmethod
    def _batch(delay_ms: tuple[int, int], room: int) -> int:
        """One row at a time while sends are paced (a crash then leaves at most this one row
        `unknown`); batches only when there is no pause between sends."""
        return 1 if delay_ms[1] > 0 else min(room, BATCH)

    # --- one message --------------------------------------------------------------------------

    async def _deliver_safely(self, row: dict[str, Any], campaign: PoolCampaign | None) -> bool:
        """A failure of ours (the database, a missing media file) before the driver was called
        gives the row back instead of leaving it `sending`; after, it stays for recovery."""
        try:
            return await self._deliver(row, campaign)
        except Exception:
            log.exception("deliver_failed", session_id=self.session_id, message_id=row["id"])
            if not row.get("handed_over"):
                with contextlib.suppress(Exception):
                    await self._give_back(row, "dispatch_error", delay=5.0)
            return bool(row.get("handed_over"))

    async def _deliver(self, row: dict[str, Any], campaign: PoolCampaign | None) -> bool:
        """Send one claimed row. Returns whether the network was asked."""
        now = self.clock.now()
        if not await self._in_window(row, campaign, now):
            return False
        opted_out, on_whatsapp = await self._recipient_checks(row, now)
        if opted_out:
            await self._done(row, "skipped", "opted_out", None)
            return False
        if on_whatsapp is False:
            await self._done(row, "invalid_number", "number not on WhatsApp", "not_on_whatsapp")
            return False
        try:
            message = await self._outgoing(row)
            with contextlib.suppress(WhatsAppError):  # typing is a courtesy, not a requirement
                await self.driver.send_presence(row["recipient"], "composing")
            row["handed_over"] = True
            await self.driver.send(message)
        except WhatsAppError as error:
            await self._refused(row, error)
        else:
            await self._done(row, "sent", None, None)
            log.info("message_sent", session_id=self.session_id, message_id=row["id"])
        return True

    async def _recipient_checks(
        self, row: dict[str, Any], now: datetime
    ) -> tuple[bool, bool | None]:
        fresh = timedelta(days=self.settings.number_check_ttl_days)
        negative = timedelta(days=self.settings.number_check_negative_ttl_days)
        async with transaction(self.sessionmaker) as db:
            opted_out, on_whatsapp = await outbox.recipient_checks(db, row, now, fresh, negative)
        if opted_out or on_whatsapp is not None or row["recipient_kind"] != "phone":
            return opted_out, on_whatsapp
        if not self.settings.check_numbers:
            return False, None
        return False, await self._check_number(row, negative)

    async def _check_number(self, row: dict[str, Any], negative: timedelta) -> bool | None:
        """Ask the network about this number and the next unchecked ones of its campaign, in
        one call, no more often than the configured interval. None if the check failed: the
        send itself will tell."""
        if self._last_check is not None:
            wait = self.settings.number_check_min_interval_seconds - (
                self.clock.monotonic() - self._last_check
            )
            if wait > 0:
                await self.clock.sleep(wait)
        now = self.clock.now()
        phones = [row["recipient"]]
        if row["campaign_id"] is not None:
            async with transaction(self.sessionmaker) as db:
                ahead = await outbox.unchecked_ahead(
                    db,
                    row["campaign_id"],
                    row["user_id"],
                    now,
                    self.settings.number_check_batch,
                    negative,
                )
            phones += [p for p in ahead if p != row["recipient"]][
                : self.settings.number_check_batch - 1
            ]
        self._last_check = self.clock.monotonic()
        try:
            answers = await self.driver.check_numbers(phones)
        except WhatsAppError as error:
            log.warning("number_check_failed", session_id=self.session_id, code=error.code)
            return None
        found = {answer.phone: (answer.on_whatsapp, answer.jid) for answer in answers}
        async with transaction(self.sessionmaker) as db:
            await outbox.remember_checks(db, row["user_id"], found, now)
        return found[row["recipient"]][0] if row["recipient"] in found else None

    async def _refused(self, row: dict[str, Any], error: WhatsAppError) -> None:
        fault = classify(error)
        log.warning(
            "message_refused",
            session_id=self.session_id,
            message_id=row["id"],
            code=error.code,
            fault=fault.value,
        )
        if fault.is_session_fault:
            await self._session_fault(row, fault, error)
        elif fault is Fault.not_on_whatsapp:
            await self._done(row, "invalid_number", error.reason, error.code)
            async with transaction(self.sessionmaker) as db:
                answer: dict[str, tuple[bool, str | None]] = {row["recipient"]: (False, None)}
                await outbox.remember_checks(db, row["user_id"], answer, self.clock.now())
        elif fault is Fault.transient and row["attempts"] < MAX_ATTEMPTS:
            await self._give_back(
                row, error.reason, code=error.code, delay=2.0 ** row["attempts"], counts=True
            )
        elif fault is Fault.bad_message:
            await self._done(row, "failed", error.reason, error.code)
        else:
            status = "blocked" if fault is Fault.blocked else "failed"
            await self._done(row, status, error.reason, error.code, number_failed=True)

    async def _session_fault(self, row: dict[str, Any], fault: Fault, error: WhatsAppError) -> None:
        """Not this message's fault: hand it back (to the pool, for a campaign row) and pause
        this session when WhatsApp says to slow down."""
        now = self.clock.now()
        self._room_cache = None  # a pause must be seen at once
        pause = {
            Fault.session_overlimit: timedelta(minutes=self.settings.pause_on_overlimit_minutes),
            Fault.session_restricted: timedelta(hours=self.settings.pause_on_restricted_hours),
        }.get(fault)
        if fault is Fault.session_gone:
            self.is_open = False  # the runner records the logout or ban from the state event
        async with transaction(self.sessionmaker) as db:
            if pause is not None:
                await outbox.pause_session(
                    db, self.session_id, now + pause, fault.value, error.code
                )
            await outbox.give_back(
                db, row, due=now + timedelta(seconds=1), reason=fault.value, code=error.code
            )
        if pause is not None:
            log.warning(
                "session_paused",
                session_id=self.session_id,
                reason=fault.value,
                until=(now + pause).isoformat(),
            )

    async def _give_back(
        self,
        row: dict[str, Any],
        reason: str | None,
        *,
        code: str | None = None,
        delay: float = 0.0,
        due: datetime | None = None,
        counts: bool = False,
        wake: bool = True,
    ) -> None:
        due = due or self.clock.now() + timedelta(seconds=delay)
        async with transaction(self.sessionmaker) as db:
            await outbox.give_back(
                db, row, due=due, reason=reason, code=code, counts=counts, wake=wake
            )

    async def _done(
        self,
        row: dict[str, Any],
        status: str,
        reason: str | None,
        code: str | None,
        *,
        number_failed: bool = False,
    ) -> None:
        now = self.clock.now()
        async with transaction(self.sessionmaker) as db:
            await outbox.finish(db, row, status, reason, code, now)
            if number_failed:
                await self._number_failed(db, row, code, reason or "", now)
            if row["campaign_id"] is not None:
                await outbox.complete_if_done(db, row["campaign_id"], now)

    async def _number_failed(
        self, db: AsyncSession, row: dict[str, Any], code: str | None, reason: str, now: datetime
    ) -> None:
        """Log a failure against the number; enough of them suppress it."""
        suppressed = await outbox.log_failure(
            db,
            row,
            self.session_id,
            code,
            reason,
            now,
            limit=self.settings.suppress_after_failures,
            window=timedelta(days=self.settings.failure_window_days),
        )
        if suppressed:
            log.info("number_suppressed", session_id=self.session_id, message_id=row["id"])

    async def _outgoing(self, row: dict[str, Any]) -> OutgoingMessage:
        kind = MessageKind(row["message_type"])
        media, mimetype, filename = None, None, None
        if row["media_id"] is not None:
            async with transaction(self.sessionmaker) as db:
                storage, mimetype, filename = await outbox.media(db, row["media_id"])
            try:
                media = await asyncio.to_thread(
                    (self.settings.data_dir / "media" / storage).read_bytes
                )
            except OSError as exc:  # the message's fault: it fails, the number is not blamed
                raise WhatsAppError("bad_media", f"media file unreadable: {storage}") from exc
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

    # --- batches -----------------------------------------------------------------------------

    async def _batch_round(
        self,
        rows: list[dict[str, Any]],
        campaign: PoolCampaign | None,
        flags: dict[str, tuple[bool, bool | None]],
    ) -> None:
        """The same rules as one by one, with one query for the checks and one statement for
        the outcomes. A crash mid-batch leaves the batch's rows `unknown`, never resent."""
        now = self.clock.now()
        ready = [row for row in rows if await self._in_window(row, campaign, now)]
        outcomes, failed_numbers = await self._send_batch(ready, now, flags) if ready else ([], [])
        # A full batch means more rows wait: completion is checked once the queue runs short.
        await self._record_batch(outcomes, failed_numbers, now, rows if len(rows) < BATCH else [])

    async def _send_batch(
        self,
        ready: list[dict[str, Any]],
        now: datetime,
        cached: dict[str, tuple[bool, bool | None]],
    ) -> tuple[list[Outcome], list[FailedNumber]]:
        flags = await self._ask_unknown(ready, cached, now)
        outcomes: list[Outcome] = []
        failed_numbers: list[FailedNumber] = []
        for index, row in enumerate(ready):
            opted_out, on_whatsapp = flags.get(row["recipient"], (False, None))
            if opted_out:
                outcomes.append((row["id"], "skipped", "opted_out", None))
                continue
            if on_whatsapp is False:
                outcomes.append(
                    (row["id"], "invalid_number", "number not on WhatsApp", "not_on_whatsapp")
                )
                continue
            if not self.is_open:
                await self._give_back(row, "not_connected", delay=1.0)
                continue
            try:
                message = await self._outgoing(row)
                with contextlib.suppress(WhatsAppError):
                    await self.driver.send_presence(row["recipient"], "composing")
                await self.driver.send(message)
            except WhatsAppError as error:
                fault = classify(error)
                if fault.is_session_fault or fault is Fault.transient:
                    await self._record_batch(outcomes, failed_numbers, now, [])
                    outcomes, failed_numbers = [], []
                    await self._refused(row, error)
                    if fault.is_session_fault:  # give the rest back at once
                        for rest in ready[index + 1 :]:
                            await self._give_back(rest, fault.value, delay=1.0)
                        break
                    continue
                outcomes.append(
                    (row["id"], _FINAL_STATUS.get(fault, "failed"), error.reason, error.code)
                )
                if fault in (Fault.blocked, Fault.number):
                    failed_numbers.append((row, error.code, error.reason))
            else:
                outcomes.append((row["id"], "sent", None, None))
        return outcomes, failed_numbers

    async def _in_window(
        self, row: dict[str, Any], campaign: PoolCampaign | None, now: datetime
    ) -> bool:
        """True if the row may leave now; otherwise it goes back until its window opens."""
        if campaign is None or campaign.window is None:
            return True
        zone = recipient_timezone(row["recipient"], campaign.timezone)
        if campaign.window.is_open(now, zone):
            return True
        opening = campaign.window.next_opening(now, zone)
        await self._give_back(row, "outside_send_window", due=opening, wake=False)
        return False

    async def _cached_flags(
        self, db: AsyncSession, rows: list[dict[str, Any]], now: datetime
    ) -> dict[str, tuple[bool, bool | None]]:
        fresh = timedelta(days=self.settings.number_check_ttl_days)
        negative = timedelta(days=self.settings.number_check_negative_ttl_days)
        phones = [r["recipient"] for r in rows if r["recipient_kind"] == "phone"]
        return await outbox.batch_checks(db, rows[0]["user_id"], phones, now, fresh, negative)

    async def _ask_unknown(
        self,
        rows: list[dict[str, Any]],
        flags: dict[str, tuple[bool, bool | None]],
        now: datetime,
    ) -> dict[str, tuple[bool, bool | None]]:
        """Numbers with no fresh answer in the cache: one call for all of them, remembered."""
        unknown = [p for p, (opted, on) in flags.items() if not opted and on is None]
        if not unknown or not self.settings.check_numbers:
            return flags
        try:
            answers = await self.driver.check_numbers(unknown)
        except WhatsAppError as error:
            log.warning("number_check_failed", session_id=self.session_id, code=error.code)
            return flags
        found = {a.phone: (a.on_whatsapp, a.jid) for a in answers}
        self._checks_to_save |= found  # written with the batch's outcomes, one transaction
        self._checks_owner = rows[0]["user_id"]
        return flags | {phone: (False, on) for phone, (on, _jid) in found.items()}

    async def _record_batch(
        self,
        outcomes: list[Outcome],
        failed_numbers: list[FailedNumber],
        now: datetime,
        rows: list[dict[str, Any]],
    ) -> None:
        """Outcomes, failures and (given the batch's rows) campaign completion: one
        transaction."""
        campaign_ids = sorted({r["campaign_id"] for r in rows if r["campaign_id"] is not None})
        checks, self._checks_to_save = self._checks_to_save, {}
        if not outcomes and not campaign_ids and not checks:
            return
        async with transaction(self.sessionmaker) as db:
            if checks:
                await outbox.remember_checks(db, self._checks_owner, checks, now)
            await outbox.finish_many(db, outcomes, now)
            for row, code, reason in failed_numbers:
                await self._number_failed(db, row, code, reason, now)
            for campaign_id in campaign_ids:
                await outbox.complete_if_done(db, campaign_id, now)
        sent = sum(outcome[1] == "sent" for outcome in outcomes)
        log.info("messages_sent", session_id=self.session_id, sent=sent, recorded=len(outcomes))

    # --- sleeping -----------------------------------------------------------------------------

    async def _idle_seconds(self) -> float:
        """Real seconds until something may be sendable: the next due row, free capacity or
        the end of a pause (NOTIFY wakes us earlier)."""
        try:
            async with transaction(self.sessionmaker) as db:
                due = await outbox.next_due(db, self.session_id)
        except Exception:
            return 1.0
        now = self.clock.now()
        moments = [moment for moment in (due, self._wait_until) if moment is not None]
        if self._wait_until is not None and due is not None:
            moments = [max(due, self._wait_until)]
        if not moments or not self.is_open:
            return IDLE_SECONDS
        seconds = (min(moments) - now).total_seconds()
        return max(0.0, min(self.clock.real_seconds(seconds), IDLE_SECONDS))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        self._forget_busy_state()
        self.wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self.wake.wait())]
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if self.wake.is_set():  # caps or a pause may have changed (PATCH notifies)
            self._room_cache = None
        self._forget_busy_state()
