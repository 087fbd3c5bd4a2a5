"""Anti-ban pacing rules as plain functions: warm-up caps, send windows and recipients' time
zones. The dispatcher applies them; the campaign ETA uses the same ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_timezones

# Brazil by area code (DDD): everything not listed is UTC-3 (no daylight saving since 2019).
_BRAZIL_ZONES = {
    "68": "America/Rio_Branco",  # Acre, UTC-5
    "69": "America/Porto_Velho",  # Rondônia, UTC-4
    "92": "America/Manaus",  # Amazonas, UTC-4
    "97": "America/Manaus",
    "95": "America/Boa_Vista",  # Roraima, UTC-4
    "65": "America/Cuiaba",  # Mato Grosso, UTC-4
    "66": "America/Cuiaba",
    "67": "America/Campo_Grande",  # Mato Grosso do Sul, UTC-4
}


def warmup_caps(
    caps: tuple[int, int], warmup_started_at: datetime | None, now: datetime, warmup_days: int
) -> tuple[int, int]:
    """During its first `warmup_days`, a number may send (day+1)/warmup_days of its caps
    (at least 1 an hour and 1 a day); afterwards all of them."""
    if warmup_started_at is None or warmup_days <= 0:
        return caps
    day = max(0, (now - warmup_started_at).days)
    if day >= warmup_days:
        return caps
    share = (day + 1) / warmup_days
    return max(1, int(caps[0] * share)), max(1, int(caps[1] * share))


@lru_cache(maxsize=4096)
def recipient_timezone(phone: str, default: str) -> str:
    """The time zone a number most likely lives in: Brazil by DDD, elsewhere when the number
    points at a single zone; otherwise `default`."""
    if phone.startswith("+55") and len(phone) >= 5:
        return _BRAZIL_ZONES.get(phone[3:5], "America/Sao_Paulo")
    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return default
    if len(zones) == 1 and zones[0] != "Etc/Unknown":
        return str(zones[0])
    return default


@dataclass(frozen=True)
class SendWindow:
    """Local hours in which messages may leave, e.g. 08:00–20:00; may wrap past midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def is_open(self, now: datetime, zone: str) -> bool:
        return self.contains(now.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None))

    def next_opening(self, now: datetime, zone: str) -> datetime:
        """The next instant (UTC-aware, as `now`) at which the window opens in `zone`."""
        local = now.astimezone(ZoneInfo(zone))
        opening = local.replace(
            hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0
        )
        if opening <= local:
            opening += timedelta(days=1)
        return opening.astimezone(now.tzinfo)

    def open_hours(self) -> float:
        """How many hours a day the window is open."""
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        minutes = end - start if start < end else 24 * 60 - start + end
        return minutes / 60


def window_of(start: time | None, end: time | None) -> SendWindow | None:
    if start is None or end is None or start == end:
        return None
    return SendWindow(start, end)
