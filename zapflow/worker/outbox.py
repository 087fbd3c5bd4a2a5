"""The dispatcher's SQL: how a session takes, gives back and finishes outbox rows.

Times come from the dispatcher's clock (`:now`), not from PostgreSQL's `now()`, so tests can
let hours pass in seconds; caps and send windows follow the same clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.db.notify import OUTBOX_CHANNEL, notify
from zapflow.kit.pacing import SendWindow, window_of

PENDING = "('queued', 'scheduled')"
FINAL = frozenset({"sent", "failed", "invalid_number", "blocked", "skipped"})

RECOVER_SENDING = text(
    "UPDATE messages SET status = 'unknown', status_reason = 'worker_stopped_while_sending', "
    "updated_at = now() WHERE session_id = :sid AND status = 'sending' RETURNING campaign_id"
)

# The session's pacing state, and what it sent in the last day (`unknown` rows count: they may
# have gone out).
_PACE = text(
    """SELECT s.user_id, s.hourly_cap, s.daily_cap, s.warmup_started_at, s.paused_until,
      c.hour_n, c.day_n, c.hour_oldest, c.day_oldest
    FROM whatsapp_sessions s, LATERAL (
      SELECT count(*) FILTER (WHERE at > :now - interval '1 hour') AS hour_n, count(*) AS day_n,
             min(at) FILTER (WHERE at > :now - interval '1 hour') AS hour_oldest,
             min(at) AS day_oldest
      FROM (SELECT sent_at AS at FROM messages
            WHERE session_id = s.id AND sent_at > :now - interval '1 day'
            UNION ALL
            SELECT sending_at FROM messages
            WHERE session_id = s.id AND status = 'unknown'
              AND sending_at > :now - interval '1 day') sends
    ) c
    WHERE s.id = :sid"""
)
_MARK_SENDING = """UPDATE messages m SET status = 'sending', session_id = :sid, sending_at = :now,
      attempts = m.attempts + 1, updated_at = now(),
      wa_message_id = COALESCE(m.wa_message_id, '3EB0' || upper(substr(md5(
        random()::text || m.id::text || clock_timestamp()::text), 1, 18)))
    FROM due WHERE m.id = due.id
    RETURNING m.id, m.user_id, m.campaign_id, m.recipient, m.recipient_kind, m.message_type,
              m.body, m.media_id, m.media_url, m.wa_message_id, m.attempts"""
_CLAIM_PINNED = text(
    f"""WITH due AS (
      SELECT id FROM messages
      WHERE session_id = :sid AND campaign_id IS NULL AND status IN {PENDING} AND due_at <= :now
      ORDER BY due_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    {_MARK_SENDING}"""
)
_CLAIM_CAMPAIGN = text(
    f"""WITH due AS (
      SELECT id FROM messages
      WHERE campaign_id = :cid AND status IN {PENDING} AND due_at <= :now
        AND EXISTS (SELECT 1 FROM campaigns
                    WHERE id = :cid AND status IN ('scheduled', 'running'))
      ORDER BY due_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    {_MARK_SENDING}"""
)
_CAMPAIGN_STARTED = text(
    "UPDATE campaigns SET status = 'running', started_at = COALESCE(started_at, :now), "
    "updated_at = now() WHERE id = :cid AND (status = 'scheduled' OR started_at IS NULL)"
)
_POOL = text(
    """SELECT c.id, c.min_delay_ms, c.max_delay_ms, c.send_window_start, c.send_window_end,
      c.timezone
    FROM campaign_sessions cs JOIN campaigns c ON c.id = cs.campaign_id
    WHERE cs.session_id = :sid AND c.status IN ('scheduled', 'running')
    ORDER BY c.id"""
)
_NEXT_DUE = text(
    f"""SELECT min(due_at) FROM (
      SELECT min(due_at) AS due_at FROM messages
      WHERE session_id = :sid AND campaign_id IS NULL AND status IN {PENDING}
      UNION ALL
      SELECT (SELECT min(m.due_at) FROM messages m
              WHERE m.campaign_id = c.id AND m.status IN {PENDING})
      FROM campaign_sessions cs JOIN campaigns c ON c.id = cs.campaign_id
      WHERE cs.session_id = :sid AND c.status IN ('scheduled', 'running')) due"""
)
_FINISH = text(
    """UPDATE messages SET status = CAST(:status AS varchar), status_reason = :reason,
      error_code = :code,
      sent_at = CASE WHEN CAST(:status AS varchar) = 'sent' THEN :now ELSE sent_at END,
      failed_at = CASE WHEN CAST(:status AS varchar) IN ('failed', 'invalid_number', 'blocked')
                  THEN :now ELSE failed_at END,
      updated_at = now()
    WHERE id = :id"""
)
# Back to the queue. A campaign row loses its session, so any session of the pool may take it;
# `attempts` is given back when the failure was not the message's (a paused session, say).
_GIVE_BACK = text(
    """UPDATE messages SET status = 'queued', status_reason = :reason, error_code = :code,
      due_at = :due, sending_at = NULL, updated_at = now(),
      attempts = CASE WHEN :counts THEN attempts ELSE greatest(attempts - 1, 0) END,
      session_id = CASE WHEN campaign_id IS NULL THEN session_id ELSE NULL END
    WHERE id = :id"""
)
_FAILURE = text(
    "INSERT INTO number_failures (user_id, phone, session_id, message_id, error_code, reason, at) "
    "VALUES (:uid, :phone, :sid, :id, :code, :reason, :now)"
)
_SUPPRESS = text(
    """INSERT INTO opt_outs (user_id, phone, source, note)
    SELECT :uid, CAST(:phone AS varchar), 'suppressed', :note
    WHERE (SELECT count(*) FROM number_failures
           WHERE user_id = :uid AND phone = :phone AND at > :now - :window) >= :limit
    ON CONFLICT (user_id, phone) DO NOTHING
    RETURNING id"""
)
_CHECKS = text(
    """SELECT EXISTS (SELECT 1 FROM opt_outs WHERE user_id = :uid AND phone = :phone),
      (SELECT on_whatsapp FROM number_checks
       WHERE user_id = :uid AND phone = :phone
         AND checked_at > :now - CASE WHEN on_whatsapp THEN :fresh ELSE :fresh_negative END)"""
)
_UNCHECKED_AHEAD = text(
    f"""SELECT DISTINCT m.recipient FROM (
      SELECT recipient FROM messages
      WHERE campaign_id = :cid AND status IN {PENDING} AND recipient_kind = 'phone'
      ORDER BY due_at, id LIMIT :n) m
    WHERE NOT EXISTS (SELECT 1 FROM number_checks nc
                      WHERE nc.user_id = :uid AND nc.phone = m.recipient
                        AND nc.checked_at > :now - :fresh_negative)"""
)
# One statement, rows in phone order: concurrent batches then lock in the same order.
_REMEMBER_CHECKS = text(
    """INSERT INTO number_checks (user_id, phone, on_whatsapp, jid, checked_at)
    SELECT :uid, phone, on_whatsapp, jid, :now
    FROM unnest(CAST(:phones AS varchar[]), CAST(:ons AS boolean[]), CAST(:jids AS varchar[]))
      AS t(phone, on_whatsapp, jid)
    ORDER BY phone
    ON CONFLICT (user_id, phone) DO UPDATE
      SET on_whatsapp = EXCLUDED.on_whatsapp, jid = EXCLUDED.jid,
          checked_at = EXCLUDED.checked_at"""
)
_COMPLETE = text(
    """UPDATE campaigns SET status = 'completed', finished_at = :now, updated_at = now()
    WHERE id = :cid AND status = 'running'
      AND NOT EXISTS (SELECT 1 FROM messages
                      WHERE campaign_id = :cid
                        AND status IN ('queued', 'scheduled', 'sending'))
    RETURNING user_id, name"""
)
_COUNTS = text("SELECT status, count(*) FROM messages WHERE campaign_id = :cid GROUP BY status")
_PAUSE_SESSION = text(
    """UPDATE whatsapp_sessions SET paused_until = :until, pause_reason = :reason,
      updated_at = now() WHERE id = :sid RETURNING user_id"""
)
_NOTIFY = text(
    "INSERT INTO notifications (user_id, kind, session_id, campaign_id, payload) "
    "VALUES (:uid, :kind, :sid, :cid, CAST(:payload AS jsonb))"
)
_MEDIA = text("SELECT storage_name, mime_type, original_filename FROM media_files WHERE id = :id")


@dataclass(frozen=True)
class Pace:
    user_id: int
    caps: tuple[int | None, int | None]
    warmup_started_at: datetime | None
    paused_until: datetime | None
    sent_hour: int
    sent_day: int
    hour_oldest: datetime | None
    day_oldest: datetime | None


@dataclass(frozen=True)
class PoolCampaign:
    id: int
    delay_ms: tuple[int, int]
    window: SendWindow | None
    timezone: str


async def pace(db: AsyncSession, session_id: int, now: datetime) -> Pace | None:
    row = (await db.execute(_PACE, {"sid": session_id, "now": now})).first()
    if row is None:
        return None
    return Pace(row[0], (row[1], row[2]), row[3], row[4], row[5], row[6], row[7], row[8])


async def pool(db: AsyncSession, session_id: int) -> list[PoolCampaign]:
    rows = (await db.execute(_POOL, {"sid": session_id})).all()
    return [
        PoolCampaign(cid, (low, high), window_of(start, end), zone)
        for cid, low, high, start, end, zone in rows
    ]


async def claim_pinned(
    db: AsyncSession, session_id: int, now: datetime, n: int
) -> list[dict[str, Any]]:
    result = await db.execute(_CLAIM_PINNED, {"sid": session_id, "now": now, "n": n})
    return [dict(row) for row in result.mappings()]


async def claim_campaign(
    db: AsyncSession,
    session_id: int,
    campaign_id: int,
    now: datetime,
    n: int,
    *,
    started: bool = False,
) -> list[dict[str, Any]]:
    params = {"sid": session_id, "cid": campaign_id, "now": now, "n": n}
    rows = [dict(row) for row in (await db.execute(_CLAIM_CAMPAIGN, params)).mappings()]
    if rows and not started:  # the first claim marks the campaign running, once
        await db.execute(_CAMPAIGN_STARTED, {"cid": campaign_id, "now": now})
    else:  # nothing due: maybe nothing left at all
        await complete_if_done(db, campaign_id, now)
    return rows


async def next_due(db: AsyncSession, session_id: int) -> datetime | None:
    value: datetime | None = (await db.execute(_NEXT_DUE, {"sid": session_id})).scalar_one()
    return value


async def finish(
    db: AsyncSession,
    row: dict[str, Any],
    status: str,
    reason: str | None,
    code: str | None,
    now: datetime,
) -> None:
    params = {"id": row["id"], "status": status, "reason": reason, "code": code, "now": now}
    await db.execute(_FINISH, params)


async def give_back(
    db: AsyncSession,
    row: dict[str, Any],
    *,
    due: datetime,
    reason: str | None,
    code: str | None = None,
    counts: bool = False,
    wake: bool = True,
) -> None:
    params = {"id": row["id"], "due": due, "reason": reason, "code": code, "counts": counts}
    await db.execute(_GIVE_BACK, params)
    if wake and row["campaign_id"] is not None:
        # Any session of the pool may take it: wake them, in whichever worker. (A row of the
        # session's own waits for this session; a row deferred to its window need not wake
        # anyone: the sleepers' timers find it.)
        await notify(db, OUTBOX_CHANNEL, "")


async def log_failure(
    db: AsyncSession,
    row: dict[str, Any],
    session_id: int,
    code: str | None,
    reason: str,
    now: datetime,
    *,
    limit: int,
    window: timedelta,
) -> bool:
    """Log a failure against the number; True if that suppressed it."""
    await db.execute(
        _FAILURE,
        {
            "uid": row["user_id"],
            "phone": row["recipient"],
            "sid": session_id,
            "id": row["id"],
            "code": code,
            "reason": reason[:200],
            "now": now,
        },
    )
    suppressed = await db.execute(
        _SUPPRESS,
        {
            "uid": row["user_id"],
            "phone": row["recipient"],
            "now": now,
            "window": window,
            "limit": limit,
            "note": f"{limit} falhas em {window.days} dias",
        },
    )
    return suppressed.first() is not None


async def recipient_checks(
    db: AsyncSession, row: dict[str, Any], now: datetime, fresh: timedelta, negative: timedelta
) -> tuple[bool, bool | None]:
    """(opted out?, on WhatsApp? — None when no fresh answer is cached)."""
    params = {
        "uid": row["user_id"],
        "phone": row["recipient"],
        "now": now,
        "fresh": fresh,
        "fresh_negative": negative,
    }
    opted_out, on_whatsapp = (await db.execute(_CHECKS, params)).one()
    return bool(opted_out), on_whatsapp


async def unchecked_ahead(
    db: AsyncSession, campaign_id: int, user_id: int, now: datetime, n: int, negative: timedelta
) -> list[str]:
    params = {"cid": campaign_id, "uid": user_id, "now": now, "n": n, "fresh_negative": negative}
    return [phone for (phone,) in (await db.execute(_UNCHECKED_AHEAD, params)).all()]


async def remember_checks(
    db: AsyncSession, user_id: int, answers: dict[str, tuple[bool, str | None]], now: datetime
) -> None:
    phones = sorted(answers)
    params = {
        "uid": user_id,
        "now": now,
        "phones": phones,
        "ons": [answers[p][0] for p in phones],
        "jids": [answers[p][1] for p in phones],
    }
    await db.execute(_REMEMBER_CHECKS, params)


async def recover_sending(db: AsyncSession, session_id: int, now: datetime) -> int:
    """Rows a stopped holder of the session left `sending` become `unknown` (they may or may
    not have gone out; never resent). A campaign whose last rows those were is complete."""
    rows = (await db.execute(RECOVER_SENDING, {"sid": session_id})).all()
    for campaign_id in sorted({cid for (cid,) in rows if cid is not None}):
        await complete_if_done(db, campaign_id, now)
    return len(rows)


async def complete_if_done(db: AsyncSession, campaign_id: int, now: datetime) -> bool:
    """Mark the campaign completed once nothing is left to send; notify its owner."""
    done = (await db.execute(_COMPLETE, {"cid": campaign_id, "now": now})).first()
    if done is None:
        return False
    counts = {status: n for status, n in (await db.execute(_COUNTS, {"cid": campaign_id})).all()}
    await notification(
        db,
        done[0],
        "campaign_finished",
        campaign_id=campaign_id,
        payload={"name": done[1], "counts": counts},
    )
    return True


async def pause_session(
    db: AsyncSession, session_id: int, until: datetime, reason: str, code: str | None
) -> None:
    owner = (
        await db.execute(_PAUSE_SESSION, {"sid": session_id, "until": until, "reason": reason})
    ).scalar_one()
    payload = {"reason": reason, "code": code, "until": until.isoformat()}
    await notification(db, owner, "session_paused", session_id=session_id, payload=payload)


async def notification(
    db: AsyncSession,
    user_id: int,
    kind: str,
    *,
    session_id: int | None = None,
    campaign_id: int | None = None,
    payload: dict[str, Any],
) -> None:
    await db.execute(
        _NOTIFY,
        {
            "uid": user_id,
            "kind": kind,
            "sid": session_id,
            "cid": campaign_id,
            "payload": json.dumps(payload, default=str),
        },
    )


async def media(db: AsyncSession, media_id: int) -> tuple[str, str, str | None]:
    storage, mimetype, filename = (await db.execute(_MEDIA, {"id": media_id})).one()
    return storage, mimetype, filename


# --- batches (when there is no pause between sends) --------------------------------------------

_BATCH_CHECKS = text(
    """SELECT p.phone,
      EXISTS (SELECT 1 FROM opt_outs o WHERE o.user_id = :uid AND o.phone = p.phone),
      (SELECT nc.on_whatsapp FROM number_checks nc
       WHERE nc.user_id = :uid AND nc.phone = p.phone
         AND nc.checked_at > :now - CASE WHEN nc.on_whatsapp THEN :fresh ELSE :fresh_negative END)
    FROM unnest(CAST(:phones AS varchar[])) AS p(phone)"""
)
_FINISH_MANY = text(
    """UPDATE messages m SET status = v.status, status_reason = v.reason, error_code = v.code,
      sent_at = CASE WHEN v.status = 'sent' THEN :now ELSE m.sent_at END,
      failed_at = CASE WHEN v.status IN ('failed', 'invalid_number', 'blocked')
                  THEN :now ELSE m.failed_at END,
      updated_at = now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS varchar[]),
                CAST(:reasons AS varchar[]), CAST(:codes AS varchar[]))
      AS v(id, status, reason, code)
    WHERE m.id = v.id"""
)


async def batch_checks(
    db: AsyncSession,
    user_id: int,
    phones: list[str],
    now: datetime,
    fresh: timedelta,
    negative: timedelta,
) -> dict[str, tuple[bool, bool | None]]:
    """For each phone: (opted out?, on WhatsApp? — None when no fresh answer is cached)."""
    params = {
        "uid": user_id,
        "phones": sorted(set(phones)),
        "now": now,
        "fresh": fresh,
        "fresh_negative": negative,
    }
    rows = (await db.execute(_BATCH_CHECKS, params)).all()
    return {phone: (bool(opted), on) for phone, opted, on in rows}


async def finish_many(
    db: AsyncSession, results: list[tuple[int, str, str | None, str | None]], now: datetime
) -> None:
    """Record many outcomes in one statement: (message id, status, reason, code)."""
    if not results:
        return
    ids, statuses, reasons, codes = (list(column) for column in zip(*results, strict=True))
    params = {"ids": ids, "statuses": statuses, "reasons": reasons, "codes": codes, "now": now}
    await db.execute(_FINISH_MANY, params)
