"""Points where all but some parameters are held still, for optimisation and break-even.

Held parameters sit at the middle of their ranges: a named, visible assumption (the world
nobody controls is taken to be the typical one), and every evaluation of a search runs on the
same seed, so two lever values are compared on the same replications.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .design import point_seed
from .execute import Point, run_point
from .experiment import LoadedExperiment


def midpoints(exp: LoadedExperiment) -> dict[str, float | int]:
    return {p.path: p.cast((p.low + p.high) / 2) for p in exp.parameters}


def only_arms(exp: LoadedExperiment, arms: list[str]) -> LoadedExperiment:
    return replace(exp, arms=arms)


def evaluate(exp: LoadedExperiment, values: dict[str, float | int], index: int = 0) -> pd.DataFrame:
    """Every arm of `exp` at the midpoints overridden by `values`, on the search's common seed."""
    point = Point(index, midpoints(exp) | values, point_seed(exp.spec.seed, 0))
    table: pd.DataFrame = run_point(exp, point).table.to_pandas()
    return table
