"""Points where all but some parameters are held still, for optimisation and break-even.

Held parameters sit at the middle of their ranges: a named, visible assumption (the world
nobody controls is taken to be the typical one), and every evaluation of a search runs on the
same seed, so two lever values are compared on the same replications.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .design import point_seed
from .execute import Executor, Point, run_point
from .experiment import LoadedExperiment


def midpoints(exp: LoadedExperiment) -> dict[str, float | int]:
    return {p.path: p.cast((p.low + p.high) / 2) for p in exp.parameters}


def only_arms(exp: LoadedExperiment, arms: list[str]) -> LoadedExperiment:
    return replace(exp, arms=arms)


def _point(exp: LoadedExperiment, values: dict[str, float | int], index: int) -> Point:
    return Point(index, midpoints(exp) | values, point_seed(exp.spec.seed, 0))


def evaluate(exp: LoadedExperiment, values: dict[str, float | int], index: int = 0) -> pd.DataFrame:
    """Every arm of `exp` at the midpoints overridden by `values`, on the search's common seed."""
    table: pd.DataFrame = run_point(exp, _point(exp, values, index)).table.to_pandas()
    return table


def evaluate_all(
    exp: LoadedExperiment, values: list[dict[str, float | int]], executor: Executor
) -> list[pd.DataFrame]:
    """`evaluate` at each of `values`, run by `executor` (in parallel if it can), in input order."""
    done = {
        r.index: r.table.to_pandas()
        for r in executor.run(run_point, exp, [_point(exp, v, i) for i, v in enumerate(values)])
    }
    return [done[i] for i in range(len(values))]
