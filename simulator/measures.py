"""What an arm's world looks like now, as typed numbers: the one view outcomes and telemetry read.

Adapters (outcomes, metrics) never reach into customers' arrays; they read an `ArmState`. The
NPS reading of trust is defined once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .recorder import Recorder


def trust_and_nps(
    trust: npt.NDArray[np.float64], promoter_trust: float, detractor_trust: float
) -> tuple[float, float]:
    """Mean trust [0..1] and NPS [-100..100] of these customers: promoters have trust at or above
    `promoter_trust`, detractors below `detractor_trust`; (0, 0) for nobody."""
    if not len(trust):
        return 0.0, 0.0
    promoters, detractors = int((trust >= promoter_trust).sum()), int((trust < detractor_trust).sum())
    return float(trust.mean()), 100.0 * (promoters - detractors) / len(trust)


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
