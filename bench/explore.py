"""Points per hour of `socialsim explore`, and the speed-up of 2 workers against 1.

    python bench/explore.py [--experiment restaurant-chain] [--points 64] [--customers N] [--days D]

Runs the experiment's design (its own points, replications and world by default: the full size
takes a while) into a fresh folder once with 1 worker and once with 2, and prints points per hour
for each and their ratio. On a machine whose cores are busy with other work the ratio says more
about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from socialsim.explore.execute import LocalExecutor
from socialsim.explore.experiment import RunOptions, load_experiment
from socialsim.explore.explore import explore


def points_per_hour(experiment: str, points: int | None, options: RunOptions, workers: int) -> float:
    exp = load_experiment(experiment, options)
    if points is not None:
        design = exp.spec.design.model_copy(update={"points": points})
        exp.spec = exp.spec.model_copy(update={"design": design})
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        body = explore(exp, Path(out), LocalExecutor(workers))
        elapsed = time.perf_counter() - start
    return float(body["points"]) / elapsed * 3600


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiment", default="restaurant-chain")
    parser.add_argument("--points", type=int, default=None, help="[default: the experiment's own]")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    args = parser.parse_args()
    options = RunOptions(args.customers, args.days)
    one = points_per_hour(args.experiment, args.points, options, 1)
    two = points_per_hour(args.experiment, args.points, options, 2)
    print(
        f"{args.experiment}: 1 worker {one:,.0f} points/hour; 2 workers {two:,.0f} points/hour; "
        f"speed-up {two / one:.2f}x"
    )


if __name__ == "__main__":
    main()
