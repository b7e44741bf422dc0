"""Policy readings: what each arm's strategy has decided and how busy its departments are.

Fed after every tick a policy handles (by the in-process transport, or by a strategy service),
read by the collector from a scrape thread: a lock keeps the two apart. Which numbers, and how
replications combine, is the catalogue's `OPERATIONS`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace

from services.policy import Policy
from services.queues import DepartmentLoad
from socialsim.contracts.events import TickClosed, TickReply
from socialsim.contracts.vocabulary import Department

from .catalogue import OPERATIONS
from .fold import Table, fold
from .metric import PolicyView, Tally

# A dead letter could not be read, so it belongs to no replication: it is tallied under None.
Key = tuple[str, int | None]  # (arm, replication)


class PolicyMeter:
    """Decisions are counted every tick; queue figures (counting a backlog walks the queue) are
    sampled at most once per `interval_s` of wall time per policy, and on its final tick."""

    def __init__(self, arms: list[str], interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._arms = arms
        self._tallies: dict[Key, Tally] = {}
        self._loads: dict[Key, Mapping[Department, DepartmentLoad]] = {}
        self._sampled: dict[Key, float] = {}
        self.interval_s, self.clock = interval_s, clock

    def observe(
        self, arm: str, replication: int, policy: Policy, closed: TickClosed, reply: TickReply
    ) -> None:
        key, now = (arm, replication), self.clock()
        load = None
        if closed.final or now - self._sampled.get(key, float("-inf")) >= self.interval_s:
            self._sampled[key] = now
            load = policy.load()
        with self._lock:
            tally = self._tallies.setdefault(key, Tally())
            for r in reply.responses:
                tally.decisions[(r.department or "none", r.action)] += 1
                tally.handoffs += r.handoffs
            tally.end_minute = max(tally.end_minute, closed.end_minute)
            if load is not None:
                self._loads[key] = load

    def dead_letter(self, arm: str, count: int = 1) -> None:
        with self._lock:
            self._tallies.setdefault((arm, None), Tally()).dead_letters += count

    def read(self) -> Table:
        """A consistent reading of every arm, replications combined as the catalogue says."""
        with self._lock:
            views = [
                (key, key[0], PolicyView(_copy(tally), self._loads.get(key, {})))
                for key, tally in self._tallies.items()
            ]
        return fold(OPERATIONS, self._arms, views, {})


def _copy(tally: Tally) -> Tally:
    """A copy the scrape thread may read while the policy's thread counts on."""
    return replace(tally, decisions=Counter(tally.decisions))
