"""The time the dispatcher lives by: the real one, or a faster one for tests and demos.

`ScaledClock` runs `speed` times faster than the wall clock from an anchor instant, so an hour
of caps, delays and send windows passes in seconds. Every process given the same anchor and
speed agrees on the time, so a worker killed and restarted carries on in the same simulated
hour. It is refused in production (see Settings).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC time."""
        ...

    def monotonic(self) -> float:
        """Seconds, for measuring intervals in this clock's time."""
        ...

    def real_seconds(self, seconds: float) -> float:
        """How long `seconds` of this clock's time last on the wall clock."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def real_seconds(self, seconds: float) -> float:
        return seconds

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


@dataclass(frozen=True)
class ScaledClock:
    anchor: datetime
    speed: float

    def now(self) -> datetime:
        elapsed = datetime.now(UTC) - self.anchor
        return self.anchor + timedelta(seconds=elapsed.total_seconds() * self.speed)

    def monotonic(self) -> float:
        return (datetime.now(UTC) - self.anchor).total_seconds() * self.speed

    def real_seconds(self, seconds: float) -> float:
        return seconds / self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


def make_clock(speed: float, anchor: datetime | None) -> Clock:
    if speed == 1:
        return SystemClock()
    return ScaledClock(anchor or datetime.now(UTC), speed)


def local_to_utc(value: datetime, zone: str) -> datetime:
    """A date and time as the user typed it: without an offset it is in `zone` (the user's time
    zone, America/Sao_Paulo by default); with one, the offset wins."""
    from zoneinfo import ZoneInfo

    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)
