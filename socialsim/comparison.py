"""A comparison: every replication of a scenario, every arm on common random numbers, through one transport.

The application service behind `compare`, `live` and the facts: it runs the world
(simulator) against the strategies through whatever transport it is handed (the composition
root, `socialsim.bootstrap`, chooses it) and turns each arm's end state into outcomes. Nothing
here knows whether the transport is in-process or Kafka.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.model import Baseline, Frozen, Replications, Stop, Watch
from simulator.network import Network, build_network
from simulator.population import build_population
from simulator.recorder import EVENT_COLUMNS, EventRows
from simulator.transport import Resumable, Transport

from .checkpoint import CheckpointStore, RunState
from .contracts.scenario import Scenario
from .outcomes import INCREMENTAL, METRICS, absolute, outcomes
from .segments import PerSegment, SegmentStats, record_segments, summarise_segments
from .stats import ArmStats, BaselineStats, PairedDiff, summarise, summarise_baseline

# One row of series.parquet: "arm", "replication" and the figures `ArmWorld.snapshot` records
# (their names and types are that method's; this module only passes them through).
SeriesRow = dict[str, Any]


class Summary(TypedDict):
    """summary.json: what was run, and the per-arm and paired statistics (README, "Outputs")."""

    scenario: str
    seed: int
    replications: int
    transport: str
    config_sha256: str
    baseline: BaselineStats
    arms: ArmStats
    paired: list[PairedDiff]
    segments: SegmentStats


EVENT_SCHEMA = pa.schema(
    [
        ("arm", pa.string()),
        ("replication", pa.int32()),
        ("event_id", pa.string()),
        ("kind", pa.string()),
        ("minute", pa.float64()),
        ("tick", pa.int32()),
        ("customer", pa.int64()),
        ("segment", pa.string()),
        ("topic", pa.string()),
        ("intent", pa.string()),
        ("department", pa.string()),
        ("action", pa.string()),
        ("delay_minutes", pa.float64()),
        ("amount_dollars", pa.float64()),
        ("reach", pa.int64()),
        ("conversation_id", pa.string()),
        ("helped", pa.bool_()),
        ("trust", pa.float64()),
    ]
)

# A post by `author` is seen by `follower`; shared by every arm of a replication
NETWORK_SCHEMA = pa.schema([("replication", pa.int32()), ("author", pa.int32()), ("follower", pa.int32())])
# Edges per table of network.parquet: one replication's edges are never all copied at once [edges].
NETWORK_EDGES_PER_TABLE = 1 << 21
# Rows per batch read back from the spool: pyarrow's default for reading a Parquet file, which
# is how events.parquet's row groups were cut when each arm had one spool file [events].
SPOOL_READ_ROWS = 65_536
# A replication's follower edges as tables of network.parquet, made when asked for (call it again
# to read them again), so a run keeps only the network itself until its outputs are written.
NetworkTables = Callable[[], Iterator[pa.Table]]


def network_tables(rep: int, network: Network) -> Iterator[pa.Table]:
    for author, follower in network.edge_blocks(NETWORK_EDGES_PER_TABLE):
        replication = np.full(len(author), rep, dtype=np.int32)
        yield pa.table(
            {"replication": replication, "author": author, "follower": follower}, schema=NETWORK_SCHEMA
        )


class EventSpool:
    """Each arm's events, written as the run records them to part files (one Parquet file per
    batch of rows), so a run holds at most one batch of rows per arm in memory. events.parquet is
    then copied from the parts in (replication, arm) order.

    A part is whole once written, so `state()` between two ticks names every event written so
    far; a resumed spool (`state=`) deletes the parts written after it, and the events those
    held are recorded again: none is lost, none is written twice. Without `folder`, parts go to
    a temporary folder removed with the spool."""

    def __init__(self, folder: Path | None = None, state: dict[str, Any] | None = None) -> None:
        temporary = tempfile.TemporaryDirectory(prefix="socialsim-events-") if folder is None else None
        self._temporary = temporary  # removed with the spool
        self._folder: Path = Path(temporary.name) if temporary is not None else folder or Path()
        state = state or {"serial": 0, "open": {}, "closed": []}
        self._serial: int = state["serial"]
        self._open: dict[tuple[int, str], list[str]] = {k: list(v) for k, v in state["open"].items()}
        self._closed: list[list[str]] = [list(names) for names in state["closed"]]  # (replication, arm) order
        kept = {name for names in [*self._open.values(), *self._closed] for name in names}
        for path in self._folder.glob("*.parquet"):
            if path.name not in kept:
                path.unlink()

    def state(self) -> dict[str, Any]:
        """The parts written so far: plain data, for a checkpoint."""
        return {
            "serial": self._serial,
            "open": {k: list(v) for k, v in self._open.items()},
            "closed": [list(names) for names in self._closed],
        }

    def write(self, rep: int, arm: str, rows: EventRows) -> None:
        name = f"{self._serial}.parquet"
        self._serial += 1
        tmp = self._folder / f".{name}.tmp"
        pq.write_table(event_table(arm, rep, rows), tmp)
        tmp.replace(self._folder / name)
        self._open.setdefault((rep, arm), []).append(name)

    def close(self, rep: int, arm: str) -> None:
        """The arm's events are complete: they take their place in events.parquet."""
        if (rep, arm) in self._open:
            self._closed.append(self._open.pop((rep, arm)))

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Each arm's rows in batches of SPOOL_READ_ROWS, as one Parquet file per arm read back gave
        them, so events.parquet's row groups do not depend on how the rows were spooled."""
        for names in self._closed:
            held: list[pa.Table] = []
            rows = 0
            for name in names:
                held.append(pq.read_table(self._folder / name, schema=EVENT_SCHEMA))
                rows += held[-1].num_rows
                while rows >= SPOOL_READ_ROWS:
                    table = pa.concat_tables(held).combine_chunks()
                    yield from table.slice(0, SPOOL_READ_ROWS).to_batches()
                    held, rows = [table.slice(SPOOL_READ_ROWS)], rows - SPOOL_READ_ROWS
            if rows:
                yield from pa.concat_tables(held).combine_chunks().to_batches()

    def tables(self) -> list[pa.Table]:
        return [
            pa.concat_tables([pq.read_table(self._folder / n, schema=EVENT_SCHEMA) for n in names])
            for names in self._closed
        ]


