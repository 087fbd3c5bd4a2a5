"""When a campaign will finish, given its session pool, caps, delays and send window.

A step simulation in quarter hours: each usable session sends at the lower of its hourly cap
and what its delays allow, within what is left of its daily cap (which renews every 24 hours),
only while the window is open. Approximations, said plainly: the window is taken in the
campaign's time zone (recipients elsewhere shift it a little), warm-up caps are today's, and
other campaigns sharing the sessions are not subtracted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from zapflow.kit.pacing import SendWindow

STEP = timedelta(minutes=15)
STEPS_PER_HOUR = 4
HORIZON_STEPS = 90 * 24 * STEPS_PER_HOUR


@dataclass(frozen=True)
class SessionCapacity:
    hourly: int
    daily: int
    sent_hour: int
    sent_day: int
    available_from: datetime | None  # None: not connected, so it sends nothing


@dataclass(frozen=True)
class Eta:
    finishes_at: datetime | None
    remaining: int
    per_hour: float
    blocked_reason: str | None = None


def estimate(
    remaining: int,
    sessions: list[SessionCapacity],
    delay_seconds: tuple[float, float],
    window: SendWindow | None,
    zone: str,
    start: datetime,
) -> Eta:
    usable = [s for s in sessions if s.available_from is not None]
    pace = 3600 / ((delay_seconds[0] + delay_seconds[1]) / 2) if delay_seconds[1] > 0 else None
    rates = [min(s.hourly, pace) if pace else s.hourly for s in usable]
    per_hour = float(sum(rates))
    if remaining <= 0:
        return Eta(start, 0, per_hour)
    if not usable:
        return Eta(None, remaining, 0.0, "no_session_connected")
    day_left = [float(max(0, s.daily - s.sent_day)) for s in usable]
    first_hour_left = [max(0, s.hourly - s.sent_hour) for s in usable]
    left = float(remaining)
    moment = start
    for step in range(HORIZON_STEPS):
        if step and step % (24 * STEPS_PER_HOUR) == 0:
            day_left = [float(s.daily) for s in usable]
        if window is None or window.is_open(moment, zone):
            sent = 0.0
            for index, session in enumerate(usable):
                assert session.available_from is not None
                if session.available_from > moment:
                    continue
                rate = rates[index]
                if step < STEPS_PER_HOUR:
                    rate = min(rate, first_hour_left[index])
                share = min(rate / STEPS_PER_HOUR, day_left[index])
                day_left[index] -= share
                sent += share
            if sent >= left:
                return Eta(moment + STEP * (left / sent), remaining, per_hour)
            left -= sent
        moment += STEP
    return Eta(None, remaining, per_hour, "more_than_90_days")
