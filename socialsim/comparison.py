"""A comparison: every replication of a scenario, every arm on common random numbers, through one transport.

The application service behind `compare`, `live` and the facts: it runs the world
(simulator) against the strategies through whatever transport it is handed (the composition
root, `socialsim.bootstrap`, chooses it) and turns each arm's end state into outcomes. Nothing
here knows whether the transport is in-process or Kafka.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.model import Baseline, Replications, Watch
from simulator.network import Network
from simulator.recorder import EVENT_COLUMNS, EventRows
from simulator.transport import Transport

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
    """Each arm's events, written to a temporary Parquet file per (replication, arm) as the run
    records them, so a run holds at most one batch of rows per arm in memory. events.parquet is
    then copied from the files in (replication, arm) order, a row group at a time."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="socialsim-events-")  # removed with the spool
        self._open: dict[tuple[int, str], tuple[Path, pq.ParquetWriter]] = {}
        self._closed: list[Path] = []  # in (replication, arm) order

    def write(self, rep: int, arm: str, rows: EventRows) -> None:
        if (rep, arm) not in self._open:
            path = Path(self._folder.name) / f"{len(self._open) + len(self._closed)}.parquet"
            self._open[(rep, arm)] = path, pq.ParquetWriter(path, EVENT_SCHEMA)
        self._open[(rep, arm)][1].write_table(event_table(arm, rep, rows))

    def close(self, rep: int, arm: str) -> None:
        """The arm's events are complete: they take their place in events.parquet."""
        if (rep, arm) in self._open:
            path, writer = self._open.pop((rep, arm))
            writer.close()
            self._closed.append(path)

    def batches(self) -> Iterator[pa.RecordBatch]:
        for path in self._closed:
            yield from pq.ParquetFile(path).iter_batches()

    def tables(self) -> list[pa.Table]:
        return [pq.read_table(path, schema=EVENT_SCHEMA) for path in self._closed]


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

    @property
    def events(self) -> list[pa.Table]:
        """Every event, read back whole in (replication, arm) order (for analyses in memory)."""
        return self.spool.tables()

    def summary(self, config_sha256: str) -> Summary:
        arms, paired = summarise(self.per_arm, {m: hi for m, (_, hi) in METRICS.items()})
        return {
            "scenario": self.scenario.name,
            "seed": self.scenario.seed,
            "replications": self.scenario.replications,
            "transport": self.transport,
            "config_sha256": config_sha256,
            "baseline": summarise_baseline(self.baseline, self.per_baseline),
            "arms": arms,
            "paired": paired,
            "segments": summarise_segments(self.per_segment, list(self.per_arm), self.baseline),
        }


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
) -> RunResult:
    """Run every replication, `in_flight` at a time in one lockstep; progress(done ticks, all ticks).

    `baseline` runs beside the arms of every replication, in this process, and every arm's
    incremental figures and ROI are read against it, replication by replication.

    `watch` sees the worlds after every tick (metrics); `pace_s_per_minute` paces simulated time
    against the wall clock (live runs). Neither changes a number of the result."""
    per_arm: dict[str, dict[str, list[float]]] = {arm: {m: [] for m in METRICS} for arm in scenario.arms}
    absolute_metrics = [m for m in METRICS if m not in INCREMENTAL]
    per_baseline: dict[str, list[float]] = {m: [] for m in absolute_metrics}
    result = RunResult(scenario, transport.name, per_arm, baseline.name, per_baseline)
    reps = list(range(scenario.replications))
    groups = [reps[i : i + in_flight] for i in range(0, len(reps), in_flight)]
    for g, group in enumerate(groups):
        on_tick = (lambda tick, n, g=g: progress(g * n + tick + 1, len(groups) * n)) if progress else None
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
        ).run()
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


def event_table(arm: str, rep: int, rows: EventRows) -> pa.Table:
    """A batch of one arm's event rows as columns of events.parquet."""
    n = len(rows)
    columns = dict(zip(EVENT_COLUMNS, zip(*rows, strict=True), strict=True))
    return pa.table({"arm": [arm] * n, "replication": [rep] * n, **columns}, schema=EVENT_SCHEMA)
