"""Policy readings: what each arm's strategy has decided and how busy its departments are.

Fed after every tick a policy handles (by the in-process transport, or by a strategy service),
read by the collector from a scrape thread: a lock keeps the two apart. Values are summed over
the run's replications, as an operator counts work whichever company it belongs to.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from services.policy import Policy
from socialsim.contracts.events import TickClosed, TickReply
from socialsim.contracts.timeunits import SECONDS_PER_MINUTE


@dataclass
class _Departments:
    """One policy's latest cumulative queue figures, per department."""

    backlog: dict[str, int] = field(default_factory=dict)
    staffed_minutes: dict[str, float] = field(default_factory=dict)
    worked_minutes: dict[str, float] = field(default_factory=dict)


@dataclass
class ArmOperations:
    decisions: Counter = field(default_factory=Counter)  # (department, action) -> conversations
    handoffs: int = 0
    dead_letters: int = 0
    sim_time_s: float = 0.0
    backlog: Counter = field(default_factory=Counter)
    staffed_s: Counter = field(default_factory=Counter)
    busy_s: Counter = field(default_factory=Counter)


class PolicyMeter:
    """Decisions are counted every tick; queue figures (counting a backlog walks the queue) are
    sampled at most once per `interval_s` of wall time per policy, and on its final tick."""

    def __init__(self, arms: list[str], interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._arms = {arm: ArmOperations() for arm in arms}
        self._departments: dict[tuple[str, int], _Departments] = {}
        self._sampled: dict[tuple[str, int], float] = {}
        self.interval_s, self.clock = interval_s, clock

    def observe(
        self, arm: str, replication: int, policy: Policy, closed: TickClosed, reply: TickReply
    ) -> None:
        key, now = (arm, replication), self.clock()
        depts = None
        if closed.final or now - self._sampled.get(key, float("-inf")) >= self.interval_s:
            self._sampled[key] = now
            load = policy.load()
            depts = _Departments(
                backlog={d: x.backlog for d, x in load.items()},
                staffed_minutes={d: x.staffed_minutes for d, x in load.items()},
                worked_minutes={d: x.worked_minutes for d, x in load.items()},
            )
        with self._lock:
            ops = self._arms[arm]
            for r in reply.responses:
                ops.decisions[(r.department or "none", r.action)] += 1
                ops.handoffs += r.handoffs
            ops.sim_time_s = max(ops.sim_time_s, closed.end_minute * SECONDS_PER_MINUTE)
            if depts is not None:
                self._departments[key] = depts

    def dead_letter(self, arm: str, count: int = 1) -> None:
        with self._lock:
            self._arms[arm].dead_letters += count

    def read(self) -> dict[str, ArmOperations]:
        """A consistent copy, with department figures summed over replications."""
        with self._lock:
            out = {
                arm: ArmOperations(
                    decisions=Counter(ops.decisions),
                    handoffs=ops.handoffs,
                    dead_letters=ops.dead_letters,
                    sim_time_s=ops.sim_time_s,
                )
                for arm, ops in self._arms.items()
            }
            for (arm, _), d in self._departments.items():
                out[arm].backlog.update(d.backlog)
                out[arm].staffed_s.update({k: v * SECONDS_PER_MINUTE for k, v in d.staffed_minutes.items()})
                out[arm].busy_s.update({k: v * SECONDS_PER_MINUTE for k, v in d.worked_minutes.items()})
        return out
