"""Run the virtual studies: simulate each scenario a fact needs, then every fact's study per replication.

Only the arms the facts study are simulated. That changes none of their numbers: arms share
the replication's common random numbers and never interact, so an arm run alone is the same
arm, event for event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from typing import TypedDict, Unpack

import pandas as pd
import pyarrow as pa

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.configerrors import ConfigError
from socialsim.configload import load_scenario, resolve_scenario_path, with_run_options
from socialsim.contracts.scenario import Scenario
from socialsim.pool import worker_pool
from socialsim.stats import mean_ci

from .catalogue import FACTS, Fact, Measure


class RunOptions(TypedDict, total=False):
    """The command line's shorthand run options (None keeps the scenario's own value)."""

    seed: int | None
    replications: int | None
    customers: int | None
    days: int | None


class MeasureRow(TypedDict):
    """One measure of a fact, as `facts --json` prints it."""

    name: str
    unit: str
    published: float | None
    simulated: float | None
    ci95: list[float | None]
    band: list[float | None]
    rule: str
    passed: bool


class FactRow(TypedDict):
    """One fact, as `facts --json` prints it (README, "Facts")."""

    id: str
    source: str
    finding: str
    published: float | None
    simulated: float | None
    ci95: list[float | None]
    band: list[float | None]
    passed: bool
    scenario: str
    arm: str
    replications: int
    design: str
    measures: list[MeasureRow]


def _finite(x: float) -> float | None:
    """JSON has no infinity or NaN: an open band end, or a study with an empty group, is null."""
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class MeasureResult:
    measure: Measure
    per_replication: tuple[float, ...]
    mean: float
    ci95: tuple[float, float]
    passed: bool

    def as_dict(self) -> MeasureRow:
        m = self.measure
        return {
            "name": m.name,
            "unit": m.unit,
            "published": m.published,
            "simulated": _finite(self.mean),
            "ci95": [_finite(x) for x in self.ci95],
            "band": [_finite(x) for x in m.band],
            "rule": m.rule,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class FactResult:
    fact: Fact
    measures: tuple[MeasureResult, ...]
    replications: int

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.measures)

    def as_dict(self) -> FactRow:
        """The public row: `published`, `simulated`, `ci95` and `band` are those of the fact's
        first measure; `measures` lists every measure (typical-care and squeaky-wheel have two)."""
        first = self.measures[0].as_dict()
        return {
            "id": self.fact.id,
            "source": self.fact.source,
            "finding": self.fact.finding,
            "published": first["published"],
            "simulated": first["simulated"],
            "ci95": first["ci95"],
            "band": first["band"],
            "passed": self.passed,
            "scenario": self.fact.scenario,
            "arm": self.fact.arm,
            "replications": self.replications,
            "design": self.fact.design,
            "measures": [m.as_dict() for m in self.measures],
        }


def studied_scenario(
    name: str, arms: set[str], sets: list[str] | None = None, **run_options: Unpack[RunOptions]
) -> Scenario:
    """A scenario (file or shipped name) with only the studied arms (`--set` values and run
    options as on the command line)."""
    path = resolve_scenario_path(name)
    sc = with_run_options(load_scenario(path, sets or []), **run_options)
    missing = sorted(arms - set(sc.arms))
    if missing:
        raise ConfigError(
            [
                (
                    f"{path}: arms: the facts study arm(s) {', '.join(missing)}; this "
                    f"scenario's arms: {', '.join(sc.arms)}"
                )
            ]
        )
    return sc.model_copy(update={"arms": {a: s for a, s in sc.arms.items() if a in arms}})


Simulated = tuple[pd.DataFrame, pd.DataFrame]  # (events, network)


def simulate(sc: Scenario) -> Simulated:
    """(events, network) of a run, as events.parquet and network.parquet hold them."""
    result = run(sc, inprocess_transport(), baseline=no_social(), keep_events=True)
    events: pd.DataFrame = pa.concat_tables(result.events).to_pandas()
    network: pd.DataFrame = pa.concat_tables(
        [table for tables in result.network for table in tables()]
    ).to_pandas()
    return events, network


def evaluate(fact: Fact, sc: Scenario, events: pd.DataFrame, network: pd.DataFrame) -> FactResult:
    studied = events[events["arm"] == fact.arm]
    edges = dict(tuple(network.groupby("replication", sort=True)))
    measures = []
    for m in fact.measures:
        values = tuple(
            float(m.study(rep_events, sc.world, edges[rep]))
            for rep, rep_events in studied.groupby("replication", sort=True)
        )
        mean, ci95 = mean_ci(values)
        measures.append(MeasureResult(m, values, mean, ci95, m.passes(mean, ci95)))
    return FactResult(fact, tuple(measures), sc.replications)


def run_facts(
    facts: tuple[Fact, ...] = FACTS,
    *,
    sets: list[str] | None = None,
    scenario: str | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    **run_options: Unpack[RunOptions],
) -> list[FactResult]:
    """Every fact's study, in catalogue order. `sets` change the world of every studied scenario
    (`world.reactions.help_half_life_minutes=60`: does the evidence still hold?); `scenario`
    studies another company instead of each fact's own; `run_options` are seed, replications,
    customers, days. Facts sharing a scenario and design share one simulation; the simulations
    are independent of each other, so `workers` processes run them side by side, with the numbers
    of one process (each is a pure function of its scenario)."""
    if scenario is not None:
        facts = tuple(replace(f, scenario=scenario) for f in facts)

    def design(f: Fact) -> tuple[str, tuple[str, ...]]:
        return f.scenario, f.design_settings

    studies: list[tuple[list[Fact], Scenario, str]] = []  # (facts, studied scenario, what it is)
    for (name, settings), group in groupby(sorted(facts, key=design), key=design):
        members = list(group)
        sc = studied_scenario(name, {f.arm for f in members}, [*settings, *(sets or [])], **run_options)
        extra = f" ({', '.join(settings)})" if settings else ""
        studies.append((members, sc, f"{name}{extra}: {', '.join(sc.arms)} x {sc.replications} replications"))
    say = progress or (lambda text: None)

    def one_by_one() -> Iterator[Simulated]:
        for _, sc, what in studies:
            say(what)
            yield simulate(sc)

    results: dict[str, FactResult] = {}

    def judge(simulated: Iterable[Simulated]) -> None:
        for (members, sc, _), (events, network) in zip(studies, simulated, strict=True):
            for fact in members:
                results[fact.id] = evaluate(fact, sc, events, network)

    if workers <= 1 or len(studies) <= 1:
        judge(one_by_one())
    else:
        with worker_pool(min(workers, len(studies))) as pool:
            for _, _, what in studies:
                say(what)
            futures = [pool.submit(simulate, sc) for _, sc, _ in studies]
            try:
                judge(f.result() for f in futures)
            finally:  # a failure or an interrupt does not wait for the studies not yet begun
                for f in futures:
                    f.cancel()
    return [results[f.id] for f in facts]
