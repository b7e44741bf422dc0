"""Run points: each point is one `socialsim.comparison.run` of every arm on common random numbers.

The `Executor` protocol is all the sweep needs from whatever runs points: submit them, get
results back as they finish, in any order. `LocalExecutor` uses processes on this machine; a
distributed executor (a batch queue, Ray, Dask) plugs in by implementing the same method.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.comparison import run
from socialsim.configerrors import ConfigError
from socialsim.outcomes import METRICS

from .experiment import LoadedExperiment, scenario_at


@dataclass(frozen=True)
class Point:
    """One place in the parameter space, with the simulator seed its replications use."""

    index: int
    values: dict[str, float | int]
    seed: int


@dataclass(frozen=True)
class PointResult:
    index: int
    table: pa.Table  # one row per (arm, replication): parameter values and every metric


class PointError(Exception):
    """A point whose values the scenario rejects (a combination no single range check could see).

    Carries plain arguments so it crosses the process boundary intact."""

    def __init__(self, index: int, lines: list[str]):
        super().__init__(index, lines)
        self.index = index
        self.lines = lines


def run_point(exp: LoadedExperiment, point: Point, replications: int | None = None) -> PointResult:
    """Every arm at one point; all arms share each replication's random numbers."""
    try:
        sc = scenario_at(exp, point.values, point.seed, replications)
    except ConfigError as exc:
        raise PointError(point.index, exc.lines) from None
    result = run(sc, inprocess_transport(), baseline=no_social(), keep_events=False, series_every_ticks=10**9)
    cols: dict[str, list[Any]] = {"point": [], "seed": [], "arm": [], "arm_index": [], "replication": []}
    cols.update({p: [] for p in point.values})
    cols.update({m: [] for m in METRICS})
    for a, arm in enumerate(exp.arms):
        for rep in range(sc.replications):
            cols["point"].append(point.index)
            cols["seed"].append(point.seed)
            cols["arm"].append(arm)
            cols["arm_index"].append(a)
            cols["replication"].append(rep)
            for p, v in point.values.items():
                cols[p].append(float(v))
            for m in METRICS:
                cols[m].append(float(result.per_arm[arm][m][rep]))
    return PointResult(point.index, pa.table(cols))


# How often a worker checks that the sweep that started it is still alive [s]
PARENT_POLL_S = 1.0


def _exit_with_parent(parent: int, poll_s: float) -> None:
    """Worker initializer: a sweep killed with SIGKILL cannot stop its pool, so each worker leaves
    by itself once its parent is gone, instead of simulating on for nobody."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class Executor(Protocol):
    def run(
        self,
        fn: Callable[[LoadedExperiment, Point], PointResult],
        exp: LoadedExperiment,
        points: Iterable[Point],
    ) -> Iterator[PointResult]:
        """Run `fn(exp, point)` for every point; yield each result as soon as it is finished."""
        ...


@dataclass
class LocalExecutor:
    """Points in `workers` processes (1: in this process, no pool), at most 2 * workers queued so
    an interrupt loses little and memory stays flat however long the sweep is."""

    workers: int = 1

    def run(
        self,
        fn: Callable[[LoadedExperiment, Point], PointResult],
        exp: LoadedExperiment,
        points: Iterable[Point],
    ) -> Iterator[PointResult]:
        if self.workers <= 1:
            for point in points:
                yield fn(exp, point)
            return
        todo = iter(points)
        init = (os.getpid(), PARENT_POLL_S)
        with ProcessPoolExecutor(
            max_workers=self.workers, initializer=_exit_with_parent, initargs=init
        ) as pool:
            pending: set[Future[PointResult]] = set()
            try:
                while True:
                    while len(pending) < 2 * self.workers:
                        nxt = next(todo, None)
                        if nxt is None:
                            break
                        pending.add(pool.submit(fn, exp, nxt))
                    if not pending:
                        return
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(finished, key=lambda f: f.result().index):
                        yield future.result()
            finally:
                for future in pending:
                    future.cancel()
