"""What daily checkpoints cost a run: the same in-process comparison with and without them.

    python bench/checkpoint.py [--scenario credit-card-issuer] [--customers 4000] [--days 30]
                               [--replications 8] [--repeats 3]

A checkpoint freezes every world and policy in flight at the end of every simulated day and
replaces `checkpoint/state.pickle` (what `compare` does). Prints the median wall time of each, the
overhead, the number of checkpoints, their mean cost and the last one's size. A checkpoint holds
the series rows so far, so its cost grows with the day: measure at the horizon you care about.
Machines are shared and noisy: repeats are interleaved, compare medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from socialsim.bootstrap import REPLICATIONS_IN_FLIGHT, inprocess_transport, no_social
from socialsim.checkpoint import STATE, CheckpointStore
from socialsim.comparison import RunResult, run
from socialsim.configload import load_scenario, resolve_scenario_path, with_run_options
from socialsim.contracts.scenario import Scenario


def timed(sc: Scenario, checkpointed: bool) -> tuple[float, RunResult, int]:
    """Wall time [s], the result, and the last checkpoint's size [bytes] (0 without)."""
    with tempfile.TemporaryDirectory(prefix="socialsim-bench-checkpoint-") as folder:
        store = CheckpointStore(Path(folder)) if checkpointed else None
        if store is not None:
            store.start({"bench": True})
        start = time.perf_counter()
        result = run(
            sc,
            inprocess_transport(),
            baseline=no_social(),
            in_flight=REPLICATIONS_IN_FLIGHT,
            checkpoints=store,
        )
        seconds = time.perf_counter() - start
        size = (store.folder / STATE).stat().st_size if store is not None else 0
    return seconds, result, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="credit-card-issuer")
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sc = with_run_options(
        load_scenario(resolve_scenario_path(args.scenario), []),
        seed=None,
        replications=args.replications,
        customers=args.customers,
        days=args.days,
    )
    plain, saved, spent, sizes = [], [], [], []
    count = 0
    for _ in range(args.repeats):
        plain.append(timed(sc, False)[0])
        seconds, result, size = timed(sc, True)
        saved.append(seconds)
        spent.append(result.checkpoint_seconds)
        count, sizes = result.checkpoints, [*sizes, size]
    without, with_ = statistics.median(plain), statistics.median(saved)
    print(
        f"{args.scenario}: {args.customers} customers x {args.days} days x {args.replications} replications"
    )
    print(f"without checkpoints: {without:.2f} s (median of {args.repeats})")
    print(f"with checkpoints:    {with_:.2f} s")
    print(f"checkpoint overhead: {100 * (with_ - without) / without:.1f}%")
    print(
        f"checkpoints: {count} per run, {1000 * statistics.median(spent) / max(count, 1):.1f} ms each "
        f"(mean, freezing included); last one {max(sizes) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
