"""Statistics over replications: per-arm means with 95% CIs and paired differences between arms.

Student-t quantiles and probabilities come from `scipy.special` (`stdtrit`, `stdtr`): the very
functions `scipy.stats.t` calls, bit for bit, without the second or so it takes to import
`scipy.stats` in every process that only needs a table or a verdict.

Because arms share common random numbers, the difference A - B within a replication cancels
most of the noise that the two means share; the paired CI is therefore much narrower than the
two per-arm CIs suggest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
import numpy.typing as npt
from scipy import special

CONFIDENCE = 0.95


class MetricStats(TypedDict):
    """One arm's figure for one metric: mean over replications and its 95% CI [low, high]."""

    mean: float
    ci95: list[float]


class PairedDiff(TypedDict):
    """A - B for one metric, paired by replication, and how likely A truly beats B."""

    metric: str
    a: str
    b: str
    mean_diff: float
    ci95: list[float]
    p_a_beats_b: float


ArmStats = dict[str, dict[str, MetricStats]]  # arm -> metric -> figures


class BaselineStats(TypedDict):
    """The reference every arm's incremental figures are read against: its name and own figures."""

    name: str
    metrics: dict[str, MetricStats]


def mean_ci(values: Sequence[float] | npt.NDArray[np.float64]) -> tuple[float, tuple[float, float]]:
    """Mean and Student-t 95% confidence interval of the mean."""
    x = np.asarray(values, dtype=float)
    m = float(x.mean())
    if len(x) < 2:
        return m, (m, m)
    se = float(x.std(ddof=1)) / math.sqrt(len(x))
    if se == 0.0:
        return m, (m, m)
    half = float(special.stdtrit(len(x) - 1, 0.5 + CONFIDENCE / 2)) * se
    return m, (m - half, m + half)


def p_better(diffs: npt.NDArray[np.float64], higher_is_better: bool) -> float:
    """P(A beats B): posterior probability (flat prior, Student-t) that the true mean difference
    favours A, in the metric's good direction."""
    d = diffs if higher_is_better else -diffs
    m = float(d.mean())
    se = float(d.std(ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else 0.0
    if se == 0.0:
        return 1.0 if m > 0 else (0.0 if m < 0 else 0.5)
    return float(special.stdtr(len(d) - 1, m / se))


def _r(x: float) -> float:
    return float(f"{x:.10g}")  # stable, readable JSON numbers


def _stats(values: Sequence[float]) -> MetricStats:
    m, (lo, hi) = mean_ci(values)
    return {"mean": _r(m), "ci95": [_r(lo), _r(hi)]}


def summarise_baseline(name: str, per_metric: Mapping[str, Sequence[float]]) -> BaselineStats:
    """per_metric[metric] = the baseline's value per replication."""
    return {"name": name, "metrics": {metric: _stats(values) for metric, values in per_metric.items()}}


def summarise(
    per_arm: dict[str, dict[str, list[float]]], directions: dict[str, bool]
) -> tuple[ArmStats, list[PairedDiff]]:
    """per_arm[arm][metric] = one value per replication (same order across arms)."""
    arms_out: ArmStats = {
        arm: {metric: _stats(values) for metric, values in metrics.items()}
        for arm, metrics in per_arm.items()
    }
    paired: list[PairedDiff] = []
    for a, b in itertools.combinations(per_arm, 2):
        for metric, higher in directions.items():
            d = np.asarray(per_arm[a][metric], dtype=np.float64) - np.asarray(
                per_arm[b][metric], dtype=np.float64
            )
            m, (lo, hi) = mean_ci(d)
            paired.append(
                {
                    "metric": metric,
                    "a": a,
                    "b": b,
                    "mean_diff": _r(m),
                    "ci95": [_r(lo), _r(hi)],
                    "p_a_beats_b": _r(p_better(d, higher)),
                }
            )
    return arms_out, paired


def winner(arms: Mapping[str, Mapping[str, MetricStats]], metric: str, higher_is_better: bool) -> str:
    """The arm with the best mean (ties broken by arm order)."""
    key = (lambda a: arms[a][metric]["mean"]) if higher_is_better else (lambda a: -arms[a][metric]["mean"])
    return max(arms, key=key)