@dataclass
class RunResult:
    scenario: Scenario
    transport: str
    per_arm: dict[str, dict[str, list[float]]]  # arm -> metric -> value per replication
    baseline: str  # the baseline's name
    per_baseline: dict[str, list[float]]  # metric -> the baseline's value per replication
    series: list[SeriesRow] = field(default_factory=list)
    network: list[NetworkTables] = field(default_factory=list)  # follower edges, one per replication
    spool: EventSpool = field(default_factory=EventSpool)  # events.parquet's rows, on disk until written
    per_segment: PerSegment = field(default_factory=dict)  # arm or baseline -> segment -> metric -> values
    checkpoints: int = 0  # checkpoints saved by this process
    checkpoint_seconds: float = 0.0  # wall time they took, freezing included [s]

    @property
    def finished(self) -> int:
        """Replications whose outcomes are in (all of them, unless the run was interrupted)."""
        return len(next(iter(self.per_baseline.values()), []))

    @property
    def events(self) -> list[pa.Table]:
        """Every event, read back whole in (replication, arm) order (for analyses in memory)."""
        return self.spool.tables()

    def summary(self, config_sha256: str) -> Summary:
        arms, paired = summarise(self.per_arm, {m: hi for m, (_, hi) in METRICS.items()})
        return {
            "scenario": self.scenario.name,
            "seed": self.scenario.seed,
            "replications": self.finished,
            "transport": self.transport,
            "config_sha256": config_sha256,
            "baseline": summarise_baseline(self.baseline, self.per_baseline),
            "arms": arms,
            "paired": paired,
            "segments": summarise_segments(self.per_segment, list(self.per_arm), self.baseline),
        }


class Interrupted(Exception):
    """A stop was asked for: the run ended between two ticks. `result` holds the replications that
    finished; `checkpointed` says whether the state was saved so `--resume` can go on."""

    def __init__(self, result: RunResult, checkpointed: bool):
        super().__init__("interrupted")
        self.result, self.checkpointed = result, checkpointed


