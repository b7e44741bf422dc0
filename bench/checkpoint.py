"""What checkpoints cost a run: the same in-process comparison without them, with them as
`compare` saves them (bounded to `CHECKPOINT_SHARE` of the run), and at every simulated day.

    python bench/checkpoint.py [--scenario credit-card-issuer] [--customers 4000] [--days 30]
                               [--replications 8] [--repeats 3]

A checkpoint freezes every world and policy in flight at the end of a simulated day and replaces
`checkpoint/state.pickle`. Prints the median wall time of each way, the overhead against no
checkpoints, and, measured inside the run (so less at the mercy of a shared machine), the
checkpoints' count, their mean cost, their share of the run and the last one's size.
Repeats are interleaved; compare medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from socialsim.bootstrap import CHECKPOINT_SHARE, REPLICATIONS_IN_FLIGHT, inprocess_transport, no_social
from socialsim.checkpoint import STATE, CheckpointStore
from socialsim.comparison import RunResult, run
from socialsim.configload import load_scenario, resolve_scenario_path, with_run_options
from socialsim.contracts.scenario import Scenario

# How a run checkpoints: not at all, as `compare` does, at every day.
WAYS: dict[str, tuple[bool, float | None]] = {
    "without checkpoints": (False, None),
    f"as compare (<= {CHECKPOINT_SHARE:.0%} of the run)": (True, CHECKPOINT_SHARE),
    "every simulated day": (True, None),
}


def timed(sc: Scenario, checkpointed: bool, share: float | None) -> tuple[float, RunResult, int]:
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
            checkpoint_share=share,
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
    timed(with_run_options(sc, days=1), False, None)  # warm-up (imports, first allocations), not timed
    runs: dict[str, list[tuple[float, RunResult, int]]] = {way: [] for way in WAYS}
    for _ in range(args.repeats):
        for way, (checkpointed, share) in WAYS.items():
            runs[way].append(timed(sc, checkpointed, share))
    size = f"{args.customers} customers x {args.days} days x {args.replications} replications"
    print(f"{args.scenario}: {size}")
    base = statistics.median(seconds for seconds, _, _ in runs["without checkpoints"])
    for way, done in runs.items():
        wall = statistics.median(seconds for seconds, _, _ in done)
        line = f"{way}: {wall:.2f} s (median of {args.repeats})"
        count = statistics.median(result.checkpoints for _, result, _ in done)
        if count:
            spent = statistics.median(result.checkpoint_seconds / seconds for seconds, result, _ in done)
            each = statistics.median(result.checkpoint_seconds / result.checkpoints for _, result, _ in done)
            line += (
                f"; checkpoint overhead {100 * (wall - base) / base:+.1f}% by wall time, "
                f"{100 * spent:.1f}% measured in the run; {count:.0f} checkpoints of {1000 * each:.0f} ms, "
                f"last {max(size for _, _, size in done) / 1e6:.1f} MB"
            )
        print(line)


if __name__ == "__main__":
    main()
