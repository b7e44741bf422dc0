"""`socialsim sensitivity`: which assumptions move each metric, and the gap between two owners.

Indices come from SALib: Morris elementary effects (mu_star, a cheap screening: the mean size of
a parameter's effect; sigma, how much that effect depends on the others) or Sobol variance shares
(S1: the share of the output's variance a parameter explains alone; ST: with all its interactions).
The paired difference "a minus b" is computed per point and replication before averaging, so its
indices say which assumptions decide *between* owners, not which move everything alike.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402

from .design import problem, sample, sobol_index_design  # noqa: E402
from .execute import Executor  # noqa: E402
from .experiment import LoadedExperiment, Parameter  # noqa: E402
from .sweep import sweep  # noqa: E402

METHODS = ("morris", "sobol")
CONF_LEVEL = 0.95
# Bootstrap resamples for the confidence intervals (SALib's default)
NUM_RESAMPLES = 1000
# Below this many base samples Sobol estimates are too noisy to rank parameters (they may even
# come out negative); SALib's examples use 1024
MIN_SOBOL_BASE_SAMPLES = 512
SIGNIFICANT_DIGITS = 6
SOBOL_PAIRS = (("S1", "S1_conf"), ("ST", "ST_conf"))


def sensitivity_design(method: str, params: list[Parameter], samples: int, seed: int) -> np.ndarray:
    """Morris: `samples` trajectories of D + 1 points; Sobol: `samples` base samples, N * (D + 2) points."""
    if method == "morris":
        return sample("morris", params, samples * (len(params) + 1), seed)
    return sobol_index_design(params, samples, seed)


def default_samples(method: str, params: list[Parameter], points: int) -> int:
    """About the experiment's own number of points, in the method's unit."""
    d = len(params)
    return max(2, points // (d + 1)) if method == "morris" else max(2, points // (d + 2))


def sobol_base(design: np.ndarray, params: list[Parameter]) -> int:
    return len(design) // (len(params) + 2)


def indices(
    method: str, params: list[Parameter], design: np.ndarray, y: np.ndarray, seed: int
) -> dict[str, dict[str, float | None]]:
    """Per parameter path: Morris mu_star, mu_star_conf, sigma; or Sobol S1, S1_conf, ST, ST_conf."""
    prob = problem(params)
    with warnings.catch_warnings():
        # a target no parameter moves has zero variance; SALib divides by it and reports 0
        warnings.simplefilter("ignore", RuntimeWarning)
        res, keys = _analyze(method, prob, design, y, seed)
    return {p.path: {k: _finite(res[k][j]) for k in keys} for j, p in enumerate(params)}


def _analyze(
    method: str, prob: dict[str, Any], design: np.ndarray, y: np.ndarray, seed: int
) -> tuple[Any, tuple[str, ...]]:
    if method == "morris":
        res = morris_analyze.analyze(
            prob, design, y, conf_level=CONF_LEVEL, num_resamples=NUM_RESAMPLES, seed=seed
        )
        keys: tuple[str, ...] = ("mu_star", "mu_star_conf", "sigma")
    else:
        res = sobol_analyze.analyze(
            prob, y, calc_second_order=False, conf_level=CONF_LEVEL, num_resamples=NUM_RESAMPLES, seed=seed
        )
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    return res, keys


def _finite(x: float) -> float | None:
    """Rounded; None (JSON null) where the index is undefined, e.g. a metric no parameter moves
    (zero variance to share out)."""
    v = float(x)
    return float(f"{v:.{SIGNIFICANT_DIGITS}g}") if np.isfinite(v) else None


def targets(results: pd.DataFrame, metric: str, arms: list[str]) -> dict[str, np.ndarray]:
    """Per point: each arm's mean, and each pair's mean paired difference ("a minus b")."""
    wide = results.pivot_table(index=["point", "replication"], columns="arm", values=metric, sort=True)
    out = {arm: wide[arm].groupby(level="point").mean().to_numpy() for arm in arms}
    for a, b in itertools.combinations(arms, 2):
        out[f"{a} minus {b}"] = (wide[a] - wide[b]).groupby(level="point").mean().to_numpy()
    return out


def warnings_for(
    method: str, params: list[Parameter], design: np.ndarray, found: dict[str, Any]
) -> list[str]:
    """Say when the sample is too small to trust, instead of printing negative variance shares."""
    if method != "sobol":
        return []
    out = []
    n = sobol_base(design, params)
    if n < MIN_SOBOL_BASE_SAMPLES:
        out.append(
            f"Sobol with {n} base samples ({len(design)} points = N x (D + 2)) is too small to rank "
            f"parameters reliably; use --samples {MIN_SOBOL_BASE_SAMPLES} or more, "
            "or --method morris to screen"
        )
    negative = sorted(
        f"{target}: {path}"
        for metric in found.values()
        for target, per in metric.items()
        for path, v in per.items()
        if any(v[i] is not None and v[c] is not None and v[i] + v[c] < 0 for i, c in SOBOL_PAIRS)
    )
    if negative:
        out.append(f"negative Sobol indices beyond their CI (sample too small): {', '.join(negative[:5])}")
    return out


def analyse(exp: LoadedExperiment, method: str, design: np.ndarray, results: pd.DataFrame) -> dict[str, Any]:
    found = {
        metric: {
            target: indices(method, exp.parameters, design, y, exp.spec.seed)
            for target, y in targets(results, metric, exp.arms).items()
        }
        for metric in exp.spec.metrics
    }
    return {
        "method": method,
        "points": len(design),
        "replications": exp.spec.replications,
        "conf_level": CONF_LEVEL,
        "warnings": warnings_for(method, exp.parameters, design, found),
        "indices": found,
    }


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, allow_nan=False) + "\n"


def tornado(body: dict[str, Any], short: dict[str, str], path: str) -> None:
    """One panel per metric: each parameter's index for every paired difference, largest on top."""
    key, conf = ("mu_star", "mu_star_conf") if body["method"] == "morris" else ("ST", "ST_conf")
    metrics = list(body["indices"])
    fig, axes = plt.subplots(len(metrics), 1, figsize=(8, 2.6 * len(metrics)), dpi=90, squeeze=False)
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        diffs = {t: v for t, v in body["indices"][metric].items() if " minus " in t}
        params = list(next(iter(diffs.values())))
        order = sorted(params, key=lambda p: max(d[p][key] or 0.0 for d in diffs.values()))
        height = 0.8 / len(diffs)
        for i, (target, per) in enumerate(diffs.items()):
            ys = np.arange(len(order)) + i * height
            ax.barh(
                ys,
                [per[p][key] or 0.0 for p in order],
                height,
                xerr=[per[p][conf] or 0.0 for p in order],
                label=target,
            )
        ax.set_yticks(np.arange(len(order)) + 0.4 - height / 2, [short[p] for p in order], fontsize=8)
        ax.set_title(f"{metric}: what decides between owners ({key}, {body['conf_level']:.0%} CI)")
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def sensitivity(
    exp: LoadedExperiment,
    method: str,
    samples: int | None,
    out: Path,
    executor: Executor,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Sweep the method's design (resumable, like explore) with every point on the same seed;
    write indices.json and tornado.png."""
    n = samples or default_samples(method, exp.parameters, exp.spec.design.points)
    design = sensitivity_design(method, exp.parameters, n, exp.spec.seed)
    results = sweep(exp, design, out, executor, f"sensitivity-{method}", True, on_start, on_point)
    body = analyse(exp, method, design, results)
    (out / "indices.json").write_text(dumps(body), encoding="utf-8")
    tornado(body, {p.path: p.short for p in exp.parameters}, str(out / "tornado.png"))
    return body