def run(
    scenario: Scenario,
    transport: Transport,
    *,
    baseline: Baseline,
    keep_events: bool = True,
    series_every_ticks: int = 1,
    in_flight: int = 8,
    progress: Callable[[int, int], None] | None = None,
    watch: Watch | None = None,
    pace_s_per_minute: float | None = None,
    checkpoints: CheckpointStore | None = None,
    resume: RunState | None = None,
    stop: Callable[[], bool] | None = None,
    checkpoint_share: float | None = None,
) -> RunResult:
    """Run every replication, `in_flight` at a time in one lockstep; progress(done ticks, all ticks).

    `baseline` runs beside the arms of every replication, in this process, and every arm's
    incremental figures and ROI are read against it, replication by replication.

    `watch` sees the worlds after every tick (metrics); `pace_s_per_minute` paces simulated time
    against the wall clock (live runs). Neither changes a number of the result.

    With `checkpoints`, the state is saved at the end of simulated days (the transport must be
    `Resumable`) and events are spooled in its folder: every day, or, with `checkpoint_share`, the
    first day and then each day once the wall time since the previous checkpoint is at least its
    cost / `checkpoint_share`, so checkpoints take at most that share of the run however large
    the worlds. `resume` goes on from a saved state with the same numbers as a run never
    stopped. `stop()` is asked between every two ticks: when true, the
    state is saved (with `checkpoints`) and `Interrupted` raised with the finished replications;
    with `checkpoints` and a transport that can save its strategies only at day ends (Kafka), the
    stop waits for the end of the simulated day."""
    per_arm: dict[str, dict[str, list[float]]] = {arm: {m: [] for m in METRICS} for arm in scenario.arms}
    absolute_metrics = [m for m in METRICS if m not in INCREMENTAL]
    per_baseline: dict[str, list[float]] = {m: [] for m in absolute_metrics}
    result = RunResult(scenario, transport.name, per_arm, baseline.name, per_baseline)
    if checkpoints is not None:
        result.spool = EventSpool(checkpoints.events, resume.spool if resume else None)
    reps = list(range(scenario.replications))
    groups = [reps[i : i + in_flight] for i in range(0, len(reps), in_flight)]
    first = 0
    if resume is not None:
        first, result.per_arm, result.per_baseline = resume.group, resume.per_arm, resume.per_baseline
        per_arm, per_baseline, result.series = resume.per_arm, resume.per_baseline, resume.series
        result.per_segment = resume.per_segment
        if keep_events:
            for rep in (rep for group in groups[:first] for rep in group):
                result.network.append(functools.partial(network_tables, rep, draw_network(scenario, rep)))
    saved = [time.monotonic(), 0.0]  # when the latest checkpoint was saved, and what it took [s]
    for g, group in enumerate(groups[first:], start=first):
        on_tick = (lambda tick, n, g=g: progress(g * n + tick + 1, len(groups) * n)) if progress else None

        def boundary(tick: int, day_ended: bool, freeze: Callable[[], Frozen], g: int = g) -> None:
            # a stop that keeps a checkpoint waits for a tick where the strategies can be saved
            freezable = checkpoints is None or day_ended or _snapshots_mid_day(transport)
            stopping = stop is not None and stop() and freezable  # asked every tick, as documented
            since, cost = time.monotonic() - saved[0], saved[1]
            due = day_ended and (checkpoint_share is None or since * checkpoint_share >= cost)
            if checkpoints is not None and (due or stopping):
                began = time.perf_counter()
                frozen = freeze()  # first: it hands the rows not yet spooled to the spool
                finished = (per_arm, per_baseline, result.series, result.per_segment)
                checkpoints.save(RunState(g, frozen, result.spool.state(), *finished))
                result.checkpoint_seconds += time.perf_counter() - began
                result.checkpoints += 1
                saved[:] = [time.monotonic(), time.perf_counter() - began]
            if stopping:
                raise Stop

        try:
            worlds = Replications(
                scenario,
                group,
                transport,
                keep_events,
                series_every_ticks,
                on_tick,
                watch=watch,
                pace_s_per_minute=pace_s_per_minute,
                event_sink=result.spool.write if keep_events else None,
                baseline=baseline,
                start=resume.frozen if resume is not None and g == resume.group else None,
                boundary=boundary,
            ).run()
        except Stop:
            raise Interrupted(result, checkpoints is not None) from None
        if keep_events:
            for rep in group:
                network = worlds[(rep, next(iter(scenario.arms)))].shared.network
                result.network.append(functools.partial(network_tables, rep, network))
        for rep in group:  # replication order, then arm order: the same whatever `in_flight` is
            base_state = worlds[(rep, baseline.name)].state()
            base = absolute(scenario.world, base_state, 0.0, baseline.wait_minutes)
            record_segments(result.per_segment, baseline.name, base_state)
            for metric in absolute_metrics:
                per_baseline[metric].append(base[metric])
            for arm in scenario.arms:
                w = worlds[(rep, arm)]
                state = w.state()
                for metric, value in outcomes(scenario.world, scenario.arms[arm], state, base).items():
                    per_arm[arm][metric].append(value)
                record_segments(result.per_segment, arm, state)
                result.series.extend({"arm": arm, "replication": rep, **row} for row in w.rec.series)
                result.spool.close(rep, arm)
        del worlds  # the next group's world is built without this one's beside it
    return result


def _snapshots_mid_day(transport: Transport) -> bool:
    """Whether the transport's strategies can be saved between any two ticks, not only at day ends."""
    return isinstance(transport, Resumable) and transport.snapshots_mid_day


def draw_network(scenario: Scenario, rep: int) -> Network:
    """A finished replication's follower network, drawn again (a pure function of config and seed)
    for the outputs of a resumed run."""
    population = build_population(scenario.world, scenario.seed, rep)
    return build_network(scenario.world, population, scenario.seed, rep)


def event_table(arm: str, rep: int, rows: EventRows) -> pa.Table:
    """A batch of one arm's event rows as columns of events.parquet."""
    n = len(rows)
    columns = dict(zip(EVENT_COLUMNS, zip(*rows, strict=True), strict=True))
    return pa.table({"arm": [arm] * n, "replication": [rep] * n, **columns}, schema=EVENT_SCHEMA)
