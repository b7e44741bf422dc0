"""Where the points go: Latin hypercube, scrambled Sobol, a full grid, or Morris trajectories.

Samplers are scipy.stats.qmc and SALib, seeded from the experiment seed, so the same experiment
always asks the same questions. Each point's seed for the simulator derives from the experiment
seed and the point's index only, never from which worker ran it or when.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from .experiment import Parameter

# Morris: levels of the grid each trajectory moves on (SALib's default)
MORRIS_LEVELS = 4


def problem(params: list[Parameter]) -> dict[str, Any]:
    """The SALib description of the parameter space."""
    return {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }


def _scale(unit: np.ndarray, params: list[Parameter]) -> np.ndarray:
    return np.asarray(qmc.scale(unit, [p.low for p in params], [p.high for p in params]), dtype=float)


def sample(method: str, params: list[Parameter], points: int, seed: int) -> np.ndarray:
    """An array (points, parameters) in the parameters' own units, integers rounded.

    grid rounds `points` to the nearest full factorial (levels per parameter = points^(1/D));
    morris makes points // (D + 1) trajectories of D + 1 points each; sobol is the saltelli-free
    scrambled sequence (space filling), not the Sobol-index design (see `sobol_index_design`)."""
    d = len(params)
    if method == "lhs":
        x = _scale(qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(points), params)
    elif method == "sobol":
        x = _scale(qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed)).random(points), params)
    elif method == "grid":
        levels = max(2, round(points ** (1 / d)))
        axes = [np.linspace(p.low, p.high, levels) for p in params]
        x = np.array(list(itertools.product(*axes)), dtype=float)
    elif method == "morris":
        trajectories = max(2, points // (d + 1))
        x = morris_sample.sample(problem(params), trajectories, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        raise ValueError(f"unknown design method {method!r}")
    return _cast(x, params)


def sobol_index_design(params: list[Parameter], base_samples: int, seed: int) -> np.ndarray:
    """Saltelli's design for first-order and total Sobol indices: base_samples * (D + 2) points.

    Second-order indices are not computed, which would double the runs to N * (2D + 2)."""
    n = 2 ** max(1, math.ceil(math.log2(base_samples)))  # SALib needs a power of two
    x = sobol_sample.sample(problem(params), n, calc_second_order=False, seed=seed)
    return _cast(x, params)


def _cast(x: np.ndarray, params: list[Parameter]) -> np.ndarray:
    out = np.array(x, dtype=float)
    for j, p in enumerate(params):
        if p.integer:
            out[:, j] = np.round(out[:, j])
    return out


def point_seed(experiment_seed: int, index: int) -> int:
    """The simulator seed of point `index`: independent streams per point, whoever runs it.

    32 bits: the simulator mixes seed and replication in 64-bit arithmetic."""
    return int(np.random.SeedSequence(experiment_seed, spawn_key=(index,)).generate_state(1, np.uint32)[0])
