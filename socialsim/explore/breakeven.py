"""`socialsim breakeven`: the lever value where the winner between two arms flips.

The paired mean difference a - b (over replications on one common seed) is evaluated on a grid
of the lever's range; where it changes sign, scipy's `brentq` narrows the bracket with fresh
runs. The 95% CI resamples replications (bootstrap) and finds each resample's crossing on the
grid by linear interpolation, so it costs no further runs.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from socialsim.configerrors import ConfigError
from socialsim.outcomes import METRICS
from socialsim.stats import mean_ci

from .execute import Executor, LocalExecutor
from .experiment import LoadedExperiment, Parameter
from .fixed import evaluate, evaluate_all, only_arms

GRID_POINTS = 7
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95
# brentq stops when the bracket is this share of the lever's range
ROOT_TOLERANCE_SHARE = 0.01


def paired(table: pd.DataFrame, metric: str, a: str, b: str) -> np.ndarray:
    """a - b per replication."""
    wide = table.pivot_table(index="replication", columns="arm", values=metric, sort=True)
    return np.asarray(wide[a] - wide[b], dtype=float)


def crossing(x: np.ndarray, y: np.ndarray) -> float | None:
    """First sign change of y over x, by linear interpolation; None if y keeps its sign."""
    for i in range(len(x) - 1):
        if y[i] == 0:
            return float(x[i])
        if y[i] * y[i + 1] < 0:
            return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    return float(x[-1]) if y[-1] == 0 else None


def check(exp: LoadedExperiment, lever: Parameter, metric: str, a: str, b: str) -> None:
    problems = [
        f"--{n}: unknown arm {v!r}; the experiment's arms: {', '.join(exp.arms)}"
        for n, v in (("a", a), ("b", b))
        if v not in exp.arms
    ]
    if a == b:
        problems.append("--a and --b must be different arms")
    if metric not in METRICS:
        problems.append(f"--metric: unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
    if problems:
        raise ConfigError(problems)


def breakeven(
    exp: LoadedExperiment,
    lever: Parameter,
    metric: str,
    a: str,
    b: str,
    grid: int = GRID_POINTS,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """The grid runs through `executor` (default: this process); brentq's steps run here, one by one."""
    executor = executor or LocalExecutor(1)
    check(exp, lever, metric, a, b)
    pair = only_arms(exp, [a, b])
    xs = np.linspace(lever.low, lever.high, grid)
    if lever.integer:
        xs = np.unique(np.round(xs))
    tables = evaluate_all(pair, [{lever.path: lever.cast(x)} for x in xs], executor)
    diffs = np.array([paired(t, metric, a, b) for t in tables])
    means = diffs.mean(axis=1)
    body: dict[str, Any] = {
        "lever": lever.path,
        "metric": metric,
        "a": a,
        "b": b,
        "replications": exp.spec.replications,
        "held_at_midpoint": {p.path: (p.low + p.high) / 2 for p in exp.parameters if p.path != lever.path},
        "grid": [
            {"value": float(x), "mean_diff": m, "ci95": list(mean_ci(d)[1])}
            for x, m, d in zip(xs, means, diffs, strict=True)
        ],
    }
    rough = crossing(xs, means)
    if rough is None:
        leader = a if (means[0] > 0) == METRICS[metric][1] else b
        body |= {
            "breakeven": None,
            "ci95": None,
            "sentence": (
                f"no flip in [{lever.low:g}, {lever.high:g}]: {leader} wins {metric} across the whole range"
            ),
        }
        return body
    i = int(np.searchsorted(xs, rough, side="right")) - 1
    lo, hi = float(xs[max(i, 0)]), float(xs[min(i + 1, len(xs) - 1)])
    root = rough
    if lo < hi and means[max(i, 0)] * means[min(i + 1, len(xs) - 1)] < 0:

        def gap(v: float) -> float:
            return float(paired(evaluate(pair, {lever.path: lever.cast(v)}, grid), metric, a, b).mean())

        root = float(brentq(gap, lo, hi, xtol=ROOT_TOLERANCE_SHARE * (lever.high - lever.low)))
    rng = np.random.default_rng(exp.spec.seed)
    reps = diffs.shape[1]
    boot = [
        crossing(xs, diffs[:, rng.integers(0, reps, reps)].mean(axis=1)) for _ in range(BOOTSTRAP_RESAMPLES)
    ]
    found = np.array([c for c in boot if c is not None])
    tail = (1 - CONFIDENCE) / 2
    ci = [float(np.quantile(found, tail)), float(np.quantile(found, 1 - tail))] if len(found) else None
    a_above = (means[-1] > 0) == METRICS[metric][1]
    above, below = (a, b) if a_above else (b, a)
    body |= {
        "breakeven": root,
        "ci95": ci,
        "resamples_with_a_flip": len(found) / BOOTSTRAP_RESAMPLES,
        "sentence": (
            f"{above} beats {below} on {metric} when {lever.short} > {root:.4g}"
            + (f" (95% CI {ci[0]:.4g} to {ci[1]:.4g})" if ci else "")
        ),
    }
    return body


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, allow_nan=False) + "\n"
