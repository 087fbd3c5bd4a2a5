"""Warm-up caps, send windows, recipients' time zones, the ETA and fault classification."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from zapflow.campaigns.eta import SessionCapacity, estimate
from zapflow.kit.pacing import SendWindow, recipient_timezone, warmup_caps
from zapflow.whatsapp.protocol import WhatsAppError
from zapflow.worker.faults import Fault, classify

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo


def test_warmup_ramps_caps_up_over_the_days() -> None:
    started = NOW - timedelta(days=2, hours=1)
    assert warmup_caps((20, 200), started, NOW, 7) == (8, 85)  # day 3 of 7
    assert warmup_caps((20, 200), NOW, NOW, 7) == (2, 28)
    assert warmup_caps((3, 5), NOW, NOW, 7) == (1, 1)  # never zero
    assert warmup_caps((20, 200), NOW - timedelta(days=7), NOW, 7) == (20, 200)
    assert warmup_caps((20, 200), None, NOW, 7) == (20, 200)
    assert warmup_caps((20, 200), NOW, NOW, 0) == (20, 200)


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+5511987654321", "America/Sao_Paulo"),
        ("+5581987654321", "America/Sao_Paulo"),  # Recife is UTC-3, not Noronha
        ("+5568987654321", "America/Rio_Branco"),
        ("+5592987654321", "America/Manaus"),
        ("+5565987654321", "America/Cuiaba"),
        ("+12025550123", "America/New_York"),
        ("+351912345678", "Europe/Madrid"),  # several zones: the campaign's
    ],
)
def test_recipient_time_zones(phone: str, zone: str) -> None:
    assert recipient_timezone(phone, "Europe/Madrid") == zone


def test_send_windows_in_the_recipients_zone() -> None:
    business = SendWindow(time(8), time(20))
    assert business.is_open(NOW, "America/Sao_Paulo")  # 12:00
    assert not business.is_open(NOW.replace(hour=10), "America/Sao_Paulo")  # 07:00
    assert business.is_open(NOW.replace(hour=12), "America/Sao_Paulo")  # 09:00
    assert not business.is_open(NOW.replace(hour=12), "America/Rio_Branco")  # 07:00 in Acre
    opening = business.next_opening(NOW.replace(hour=23, minute=30), "America/Sao_Paulo")
    assert opening == datetime(2026, 12, 5, 11, 0, tzinfo=UTC)  # 08:00 next morning
    night = SendWindow(time(22), time(2))  # wraps past midnight
    assert night.contains(time(23, 59)) and night.contains(time(1)) and not night.contains(time(3))
    assert night.open_hours() == 4 and business.open_hours() == 12


def test_eta_of_three_capped_sessions() -> None:
    pool = [SessionCapacity(20, 200, 0, 0, NOW) for _ in range(3)]
    eta = estimate(120, pool, (8, 25), None, "America/Sao_Paulo", NOW)
    assert eta.per_hour == 60 and eta.finishes_at == NOW + timedelta(hours=2)


def test_eta_counts_what_was_sent_delays_windows_and_daily_caps() -> None:
    busy = [SessionCapacity(20, 200, 20, 20, NOW)]  # its hour is used up
    assert estimate(20, busy, (0, 0), None, "UTC", NOW).finishes_at == NOW + timedelta(hours=2)
    slow = [SessionCapacity(1000, 100_000, 0, 0, NOW)]  # delays of 60 s: 60 an hour
    assert estimate(60, slow, (60, 60), None, "UTC", NOW).finishes_at == NOW + timedelta(hours=1)
    daily = [SessionCapacity(100, 100, 0, 0, NOW)]  # 100 today, 100 tomorrow
    assert estimate(150, daily, (0, 0), None, "UTC", NOW).finishes_at == NOW + timedelta(
        days=1, minutes=30
    )
    window = SendWindow(time(8), time(9))  # one hour a day, and it is 12:00
    eta = estimate(10, slow, (0, 0), window, "America/Sao_Paulo", NOW)
    assert eta.finishes_at is not None
    assert eta.finishes_at.astimezone(UTC) < NOW + timedelta(days=1)
    assert eta.finishes_at > NOW + timedelta(hours=19)  # tomorrow 08:00 local = 11:00 UTC


def test_eta_when_nobody_can_send_or_a_session_is_paused() -> None:
    assert (
        estimate(
            5, [SessionCapacity(20, 200, 0, 0, None)], (8, 25), None, "UTC", NOW
        ).blocked_reason
        == "no_session_connected"
    )
    paused = [SessionCapacity(20, 200, 0, 0, NOW + timedelta(hours=3))]
    assert estimate(20, paused, (0, 0), None, "UTC", NOW).finishes_at == NOW + timedelta(hours=4)


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (WhatsAppError("429", "rate-overlimit", transient=True), Fault.session_overlimit),
        (WhatsAppError("gateway", "Error: rate-overlimit"), Fault.session_overlimit),
        (WhatsAppError("463", "restricted"), Fault.session_restricted),
        (WhatsAppError("403", "forbidden"), Fault.session_gone),
        (WhatsAppError("not_connected", "x", transient=True), Fault.not_connected),
        (WhatsAppError("not_on_whatsapp", "x"), Fault.not_on_whatsapp),
        (WhatsAppError("blocked", "x"), Fault.blocked),
        (WhatsAppError("bad_media", "x"), Fault.bad_message),
        (WhatsAppError("500", "x", transient=True), Fault.transient),
        (WhatsAppError("406", "not acceptable"), Fault.number),
    ],
)
def test_faults_are_classified_by_whose_they_are(error: WhatsAppError, fault: Fault) -> None:
    assert classify(error) is fault
    assert fault.is_session_fault == (
        fault
        in {
            Fault.session_overlimit,
            Fault.session_restricted,
            Fault.session_gone,
            Fault.not_connected,
        }
    )
