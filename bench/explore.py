"""Points per hour of `socialsim explore`, with 1 and 2 local processes or 1 and 2 Kafka workers.

    python bench/explore.py [--experiment restaurant-chain] [--points 64] [--customers N] [--days D] [--kafka]

Runs the experiment's design (its own points, replications and world by default: the full size
takes a while) into a fresh folder once with 1 worker and once with 2, and prints points per hour
for each and their ratio. With `--kafka` the workers are `socialsim worker` processes on an
embedded broker and the points go through it (`explore --executor kafka`); each timed run then
includes the workers' discovery of the run's new points topic and the group's rebalance (a few
seconds per run, whatever its size), not the workers' start. On a machine whose cores are busy
with other work the ratio says more about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from socialsim.explore.execute import Executor, KafkaExecutor, LocalExecutor
from socialsim.explore.experiment import RunOptions, load_experiment
from socialsim.explore.explore import explore
from socialsim.kafka.broker import EmbeddedBroker

# [s] How long started workers get to import and join their group before the clock starts.
WORKER_START_S = 10.0


def points_per_hour(experiment: str, points: int | None, options: RunOptions, executor: Executor) -> float:
    exp = load_experiment(experiment, options)
    if points is not None:
        design = exp.spec.design.model_copy(update={"points": points})
        exp.spec = exp.spec.model_copy(update={"design": design})
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        body = explore(exp, Path(out), executor)
        elapsed = time.perf_counter() - start
    return float(body["points"]) / elapsed * 3600


@contextmanager
def kafka_workers(count: int) -> Iterator[KafkaExecutor]:
    """An embedded broker with `count` `socialsim worker` processes on it, stopped afterwards."""
    broker = EmbeddedBroker.start()
    command = [sys.executable, "-m", "socialsim.cli", "worker", "--bootstrap", broker.bootstrap]
    workers = [subprocess.Popen(command, stderr=subprocess.DEVNULL) for _ in range(count)]
    try:
        time.sleep(WORKER_START_S)
        yield KafkaExecutor(broker.bootstrap)
    finally:
        for w in workers:
            w.terminate()
            w.wait()
        broker.stop()


def measure(count: int, kafka: bool, run: Callable[[Executor], float]) -> float:
    if not kafka:
        return run(LocalExecutor(count))
    with kafka_workers(count) as executor:
        return run(executor)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiment", default="restaurant-chain")
    parser.add_argument("--points", type=int, default=None, help="[default: the experiment's own]")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--kafka", action="store_true", help="Kafka workers instead of local processes")
    args = parser.parse_args()
    options = RunOptions(args.customers, args.days)

    def run(executor: Executor) -> float:
        return points_per_hour(args.experiment, args.points, options, executor)

    one, two = measure(1, args.kafka, run), measure(2, args.kafka, run)
    kind = "Kafka worker" if args.kafka else "worker"
    print(
        f"{args.experiment}: 1 {kind} {one:,.0f} points/hour; 2 {kind}s {two:,.0f} points/hour; "
        f"speed-up {two / one:.2f}x"
    )


if __name__ == "__main__":
    main()
