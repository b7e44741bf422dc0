"""Run points: each point is one `socialsim.comparison.run` of every arm on common random numbers.

The `Executor` protocol is all the sweep needs from whatever runs points: submit them, get
results back as they finish, in any order. `LocalExecutor` uses processes on this machine;
`KafkaExecutor` hands points to `socialsim worker`s through a broker, each point as its fully
resolved scenario, and the workers run it with the very function a local point runs
(`run_resolved`), so where a point ran never shows in its numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import uuid4

import pyarrow as pa
from pydantic import ValidationError

from socialsim.bootstrap import inprocess_transport, no_social
from socialsim.codedigest import code_digest, shown
from socialsim.comparison import run
from socialsim.configerrors import ConfigError
from socialsim.contracts.points import PointTask
from socialsim.contracts.scenario import Scenario
from socialsim.contracts.wire import encode
from socialsim.kafka import worker
from socialsim.kafka.points import (
    SILENCE_TIMEOUT_S,
    WORKING_EVERY_S,
    PointExchange,
    PointFailed,
    TaskRefused,
)
from socialsim.outcomes import METRICS
from socialsim.pool import worker_pool

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


def resolve(exp: LoadedExperiment, point: Point, replications: int | None = None) -> Scenario:
    """The scenario `point` runs, or PointError with the scenario's objections."""
    try:
        return scenario_at(exp, point.values, point.seed, replications)
    except ConfigError as exc:
        raise PointError(point.index, exc.lines) from None


def run_point(exp: LoadedExperiment, point: Point, replications: int | None = None) -> PointResult:
    """Every arm at one point; all arms share each replication's random numbers."""
    return run_resolved(resolve(exp, point, replications), point)


# [ticks] A snapshot interval longer than any run: a point keeps no time series (only the first and
# last tick's snapshots), since its metrics are the run's totals.
NO_SERIES_TICKS = 10**9


def run_resolved(sc: Scenario, point: Point) -> PointResult:
    """Every arm of the resolved scenario `sc` (the experiment's arms, in its order) at `point`."""
    result = run(
        sc, inprocess_transport(), baseline=no_social(), keep_events=False, series_every_ticks=NO_SERIES_TICKS
    )
    cols: dict[str, list[Any]] = {"point": [], "seed": [], "arm": [], "arm_index": [], "replication": []}
    cols.update({p: [] for p in point.values})
    cols.update({m: [] for m in METRICS})
    for a, arm in enumerate(sc.arms):
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
        with worker_pool(self.workers) as pool:
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


def table_bytes(table: pa.Table) -> bytes:
    """A point's rows as an Arrow IPC stream: exact types and values, NaN included."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def table_of(raw: bytes) -> pa.Table:
    return pa.ipc.open_stream(raw).read_all()


def run_task(task: PointTask) -> bytes:
    """What a worker computes: the task's resolved scenario, run exactly as a local point is, and
    only with the code that published it."""
    if task.code != code_digest():
        raise TaskRefused(
            f"the task is for other code (sha256 {shown(task.code)}, this worker runs "
            f"{shown(code_digest())}): run the same socialsim on both sides"
        )
    try:
        sc = Scenario.model_validate(task.scenario)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise TaskRefused(f"scenario: {where}: {first['msg']}") from None
    return table_bytes(run_resolved(sc, Point(task.index, task.values, task.seed)).table)


def serve_worker(bootstrap: str, working_every_s: float = WORKING_EVERY_S) -> None:
    """`socialsim worker`: compute points of every explore run on the broker until stopped, saying
    "working" about a point every `working_every_s` [s]."""
    code_digest()  # read the sources now, before they can change under a long-lived worker
    worker.serve(bootstrap, run_task, working_every_s)


def _unusable(exp: LoadedExperiment, points: dict[int, Point], index: int, raw: bytes) -> str | None:
    """Why a result's rows cannot be point `index`'s rows, or None."""
    try:
        table = table_of(raw)
    except (pa.ArrowInvalid, OSError) as exc:
        return f"point {index}: rows are not an Arrow IPC stream: {exc}"
    want = ["point", "seed", "arm", "arm_index", "replication", *points[index].values, *METRICS]
    if table.column_names != want:
        return f"point {index}: columns {table.column_names} are not {want}"
    if table.num_rows != len(exp.arms) * exp.spec.replications:
        reps = exp.spec.replications
        return f"point {index}: {table.num_rows} rows, not {len(exp.arms)} arms x {reps} replications"
    seeds = set(table.column("seed").to_pylist())
    if set(table.column("point").to_pylist()) != {index} or seeds != {points[index].seed}:
        return f"point {index}: rows of another point or seed"
    return None


# [characters] of the experiment's name kept in a run id: with the prefix, the random part and the
# longest suffix, a run's topic names stay well under Kafka's limit of 249.
RUN_NAME_CHARS = 80
# [hex digits] of randomness in a run id (32 bits): two runs of one experiment never share topics.
RUN_RANDOM_HEX = 8


def run_id_of(name: str) -> str:
    """A new run id for the experiment `name`: its name in topic-safe characters, for people
    reading the broker's topic list, then a random part."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:RUN_NAME_CHARS]
    return f"{safe}-{uuid4().hex[:RUN_RANDOM_HEX]}"


@dataclass
class KafkaExecutor:
    """Points through a Kafka broker to `socialsim worker`s (any number, anywhere), results back.

    The run's topics live as long as `run` does. Gives up with one line when no worker has said
    anything for `silence_timeout_s` [s]."""

    bootstrap: str
    silence_timeout_s: float = SILENCE_TIMEOUT_S
    exchange: PointExchange | None = field(default=None, init=False)  # the last run's, for its dead letters

    def run(
        self,
        fn: Callable[[LoadedExperiment, Point], PointResult],
        exp: LoadedExperiment,
        points: Iterable[Point],
    ) -> Iterator[PointResult]:
        if fn is not run_point:
            raise ValueError("a Kafka executor runs sweep points (run_point) only")
        todo = {p.index: p for p in points}
        if not todo:
            return
        run_id = run_id_of(exp.name)
        tasks = {
            i: encode(
                PointTask(
                    run=run_id,
                    experiment=exp.name,
                    index=i,
                    seed=p.seed,
                    values=p.values,
                    scenario=resolve(exp, p).model_dump(mode="json"),
                    code=code_digest(),
                )
            )
            for i, p in todo.items()
        }
        self.exchange = PointExchange(self.bootstrap, run_id, self.silence_timeout_s)
        try:
            for index, raw in self.exchange.results(tasks, lambda i, raw: _unusable(exp, todo, i, raw)):
                yield PointResult(index, table_of(raw))
        except PointFailed as exc:
            raise PointError(exc.index, [exc.line]) from None
