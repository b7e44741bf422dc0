"""Which arm wins where, and what choosing another arm costs: win share and regret per metric.

Every figure is on the mean over a point's replications, and every comparison is paired: arms
at a point share random numbers, so the difference between two arms there is the strategy's,
not the dice's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialsim.outcomes import METRICS

# Two arm means closer than this (relative) tie at a point; each tied arm gets an equal part of it
TIE_RELATIVE_TOLERANCE = 1e-9
REGRET_QUANTILE = 0.9


def point_means(results: pd.DataFrame, metric: str, arms: list[str]) -> pd.DataFrame:
    """Points x arms: the metric's mean over each point's replications, arms in experiment order."""
    means = results.groupby(["point", "arm"], sort=True)[metric].mean().unstack("arm")
    return means[arms]


def _oriented(means: pd.DataFrame, metric: str) -> np.ndarray:
    """Higher is better after this: lower-is-better metrics are negated."""
    higher = METRICS[metric][1]
    values = means.to_numpy(dtype=float)
    return np.asarray(values if higher else -values)


def winners(means: pd.DataFrame, metric: str) -> np.ndarray:
    """Points x arms of 0/1: 1 where the arm is best at that point (several on a tie)."""
    v = _oriented(means, metric)
    best = v.max(axis=1, keepdims=True)
    return np.asarray(np.isclose(v, best, rtol=TIE_RELATIVE_TOLERANCE, atol=0.0), dtype=float)


def winner_labels(means: pd.DataFrame, metric: str) -> np.ndarray:
    """One arm per point; a tie goes to the earliest arm in experiment order."""
    return np.asarray(np.array(means.columns)[winners(means, metric).argmax(axis=1)])


def win_share(means: pd.DataFrame, metric: str) -> dict[str, float]:
    """Share of points each arm wins; a point tied between k arms gives each 1/k. Sums to 1."""
    w = winners(means, metric)
    split = w / w.sum(axis=1, keepdims=True)
    shares = split.mean(axis=0)
    return {arm: float(s) for arm, s in zip(means.columns, shares, strict=True)}


def regret(means: pd.DataFrame, metric: str) -> dict[str, dict[str, float]]:
    """Per arm, how far it falls short of the best arm at the same point (>= 0, metric's unit)."""
    v = _oriented(means, metric)
    gap = v.max(axis=1, keepdims=True) - v
    return {
        arm: {
            "mean": float(gap[:, a].mean()),
            f"p{round(REGRET_QUANTILE * 100)}": float(np.quantile(gap[:, a], REGRET_QUANTILE)),
            "max": float(gap[:, a].max()),
        }
        for a, arm in enumerate(means.columns)
    }


def parameter_table(results: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Points x parameters: the values each point ran with."""
    return results.groupby("point", sort=True)[params].first()
