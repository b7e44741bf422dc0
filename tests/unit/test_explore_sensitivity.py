"""Sensitivity recovers the known answer on a toy model where only the first parameter matters.

A toy function stands in for the simulator here: the point is that the design and the SALib
analysis are wired right (the right rows to the right parameters), which a run of the world
cannot show because nobody knows its true indices."""

import numpy as np
import pandas as pd
import pytest

from socialsim.explore.experiment import Parameter
from socialsim.explore.sensitivity import (
    MIN_SOBOL_BASE_SAMPLES,
    indices,
    sensitivity_design,
    targets,
    warnings_for,
)

PARAMS = [
    Parameter("world.a", "uncertain", 0.0, 1.0),
    Parameter("world.b", "uncertain", 10.0, 20.0),
    Parameter("world.c", "lever", -5.0, 5.0),
]


def toy(x: np.ndarray) -> np.ndarray:
    """Only world.a matters (and non-linearly)."""
    return 3.0 * x[:, 0] ** 2 + 1.0


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_only_the_parameter_that_matters_has_an_index(method: str) -> None:
    samples = 20 if method == "morris" else 256
    design = sensitivity_design(method, PARAMS, samples, seed=3)
    found = indices(method, PARAMS, design, toy(design), seed=3)
    key = "mu_star" if method == "morris" else "ST"
    assert found["world.a"][key] > 0.5 if method == "sobol" else found["world.a"][key] > 1.0
    for other in ("world.b", "world.c"):
        assert abs(found[other][key]) < 1e-9
    if method == "sobol":
        assert found["world.a"]["S1"] == pytest.approx(1.0, abs=0.1)
        assert found["world.a"]["S1_conf"] > 0


def test_sobol_warns_when_the_sample_is_too_small() -> None:
    small = sensitivity_design("sobol", PARAMS, 8, seed=3)
    large = sensitivity_design("sobol", PARAMS, MIN_SOBOL_BASE_SAMPLES, seed=3)
    assert len(small) == 8 * (len(PARAMS) + 2)
    found = {"m": {"t": indices("sobol", PARAMS, small, toy(small), seed=3)}}
    assert any("too small" in w for w in warnings_for("sobol", PARAMS, small, found))
    found = {"m": {"t": indices("sobol", PARAMS, large, toy(large), seed=3)}}
    assert warnings_for("sobol", PARAMS, large, found) == []


def test_paired_difference_target_is_the_mean_of_per_replication_differences() -> None:
    rows = [
        {
            "point": p,
            "arm": arm,
            "replication": r,
            "revenue": float(10 * p + r * r + (5 if arm == "a" else 0)),
        }
        for p in range(3)
        for arm in ("a", "b")
        for r in range(3)
    ]
    found = targets(pd.DataFrame(rows), "revenue", ["a", "b"])
    assert list(found["a minus b"]) == [5.0, 5.0, 5.0]
    assert list(found["b"]) == pytest.approx([10 * p + 5 / 3 for p in range(3)])
