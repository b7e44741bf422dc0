"""What an arm's world looks like now, as typed numbers: the one view outcomes and telemetry read.

Adapters (outcomes, metrics) never reach into customers' arrays; they read an `ArmState`. The
NPS reading of trust is defined once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .arrays import Int32s
from .jit import compiled
from .recorder import Recorder


def trust_and_nps(
    trust: npt.NDArray[np.float64], promoter_trust: float, detractor_trust: float
) -> tuple[float, float]:
    """Mean trust [0..1] and NPS [-100..100] of these customers: promoters have trust at or above
    `promoter_trust`, detractors below `detractor_trust`; (0, 0) for nobody."""
    if not len(trust):
        return 0.0, 0.0
    promoters, detractors = int((trust >= promoter_trust).sum()), int((trust < detractor_trust).sum())
    return _reading(trust, promoters, detractors)


def trust_and_nps_of(
    trust: npt.NDArray[np.float64], customers: Int32s, promoter_trust: float, detractor_trust: float
) -> tuple[float, float]:
    """`trust_and_nps` of `customers`, read from everyone's `trust` in one compiled pass that also
    counts promoters and detractors (a series row takes it every tick, over every customer)."""
    if not len(customers):
        return 0.0, 0.0
    theirs, promoters, detractors = _gathered(trust, customers, promoter_trust, detractor_trust)
    return _reading(theirs, promoters, detractors)


def _reading(trust: npt.NDArray[np.float64], promoters: int, detractors: int) -> tuple[float, float]:
    """The mean by numpy's pairwise sum: its last bits are part of every series row."""
    return float(trust.mean()), 100.0 * (promoters - detractors) / len(trust)


@compiled
def _gathered(
    trust: npt.NDArray[np.float64], customers: Int32s, promoter_trust: float, detractor_trust: float
) -> tuple[npt.NDArray[np.float64], int, int]:
    theirs = np.empty(len(customers), dtype=np.float64)
    promoters = detractors = 0
    for k in range(len(customers)):
        t = trust[customers[k]]
        theirs[k] = t
        promoters += t >= promoter_trust
        detractors += t < detractor_trust
    return theirs, promoters, detractors


@dataclass(frozen=True)
class SegmentState:
    """One segment of one arm at one moment: what a breakdown by segment reads. Its counts add up
    to the arm's (`ArmState`, `Recorder`), and its trust and NPS weighted by active customers give
    the arm's."""

    name: str
    initial_customers: int  # customers of this segment at the start [people]
    active_customers: int  # customers of this segment now [people]
    churned: int  # customers of this segment lost so far [people]
    acquisitions: int  # prospects of this segment who became customers so far [people]
    trust: float  # mean trust of its active customers [0..1]
    nps: float  # net promoter score of its active customers [-100..100]
    monthly_revenue_dollars: float  # recurring spend of its active customers at their trust now [$/month]
    revenue_dollars: float  # everything its customers spent so far: bills and purchases [$]


def segment_states(
    names: Sequence[str],
    segment: npt.NDArray[np.integer],
    initial: npt.NDArray[np.bool_],
    active: npt.NDArray[np.integer[Any]],
    trust: npt.NDArray[np.float64],
    monthly_dollars: npt.NDArray[np.float64],
    record: Recorder,
    promoter_trust: float,
    detractor_trust: float,
) -> tuple[SegmentState, ...]:
    """Every segment's `SegmentState`, in `names` order. `segment` is each person's index into
    `names`, `initial` whether each person was a customer at the start; `trust` and
    `monthly_dollars` are aligned with `active`, the customers now."""
    n = len(names)
    start = np.bincount(segment[initial], minlength=n)
    of_active = segment[active]
    now = np.bincount(of_active, minlength=n)
    monthly = np.bincount(of_active, weights=monthly_dollars, minlength=n)
    states = []
    for k, name in enumerate(names):
        mean_trust, nps = trust_and_nps(trust[of_active == k], promoter_trust, detractor_trust)
        states.append(
            SegmentState(
                name=name,
                initial_customers=int(start[k]),
                active_customers=int(now[k]),
                churned=record.churned_by_segment.get(name, 0),
                acquisitions=record.acquisitions_by_segment.get(name, 0),
                trust=mean_trust,
                nps=nps,
                monthly_revenue_dollars=float(monthly[k]),
                revenue_dollars=record.revenue_by_segment.get(name, 0.0),
            )
        )
    return tuple(states)


@dataclass(frozen=True)
class ArmState:
    """One arm of one replication at one moment."""

    initial_customers: int  # customers at the start [people]
    active_customers: int  # customers now [people]
    trust: float  # mean trust of active customers [0..1]
    nps: float  # net promoter score of active customers [-100..100]
    clv_dollars: (
        float  # lifetime value of the active customers if their spend and hazard stay as they are [$]
    )
    record: Recorder  # what has happened so far (read-only for the reader)
    segments: tuple[SegmentState, ...] = ()  # by segment, in the world's order (empty: not broken down)
