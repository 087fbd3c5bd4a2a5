"""A fake WhatsApp network, deterministic given a seed.

Which numbers exist, which users' privacy blocks group adds, who recently left a group: all
derived from a hash of (seed, number), so every run agrees. Sessions that send too fast, or to
too many new contacts, are restricted and then banned. Groups hold at most 1,024 members.
The network keeps a record of everything it received, which tests compare against.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zapflow.kit.clock import Clock, SystemClock

GROUP_LIMIT = 1024


@dataclass
class NetworkRules:
    exists_share: float = 0.9  # of numbers on WhatsApp
    privacy_share: float = 0.1  # of users whose privacy blocks group adds
    recently_left_share: float = 0.03
    read_share: float = 0.7  # of delivered messages that get read
    latency_ms: tuple[int, int] = (0, 0)
    receipt_delay_ms: tuple[int, int] = (50, 400)
    transient_failure_share: float = 0.0
    blocked_share: float = 0.0  # of users who blocked the sender: sends to them are refused
    burst_per_minute: int = 40  # more than this in 60 s is "too fast"
    new_contacts_per_hour: int = 250  # more first contacts than this in an hour is spam
    violations_to_ban: int = 3  # restricted first; banned after this many violations


@dataclass
class SessionHealth:
    sends: deque[float] = field(default_factory=deque)
    first_contacts: deque[float] = field(default_factory=deque)
    contacted: set[str] = field(default_factory=set)
    violations: int = 0
    banned: bool = False
    overlimit_left: int = 0
    restricted_left: int = 0


@dataclass(frozen=True)
class Delivery:
    session_id: int
    message_id: str
    to: str
    kind: str
    at: float


@dataclass
class Group:
    group_id: str
    subject: str
    owner: str
    members: set[str] = field(default_factory=set)
    left: set[str] = field(default_factory=set)


class SimulatedNetwork:
    def __init__(
        self,
        seed: int = 1,
        rules: NetworkRules | None = None,
        clock: Clock | None = None,
        journal: Path | None = None,
    ) -> None:
        self.seed = seed
        self.rules = rules or NetworkRules()
        self.clock = clock or SystemClock()
        self.journal = journal
        self.health: dict[int, SessionHealth] = {}
        self.deliveries: list[Delivery] = []
        self.groups: dict[str, Group] = {}

    def _fraction(self, phone: str, salt: str) -> float:
        digest = hashlib.sha256(f"{self.seed}:{salt}:{phone}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32

    def exists(self, phone: str) -> bool:
        return self._fraction(phone, "exists") < self.rules.exists_share

    def blocks_group_adds(self, phone: str) -> bool:
        return self._fraction(phone, "privacy") < self.rules.privacy_share

    def recently_left(self, phone: str) -> bool:
        return self._fraction(phone, "left") < self.rules.recently_left_share

    def blocks_us(self, phone: str) -> bool:
        return self._fraction(phone, "blocked") < self.rules.blocked_share

    def reads(self, phone: str) -> bool:
        return self._fraction(phone, "reads") < self.rules.read_share

    def session_health(self, session_id: int) -> SessionHealth:
        return self.health.setdefault(session_id, SessionHealth())

    def judge_send(self, session_id: int, to: str, now: float | None = None) -> str | None:
        """Count a send against the ban model. Returns None if fine, "restricted" or "banned"."""
        now = self.clock.monotonic() if now is None else now
        health = self.session_health(session_id)
        if health.banned:
            return "banned"
        _trim(health.sends, now - 60)
        _trim(health.first_contacts, now - 3600)
        health.sends.append(now)
        if to not in health.contacted:
            health.contacted.add(to)
            health.first_contacts.append(now)
        too_fast = len(health.sends) > self.rules.burst_per_minute
        too_many_new = len(health.first_contacts) > self.rules.new_contacts_per_hour
        if not (too_fast or too_many_new):
            return None
        health.violations += 1
        if health.violations >= self.rules.violations_to_ban:
            health.banned = True
            return "banned"
        return "restricted"

    def record(self, delivery: Delivery) -> None:
        """Keep what arrived; with a journal, also on disk before the sender hears back."""
        self.deliveries.append(delivery)
        if self.journal is not None:
            line = (json.dumps(asdict(delivery)) + "\n").encode()
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)


def read_journal(path: Path) -> list[Delivery]:
    """What a journal holds; a last line cut short by a killed process is ignored."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(Delivery(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return found


def _trim(window: deque[float], older_than: float) -> None:
    while window and window[0] < older_than:
        window.popleft()


_networks: dict[int, SimulatedNetwork] = {}


def network_for(
    seed: int, clock: Clock | None = None, journal: Path | None = None
) -> SimulatedNetwork:
    """One network per seed per process: every session of a worker shares it."""
    if seed not in _networks:
        _networks[seed] = SimulatedNetwork(seed)
    network = _networks[seed]
    if clock is not None:
        network.clock = clock
    if journal is not None:
        network.journal = journal
    return network
