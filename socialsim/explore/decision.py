"""decision.json: per metric, win share, regret and rules, from the sorted results of a sweep.

A pure function of the results table, which is itself sorted by point, arm and replication,
so the file is byte-identical whatever the worker count and completion order.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from socialsim.outcomes import METRICS

from . import analysis
from .experiment import LoadedExperiment
from .rules import importance, rules

# Figures are rounded to this many significant digits: beyond them the simulator's dice speak
SIGNIFICANT_DIGITS = 10

EXPLANATION = {
    "win_share": (
        "share of sampled points where the arm has the best mean over replications; "
        "a point tied between k arms counts 1/k for each, so shares sum to 1"
    ),
    "regret": (
        "at each point, the best arm's mean minus this arm's (in the metric's unit, always >= 0): "
        "what choosing this arm gives up if the world turns out to be that point; mean, 90th percentile "
        "and maximum over points"
    ),
    "rules": (
        "from a decision tree on the winning arm per point; coverage = share of points the rule "
        "covers, density = share of those points the arm wins"
    ),
}


def _round(x: Any) -> Any:
    if isinstance(x, float):
        return float(f"{x:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_round(v) for v in x]
    return x


def metric_decision(
    results: pd.DataFrame, metric: str, arms: list[str], params: list[str], short: dict[str, str]
) -> dict[str, Any]:
    means = analysis.point_means(results, metric, arms)
    table = analysis.parameter_table(results, params).loc[means.index]
    labels = analysis.winner_labels(means, metric)
    w = analysis.winners(means, metric)
    credit = pd.DataFrame(w / w.sum(axis=1, keepdims=True), columns=arms, index=means.index)
    return {
        "unit": METRICS[metric][0],
        "higher_is_better": METRICS[metric][1],
        "win_share": analysis.win_share(means, metric),
        "regret": analysis.regret(means, metric),
        "influence": importance(table, labels),
        "rules": [r.as_dict(short) for r in rules(table, credit, labels)],
    }


def decision(exp: LoadedExperiment, results: pd.DataFrame) -> dict[str, Any]:
    params = [p.path for p in exp.parameters]
    short = {p.path: p.short for p in exp.parameters}
    body: dict[str, Any] = _round(
        {
            "experiment": exp.name,
            "scenario": exp.spec.scenario,
            "seed": exp.spec.seed,
            "points": int(results["point"].nunique()),
            "replications": exp.spec.replications,
            "arms": exp.arms,
            "run_options": {
                "customers": exp.options.customers,
                "days": exp.options.days,
                "set": list(exp.options.sets),
            },
            "parameters": [
                {"path": p.path, "kind": p.kind, "low": p.low, "high": p.high} for p in exp.parameters
            ],
            "explanation": EXPLANATION,
            "metrics": {m: metric_decision(results, m, exp.arms, params, short) for m in exp.spec.metrics},
        }
    )
    return body


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, allow_nan=False) + "\n"


def results_frame(results: pd.DataFrame) -> pd.DataFrame:
    """results.parquet: the store's rows without the bookkeeping column, floats as they ran."""
    return results.drop(columns=["arm_index"]).astype({"point": np.int64})
