"""What a catalogue entry is: one exposed metric, and the typed view it is read from.

A metric is declared once, as data: its exposed name, kind, unit, labels, help, how it is read
from one replication's view, and how replications combine into the arm's one series. Readings,
collectors, rules and dashboards all work from these entries, so none keeps its own list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from services.queues import DepartmentLoad
from simulator.measures import ArmState
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.vocabulary import Department
from socialsim.contracts.world import World

Kind = Literal["counter", "gauge", "histogram"]
Label = Literal["segment", "intent", "valence", "department", "action"]
# How one arm's replications combine: the mean is one simulated company per arm (outcomes), the
# sum is the work an operator sees whichever company it belongs to (operations), the max is a
# clock that every replication shares or that the furthest one sets.
Across = Literal["mean", "sum", "max"]


@dataclass(frozen=True)
class Observations:
    """Every observation of a histogram so far, in order; the list only ever grows, so a reader
    buckets only what is new. `to_base` converts the observations' unit to the exposed one."""

    values: Sequence[float]
    to_base: float


# A reading of one replication: a number, numbers by label value (a tuple of values when the
# metric has several labels), or a histogram's observations.
Value = float | Mapping[str, float] | Mapping[tuple[str, ...], float] | Observations

V = TypeVar("V")


@dataclass(frozen=True)
class Metric(Generic[V]):
    name: str  # as exposed; counters end in `_total`
    kind: Kind
    unit: str  # of the exposed value: seconds and dollars are Prometheus base units
    help: str
    read: Callable[[V], Value]
    labels: tuple[Label, ...] = ()  # besides `arm`, which every metric has
    across: Across = "mean"
    buckets: tuple[float, ...] = ()  # upper bounds, histograms only [unit]


@dataclass(frozen=True)
class OutcomeView:
    """One arm of one replication as outcome metrics read it: its state, its rules, and when,
    beside the no-social baseline's state in the same replication at the same moment."""

    state: ArmState
    world: World
    strategy: Strategy
    minute: float  # simulated time of the reading [min since the start]
    baseline: ArmState


@dataclass
class Tally:
    """What one policy has decided so far: counted on every tick, as a reply carries it once."""

    decisions: Counter[tuple[str, ...]] = field(default_factory=Counter)  # (department, action)
    handoffs: int = 0  # [conversations]
    dead_letters: int = 0  # [messages]
    end_minute: float = 0.0  # the latest tick handled ends here [min of simulated time]


@dataclass(frozen=True)
class PolicyView:
    """One arm of one replication as operations metrics read it: its tally, and its departments'
    load as last sampled (empty for dead letters, which belong to no replication)."""

    tally: Tally
    load: Mapping[Department, DepartmentLoad]
