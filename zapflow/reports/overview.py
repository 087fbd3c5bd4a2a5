"""The home page's numbers: sent today, scheduled, success rate, failures per session, and a
small daily series for the chart. Days are the user's own (their time zone)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal

DELIVERED = "('sent', 'delivered', 'read')"
FAILED = "('failed', 'invalid_number', 'blocked')"


class SessionFigures(BaseModel):
    session_id: int
    name: str
    status: str
    sent: int
    failed: int


class DayFigures(BaseModel):
    day: date
    sent: int
    failed: int


class Overview(BaseModel):
    sent_today: int
    scheduled: int
    queued: int
    success_rate: float | None  # of the last `days` days' finished sends; None if none
    failed: int
    days: int
    sessions: list[SessionFigures]
    daily: list[DayFigures]


_TOTALS = text(
    f"""SELECT
      count(*) FILTER (WHERE status IN {DELIVERED}
                       AND (sent_at AT TIME ZONE :zone)::date = (now() AT TIME ZONE :zone)::date),
      count(*) FILTER (WHERE status = 'scheduled'),
      count(*) FILTER (WHERE status IN ('queued', 'sending')),
      count(*) FILTER (WHERE status IN {DELIVERED} AND sent_at > now() - :span),
      count(*) FILTER (WHERE status IN {FAILED} AND failed_at > now() - :span)
    FROM messages WHERE user_id = :uid
      AND (status IN ('scheduled', 'queued', 'sending') OR sent_at > now() - :span
           OR failed_at > now() - :span)"""
)
_SESSIONS = text(
    f"""SELECT s.id, s.name, s.status,
      count(m.id) FILTER (WHERE m.status IN {DELIVERED}),
      count(m.id) FILTER (WHERE m.status IN {FAILED})
    FROM whatsapp_sessions s
    LEFT JOIN messages m ON m.session_id = s.id
      AND (m.sent_at > now() - :span OR m.failed_at > now() - :span)
    WHERE s.user_id = :uid GROUP BY s.id ORDER BY s.id"""
)
_DAILY = text(
    f"""SELECT d::date,
      (SELECT count(*) FROM messages WHERE user_id = :uid AND status IN {DELIVERED}
         AND (sent_at AT TIME ZONE :zone)::date = d::date),
      (SELECT count(*) FROM messages WHERE user_id = :uid AND status IN {FAILED}
         AND (failed_at AT TIME ZONE :zone)::date = d::date)
    FROM generate_series((now() AT TIME ZONE :zone)::date - (:days - 1),
                         (now() AT TIME ZONE :zone)::date, interval '1 day') d
    ORDER BY d"""
)


async def overview(db: AsyncSession, principal: Principal, days: int) -> Overview:
    from datetime import timedelta

    params = {
        "uid": principal.user_id,
        "zone": principal.user.timezone,
        "span": timedelta(days=days),
        "days": days,
    }
    today, scheduled, queued, ok, failed = (await db.execute(_TOTALS, params)).one()
    finished = ok + failed
    sessions = [
        SessionFigures(session_id=sid, name=name, status=status, sent=sent, failed=bad)
        for sid, name, status, sent, bad in (await db.execute(_SESSIONS, params)).all()
    ]
    daily = [
        DayFigures(day=day, sent=sent, failed=bad)
        for day, sent, bad in (await db.execute(_DAILY, params)).all()
    ]
    return Overview(
        sent_today=today,
        scheduled=scheduled,
        queued=queued,
        success_rate=round(ok / finished, 4) if finished else None,
        failed=failed,
        days=days,
        sessions=sessions,
        daily=daily,
    )
