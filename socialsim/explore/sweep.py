"""A sweep: a design matrix turned into points, the points not yet in the store run, the store read.

Resuming is the same call: finished points are skipped, so an interrupted sweep picks up where
it stopped and still ends with exactly the results an uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .design import point_seed
from .execute import Executor, Point, run_point
from .experiment import LoadedExperiment
from .store import PointStore, design_fingerprint


def make_points(exp: LoadedExperiment, design: np.ndarray, common_seed: bool = False) -> list[Point]:
    """Each point its own seed (a sweep samples the dice too), or all one seed (`common_seed`:
    sensitivity designs, whose elementary effects and variance shares must measure the parameters,
    not the difference between two points' dice)."""
    return [
        Point(
            i,
            {p.path: p.cast(row[j]) for j, p in enumerate(exp.parameters)},
            point_seed(exp.spec.seed, 0 if common_seed else i),
        )
        for i, row in enumerate(design)
    ]


def identity(exp: LoadedExperiment, kind: str) -> dict[str, Any]:
    """What makes two sweeps the same sweep (not where or how fast they ran)."""
    return {
        "kind": kind,
        "experiment": exp.spec.model_dump(mode="json"),
        "arms": exp.arms,
        "options": asdict(exp.options) | {"sets": list(exp.options.sets)},
    }


def sweep(
    exp: LoadedExperiment,
    design: np.ndarray,
    folder: Path,
    executor: Executor,
    kind: str = "explore",
    common_seed: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run every point of `design` missing from the store in `folder`; return all results, sorted.

    on_start(already done, total) once, then on_point(index) as each point lands in the store."""
    store = PointStore(folder)
    ident = identity(exp, kind)
    ident |= {"common_seed": common_seed}
    store.open(design_fingerprint(ident, design), ident | {"points": len(design)})
    points = make_points(exp, design, common_seed)
    done = store.done()
    if on_start is not None:
        on_start(len(done & set(range(len(points)))), len(points))
    for result in executor.run(run_point, exp, [p for p in points if p.index not in done]):
        store.write(result.index, result.table)
        if on_point is not None:
            on_point(result.index)
    return store.load()
