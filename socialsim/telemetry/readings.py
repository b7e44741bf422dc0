"""Outcome readings: what each arm's worlds look like now, as plain numbers, for the collector.

Taken in the simulation's own thread at most once per `interval_s` of wall time (and at the
end), so a scrape never reads arrays the model is changing and measuring costs a bounded share
of the run. Values are means over the replications in flight: one simulated company per arm.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np

from simulator.measures import ArmState
from socialsim.contracts.scenario import Scenario
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.timeunits import MINUTES_PER_DAY, SECONDS_PER_MINUTE
from socialsim.outcomes import cost, roi

from .names import FIRST_RESPONSE_BUCKETS_S


@dataclass
class ArmReading:
    sim_time_s: float = 0.0
    revenue: float = 0.0
    cost: float = 0.0
    clv: float = 0.0
    roi: float = 0.0
    trust: float = 0.0
    nps: float = 0.0
    active: float = 0.0
    help_seeking: float = 0.0
    helped: float = 0.0
    answered: float = 0.0
    broadcasts: float = 0.0
    conversations: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # by intent
    wom_reach: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # by valence
    wom_posts: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    churned: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # by segment
    acquired: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    first_response_buckets: list[float] = field(default_factory=lambda: [0.0] * len(FIRST_RESPONSE_BUCKETS_S))
    first_response_count: float = 0.0
    first_response_sum_s: float = 0.0


class _FirstResponses:
    """Cumulative histogram of one world's first-response delays, fed incrementally."""

    def __init__(self) -> None:
        self.seen = 0
        self.buckets = np.zeros(len(FIRST_RESPONSE_BUCKETS_S))
        self.total_s = 0.0

    def update(self, minutes: list[float]) -> None:
        fresh = np.asarray(minutes[self.seen :], dtype=float) * SECONDS_PER_MINUTE
        self.seen = len(minutes)
        if len(fresh):
            self.buckets += (fresh[:, None] <= np.asarray(FIRST_RESPONSE_BUCKETS_S)[None, :]).sum(axis=0)
            self.total_s += float(fresh.sum())


class StateSource(Protocol):
    """An arm's world as telemetry sees it: a typed state on demand, nothing else."""

    def state(self) -> ArmState: ...


class Readings:
    """An observer of the lockstep: `readings(tick, minute, worlds)` after every tick."""

    def __init__(
        self, scenario: Scenario, interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ):
        self.scenario, self.interval_s, self.clock = scenario, interval_s, clock
        self.latest: dict[str, ArmReading] = {}
        self._last = float("-inf")
        self._histograms: dict[tuple[int, str], _FirstResponses] = {}

    def __call__(
        self, tick: int, minute: float, worlds: Mapping[tuple[int, str], StateSource], final: bool = False
    ) -> None:
        now = self.clock()
        if final or now - self._last >= self.interval_s:
            self._last = now
            self.latest = self.read(
                minute, worlds
            )  # one reference swap: a scrape sees old or new, never half

    def read(self, minute: float, worlds: Mapping[tuple[int, str], StateSource]) -> dict[str, ArmReading]:
        sc = self.scenario
        out = {arm: ArmReading(sim_time_s=minute * SECONDS_PER_MINUTE) for arm in sc.arms}
        reps = {arm: 0 for arm in sc.arms}
        for (rep, arm), w in worlds.items():
            reps[arm] += 1
            self._add(out[arm], sc.arms[arm], (rep, arm), w.state(), minute)
        for arm, r in out.items():
            _scale(r, 1.0 / max(1, reps[arm]))
        return out

    def _add(
        self, r: ArmReading, strategy: Strategy, key: tuple[int, str], state: ArmState, minute: float
    ) -> None:
        world, rec = self.scenario.world, state.record
        value, spent = state.clv_dollars, cost(world, strategy, state, minute / MINUTES_PER_DAY)
        trust, nps = state.trust, state.nps
        r.revenue += rec.revenue_dollars
        r.cost += spent
        r.clv += value
        r.roi += roi(world, rec.revenue_dollars, value, spent)
        r.trust += trust
        r.nps += nps
        r.active += state.active_customers
        r.help_seeking += rec.help_seeking
        r.helped += rec.helped
        r.answered += rec.answered
        r.broadcasts += rec.broadcasts
        for intent, count in rec.conversations_by_intent.items():
            r.conversations[intent] += count
        r.wom_reach["positive"] += rec.positive_wom_reach
        r.wom_reach["negative"] += rec.negative_wom_reach
        r.wom_posts["positive"] += rec.positive_wom_posts
        r.wom_posts["negative"] += rec.negative_wom_posts
        for seg in world.segments:
            r.churned[seg] += rec.churned_by_segment.get(seg, 0)
            r.acquired[seg] += rec.acquisitions_by_segment.get(seg, 0)
        hist = self._histograms.setdefault(key, _FirstResponses())
        hist.update(rec.first_response_minutes)
        r.first_response_buckets = [
            a + b for a, b in zip(r.first_response_buckets, hist.buckets.tolist(), strict=False)
        ]
        r.first_response_count += hist.seen
        r.first_response_sum_s += hist.total_s


def _scale(r: ArmReading, k: float) -> None:
    """Sums over replications -> means; simulated time is shared, not summed."""
    for f in fields(r):
        if f.name == "sim_time_s":
            continue
        value = getattr(r, f.name)
        if isinstance(value, dict):
            for label in value:
                value[label] *= k
        elif isinstance(value, list):
            setattr(r, f.name, [v * k for v in value])
        else:
            setattr(r, f.name, value * k)
