"""The simulated network's rules, driven directly (no worker): numbers, groups, bans, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.sessions.helpers import create_session_row
from zapflow.db.engine import create_engine, create_sessionmaker, transaction
from zapflow.sessions.auth_store import AuthStore
from zapflow.whatsapp.protocol import (
    CloseReason,
    ConnectionState,
    Event,
    InboundText,
    MessageKind,
    NotConnected,
    OutgoingMessage,
    ParticipantStatus,
    Receipt,
    ReceiptStatus,
    StateEvent,
    WhatsAppError,
)
from zapflow.whatsapp.simulator.driver import SimulatorDriver, scan
from zapflow.whatsapp.simulator.network import GROUP_LIMIT, NetworkRules, SimulatedNetwork


@pytest.fixture
async def store(committed_url: str, tmp_path: Path) -> AsyncIterator[AuthStore]:
    engine = create_engine(committed_url, pool_size=2)
    yield AuthStore(create_sessionmaker(engine), make_settings(committed_url, tmp_path).keyring())
    await engine.dispose()


async def next_event(driver: SimulatorDriver, kind: type, timeout: float = 5) -> Event:
    async def find() -> Event:
        async for event in driver.events():
            if isinstance(event, kind):
                return event
        raise AssertionError("events ended")

    return await asyncio.wait_for(find(), timeout)


async def opened(
    store: AuthStore, network: SimulatedNetwork, committed_url: str
) -> SimulatorDriver:
    sid = create_session_row(committed_url, engine="simulator")
    async with transaction(store.sessionmaker) as db:
        await scan(db, store.keyring, sid, "+5521977776666")
    driver = SimulatorDriver(sid, store, network, qr_seconds=60)
    await driver.connect()
    while True:
        event = await next_event(driver, StateEvent)
        if event.state is ConnectionState.open:  # type: ignore[union-attr]
            return driver


def text_to(phone: str, n: int) -> OutgoingMessage:
    return OutgoingMessage(message_id=f"m{n}", to=phone, kind=MessageKind.text, text="oi")


def existing_numbers(network: SimulatedNetwork, count: int, *, start: int = 0) -> list[str]:
    found, n = [], start
    while len(found) < count:
        phone = f"+55119{n:08d}"
        if (
            network.exists(phone)
            and not network.blocks_group_adds(phone)
            and not network.recently_left(phone)
        ):
            found.append(phone)
        n += 1
    return found


def test_the_network_is_deterministic_for_a_seed_and_has_the_documented_shares() -> None:
    a, b, c = SimulatedNetwork(7), SimulatedNetwork(7), SimulatedNetwork(8)
    phones = [f"+55119{n:08d}" for n in range(4000)]
    assert [a.exists(p) for p in phones] == [b.exists(p) for p in phones]
    assert [a.exists(p) for p in phones] != [c.exists(p) for p in phones]
    share = sum(a.exists(p) for p in phones) / len(phones)
    privacy = sum(a.blocks_group_adds(p) for p in phones) / len(phones)
    assert 0.87 < share < 0.93 and 0.07 < privacy < 0.13


async def test_send_records_and_acks_then_delivers_and_reads(
    store: AuthStore, committed_url: str
) -> None:
    network = SimulatedNetwork(1, NetworkRules(read_share=1.0, receipt_delay_ms=(1, 2)))
    driver = await opened(store, network, committed_url)
    phone = existing_numbers(network, 1)[0]
    await driver.send(text_to(phone, 1))
    statuses = [(await next_event(driver, Receipt)).status for _ in range(3)]  # type: ignore[union-attr]
    assert statuses == [ReceiptStatus.server_ack, ReceiptStatus.delivered, ReceiptStatus.read]
    assert [(d.message_id, d.to) for d in network.deliveries] == [("m1", phone)]
    await driver.close()


async def test_numbers_not_on_whatsapp_are_refused_and_reported_by_checks(
    store: AuthStore, committed_url: str
) -> None:
    network = SimulatedNetwork(1)
    driver = await opened(store, network, committed_url)
    missing = next(f"+55119{n:08d}" for n in range(1000) if not network.exists(f"+55119{n:08d}"))
    with pytest.raises(WhatsAppError) as refused:
        await driver.send(text_to(missing, 1))
    assert refused.value.code == "not_on_whatsapp" and not refused.value.transient
    checks = await driver.check_numbers([missing, existing_numbers(network, 1)[0]])
    assert [c.on_whatsapp for c in checks] == [False, True]
    await driver.close()


async def test_sending_too_fast_restricts_then_bans(store: AuthStore, committed_url: str) -> None:
    network = SimulatedNetwork(1, NetworkRules(burst_per_minute=5, violations_to_ban=3))
    driver = await opened(store, network, committed_url)
    phones = existing_numbers(network, 8)
    for n in range(5):
        await driver.send(text_to(phones[n], n))
    codes = []
    for n in range(5, 8):
        with pytest.raises(WhatsAppError) as refused:
            await driver.send(text_to(phones[n], n))
        codes.append(refused.value.code)
    assert codes == ["463", "463", "403"]
    banned = await next_event(driver, StateEvent)
    while banned.state is not ConnectionState.close:  # type: ignore[union-attr]
        banned = await next_event(driver, StateEvent)
    assert banned.reason is CloseReason.forbidden  # type: ignore[union-attr]
    with pytest.raises(NotConnected):
        await driver.send(text_to(phones[0], 99))
    await driver.close()


async def test_rate_overlimit_fault_fails_the_next_sends_transiently(
    store: AuthStore, committed_url: str
) -> None:
    network = SimulatedNetwork(1)
    driver = await opened(store, network, committed_url)
    phone = existing_numbers(network, 1)[0]
    await driver.inject("rate_overlimit", {"count": "2"})
    for n in range(2):
        with pytest.raises(WhatsAppError) as refused:
            await driver.send(text_to(phone, n))
        assert refused.value.code == "429" and refused.value.transient
    await driver.send(text_to(phone, 3))
    await driver.close()


async def test_inbound_fault_delivers_a_text(store: AuthStore, committed_url: str) -> None:
    driver = await opened(store, SimulatedNetwork(1), committed_url)
    await driver.inject("inbound", {"from": "+5521998765432", "text": "SAIR"})
    inbound = await next_event(driver, InboundText)
    assert (inbound.sender, inbound.text) == ("+5521998765432", "SAIR")  # type: ignore[union-attr]
    await driver.close()


async def test_group_adds_are_classified_per_participant(
    store: AuthStore, committed_url: str
) -> None:
    network = SimulatedNetwork(1)
    driver = await opened(store, network, committed_url)
    phones = [f"+55119{n:08d}" for n in range(400)]
    missing = next(p for p in phones if not network.exists(p))
    private = next(p for p in phones if network.exists(p) and network.blocks_group_adds(p))
    left = next(
        p
        for p in phones
        if network.exists(p) and not network.blocks_group_adds(p) and network.recently_left(p)
    )
    fine = existing_numbers(network, 1)[0]
    group, created = await driver.create_group("Jovens", [fine])
    assert [r.status for r in created] == [ParticipantStatus.added]
    results = await driver.add_participants(group.group_id, [missing, private, left, fine])
    assert [r.status for r in results] == [
        ParticipantStatus.not_on_whatsapp,
        ParticipantStatus.privacy_blocked,
        ParticipantStatus.recently_left,
        ParticipantStatus.already_member,
    ]
    assert len(await driver.invite_code(group.group_id)) > 10
    assert fine in (await driver.group_metadata(group.group_id)).participants
    await driver.close()


async def test_groups_hold_at_most_1024_members(store: AuthStore, committed_url: str) -> None:
    network = SimulatedNetwork(1)
    driver = await opened(store, network, committed_url)
    group, _ = await driver.create_group("Cheio", [])
    members = existing_numbers(network, GROUP_LIMIT, start=10_000)
    results = await driver.add_participants(group.group_id, members)
    assert (
        sum(r.status is ParticipantStatus.added for r in results) == GROUP_LIMIT - 1
    )  # the owner is one
    assert results[-1].status is ParticipantStatus.group_full
    await driver.close()


async def test_a_session_without_creds_shows_new_qr_codes_until_scanned(
    store: AuthStore, committed_url: str
) -> None:
    sid = create_session_row(committed_url, engine="simulator")
    driver = SimulatorDriver(sid, store, SimulatedNetwork(1), qr_seconds=0.2)
    await driver.connect()
    qrs = []
    while len(qrs) < 2:
        event = await next_event(driver, StateEvent)
        if event.state is ConnectionState.qr:  # type: ignore[union-attr]
            qrs.append(event.qr)  # type: ignore[union-attr]
    assert qrs[0] != qrs[1] and qrs[0].startswith(f"zfsim:{sid}:")
    async with transaction(store.sessionmaker) as db:
        await scan(db, store.keyring, sid, "+5511988887777")
    event = await next_event(driver, StateEvent)
    while event.state is ConnectionState.qr:  # type: ignore[union-attr]
        event = await next_event(driver, StateEvent)
    assert event.state is ConnectionState.open and event.phone == "+5511988887777"  # type: ignore[union-attr]
    await driver.close()
