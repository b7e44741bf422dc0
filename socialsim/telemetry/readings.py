"""Outcome readings: what each arm's worlds look like now, as plain numbers, for the collector.

Taken in the simulation's own thread at most once per `interval_s` of wall time (and at the
end), so a scrape never reads arrays the model is changing and measuring costs a bounded share
of the run. Which numbers, and how replications combine, is the catalogue's `OUTCOMES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from simulator.measures import ArmState
from socialsim.contracts.scenario import Scenario

from .catalogue import OUTCOMES
from .fold import Histograms, Table, fold
from .metric import OutcomeView


class StateSource(Protocol):
    """An arm's world as telemetry sees it: a typed state on demand, nothing else."""

    def state(self) -> ArmState: ...


class Readings:
    """An observer of the lockstep: `readings(tick, minute, worlds)` after every tick."""

    def __init__(
        self,
        scenario: Scenario,
        baseline: str,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        """`baseline` names the reference world each replication runs beside its arms (keyed
        (replication, baseline)): the incremental metrics are read against it."""
        self.scenario, self.baseline, self.interval_s, self.clock = scenario, baseline, interval_s, clock
        self.latest: Table = {}  # empty until the first reading: a scrape then exposes nothing
        self._last = float("-inf")
        self._histograms: Histograms = {}

    def __call__(
        self, tick: int, minute: float, worlds: Mapping[tuple[int, str], StateSource], final: bool = False
    ) -> None:
        now = self.clock()
        if final or now - self._last >= self.interval_s:
            self._last = now
            # one reference swap: a scrape sees the old reading or the new one, never half of each
            self.latest = self.read(minute, worlds)

    def read(self, minute: float, worlds: Mapping[tuple[int, str], StateSource]) -> Table:
        sc = self.scenario
        baselines = {rep: w.state() for (rep, arm), w in worlds.items() if arm == self.baseline}
        views = (
            (key, key[1], OutcomeView(w.state(), sc.world, sc.arms[key[1]], minute, baselines[key[0]]))
            for key, w in worlds.items()
            if key[1] != self.baseline
        )
        return fold(OUTCOMES, sc.arms, views, self._histograms)
