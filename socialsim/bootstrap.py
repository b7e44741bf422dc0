"""The composition root: the one place that knows every part and wires real ones together.

The world (`simulator`) and the strategies (`services`) never import each other or any
adapter; the adapters (Kafka, telemetry, outputs, report) never choose their collaborators.
Everything a command needs is assembled here, from a validated `RunRequest`, and handed down.
Tests wire fakes the same way, by passing other parts to the functions below.
"""

from __future__ import annotations

import ctypes
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from prometheus_client import CollectorRegistry

from services.baseline import DEFAULT_WAIT_HOURS, NAME, NoSocial
from services.policy import Policy
from simulator.model import Baseline
from simulator.transport import InProcessTransport, Transport
from socialsim.checkpoint import CheckpointStore, RunState, run_identity
from socialsim.comparison import RunResult, Summary, run
from socialsim.configload import (
    STRATEGY_DIR,
    config_sha256,
    load_strategy,
)
from socialsim.contracts.scenario import Scenario
from socialsim.contracts.timeunits import MINUTES_PER_HOUR
from socialsim.kafka import asyncapi
from socialsim.kafka.broker import free_port
from socialsim.kafka.resume import resumed_run_id
from socialsim.kafka.stack import kafka_stack, strategies_of
from socialsim.kafka.topics import TICKS_PER_TOPIC
from socialsim.kafka.transport import REPLACEMENT_TIMEOUT_S
from socialsim.outputs import new_run_id, write_outputs
from socialsim.report import render
from socialsim.telemetry.collectors import OutcomeCollector, PolicyCollector
from socialsim.telemetry.meter import PolicyMeter
from socialsim.telemetry.readings import Readings
from socialsim.telemetry.server import serving

TRANSPORTS = ("inproc", "kafka")

# Replications that advance together in one lockstep, so a networked transport pays one round
# trip per tick for all of them; a larger run goes in groups of this many.
REPLICATIONS_IN_FLIGHT = 8
# Every tick is a row of series.parquet (a checkpoint's identity records it) [ticks].
SERIES_EVERY_TICKS = 1
# Most of a run's wall time its checkpoints may take [fraction]: a day's checkpoint is skipped
# while the time since the previous one is under its cost / this (the first day's is always saved).
CHECKPOINT_SHARE = 0.03


def inprocess_transport(meter: PolicyMeter | None = None) -> InProcessTransport[Policy]:
    """The strategies called in this process: one `Policy` per (replication, arm)."""
    return InProcessTransport(Policy, meter.observe if meter is not None else None)


def no_social(wait_hours: float = DEFAULT_WAIT_HOURS) -> Baseline:
    """The baseline every comparison runs beside its arms, in this process whatever the transport:
    a brand that answers and broadcasts nothing, whose posts are given up after `wait_hours`."""
    return Baseline(NAME, lambda: NoSocial(wait_hours), wait_hours * MINUTES_PER_HOUR)


@dataclass
class Telemetry:
    registry: CollectorRegistry
    readings: Readings | None = None
    meter: PolicyMeter | None = None


def run_labels(run_id: str | None, scenario: Scenario) -> dict[str, str]:
    """The constant labels of every series a run exports: which run, which scenario (none for a
    registry read in-process, outside any run)."""
    return {"run": run_id, "scenario": scenario.name} if run_id else {}


def run_telemetry(
    scenario: Scenario,
    *,
    policies_here: bool,
    enabled: bool = True,
    interval_s: float = 1.0,
    run_id: str | None = None,
) -> Telemetry:
    """One injected registry per run. Outcome metrics always; policy metrics only where the
    policies run in this process (a Kafka run's services export their own, and two exporters of
    one series would double it). Every series carries `run_labels`."""
    registry = CollectorRegistry()
    if not enabled:
        return Telemetry(registry)
    labels = run_labels(run_id, scenario)
    readings = Readings(scenario, NAME, interval_s)
    registry.register(OutcomeCollector(readings, labels))
    meter = None
    if policies_here:
        meter = PolicyMeter(list(scenario.arms))
        registry.register(PolicyCollector(meter, labels))
    return Telemetry(registry, readings, meter)


@dataclass
class RunRequest:
    """What `compare` and `live` were asked for, once validated."""

    sc: Scenario
    path: Path
    sets: list[str]
    transport: str = "inproc"
    bootstrap: str | None = None
    partitions: int = 3
    external_services: bool = False
    run_id: str | None = None
    ticks_per_topic: int = TICKS_PER_TOPIC
    out: Path = Path("runs")
    keep_events: bool = True
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    pace_s_per_minute: float | None = None
    replacement_timeout_s: float = REPLACEMENT_TIMEOUT_S  # Kafka: how long a tick waits for a service [s]
    checkpoints: bool = False  # save checkpoints at the end of simulated days (compare)
    resume: bool = False  # go on from the checkpoint in `out`

    def __post_init__(self) -> None:
        # known before the run: it names the Kafka topics and labels every exported series
        if self.run_id is None:
            self.run_id = new_run_id(self.sc.name)


class RequestOptions(TypedDict, total=False):
    """`RunRequest`'s optional settings, as a command passes them on keyword by keyword."""

    bootstrap: str | None
    partitions: int
    external_services: bool
    run_id: str | None
    ticks_per_topic: int
    keep_events: bool
    metrics_port: int | None
    metrics_host: str
    pace_s_per_minute: float | None
    replacement_timeout_s: float
    checkpoints: bool


def write_targets(path: Path, host: str, port: int, service_ports: dict[str, int]) -> None:
    """Prometheus file_sd targets of a run: point a Prometheus `file_sd_configs` at this file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    groups = [{"targets": [f"{host}:{port}"], "labels": {"component": "simulator"}}]
    groups += [
        {"targets": [f"{host}:{p}"], "labels": {"component": "service", "service_arm": arm}}
        for arm, p in service_ports.items()
    ]
    path.write_text(json.dumps(groups, indent=2) + "\n", encoding="utf-8")


@contextmanager
def open_transport(req: RunRequest, sha: str, telemetry: Telemetry) -> Iterator[Transport]:
    """In-process, or Kafka with the broker and services it needs (all stopped on the way out)."""
    if req.transport == "inproc":
        if req.metrics_port is not None:
            write_targets(req.out / "prometheus-targets.json", req.metrics_host, req.metrics_port, {})
        yield inprocess_transport(telemetry.meter)
        return
    started_here = req.metrics_port is not None and not req.external_services
    service_ports = {s: free_port() for s in strategies_of(req.sc)} if started_here else None
    if req.metrics_port is not None:
        write_targets(
            req.out / "prometheus-targets.json", req.metrics_host, req.metrics_port, service_ports or {}
        )
    with kafka_stack(
        req.sc,
        topic_run_id(req),
        bootstrap=req.bootstrap,
        partitions=req.partitions,
        external_services=req.external_services,
        log_dir=req.out / "logs",
        ticks_per_topic=req.ticks_per_topic,
        service_metrics_ports=service_ports,
        metrics_host=req.metrics_host,
        replacement_timeout_s=req.replacement_timeout_s,
    ) as kafka_run:
        yield kafka_run.transport


def topic_run_id(req: RunRequest) -> str:
    """The run id a Kafka run's topics are named by: the run's own, or, when it goes on from a
    checkpoint, a new one beside it. The killed run's topics may still be on an external broker
    and its long-lived services may still hold its streams at a later tick; the resumed run must
    meet neither (`socialsim.kafka.resume` ends that run and deletes its topics)."""
    run = req.run_id or new_run_id(req.sc.name)
    return resumed_run_id(run) if req.resume else run


def checkpoint_store(
    req: RunRequest, sha: str, in_flight: int
) -> tuple[CheckpointStore | None, RunState | None]:
    """Where `req`'s run keeps its checkpoint, and the state to go on from (resume only).

    A resume checks the checkpoint's identity before reading its state: CheckpointMismatch (one
    line) when another config, seed or option wrote it. The transport is part of the identity:
    what a Kafka checkpoint holds of the strategies is its services' snapshots, not policies."""
    if not req.checkpoints and not req.resume:
        return None, None
    store = CheckpointStore(req.out)
    identity = run_identity(
        req.sc,
        sha,
        transport=req.transport,
        keep_events=req.keep_events,
        series_every_ticks=SERIES_EVERY_TICKS,
        in_flight=in_flight,
        run_id=req.run_id,
    )
    if not req.resume:
        store.start(identity)
        return store, None
    store.check(identity)
    return store, store.load()


def simulate(
    req: RunRequest,
    progress: Callable[[int, int], None] | None = None,
    on_serving: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[RunResult, str]:
    """Run the comparison `req` describes, serving /metrics if asked; returns it with its config hash.

    `stop()` is asked between every two ticks; when true the run raises `Interrupted` with the
    replications that finished (and a checkpoint saved where the run keeps one)."""
    sc = req.sc
    sha = config_sha256(sc)
    telemetry = run_telemetry(
        sc, policies_here=req.transport == "inproc", enabled=req.metrics_port is not None, run_id=req.run_id
    )
    # a live run keeps every replication in one lockstep, so simulated time never restarts
    in_flight = sc.replications if req.pace_s_per_minute is not None else REPLICATIONS_IN_FLIGHT
    store, state = checkpoint_store(req, sha, in_flight)
    with (
        serving(telemetry.registry, req.metrics_port, req.metrics_host),
        open_transport(req, sha, telemetry) as tr,
    ):
        if req.metrics_port is not None and on_serving is not None:
            on_serving(f"http://{req.metrics_host}:{req.metrics_port}/metrics")
        result = run(
            sc,
            tr,
            baseline=no_social(),
            keep_events=req.keep_events,
            in_flight=in_flight,
            watch=telemetry.readings,
            pace_s_per_minute=req.pace_s_per_minute,
            progress=progress,
            series_every_ticks=SERIES_EVERY_TICKS,
            checkpoints=store,
            checkpoint_share=CHECKPOINT_SHARE,
            resume=state,
            stop=stop,
        )
    return result, sha


def _release_freed_memory() -> None:
    """Hand the memory the run's worlds freed back to the system, where the C library allows it.

    glibc keeps freed heap for reuse, so without this the outputs (pyarrow imports pandas for
    any conversion; the report imports matplotlib's figures) would stack on top of the whole run's
    peak: 776 -> 736 MB at 100k customers (`bench/memory.py`)."""
    gc.collect()
    # the process's own symbols (the C library it runs on), without find_library's ldconfig call
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:  # glibc only: musl and others return freed memory themselves, or not at all
        trim(0)


def publish(result: RunResult, req: RunRequest, sha: str) -> Summary | None:
    """Write a run's outputs and report; return its summary (None when no replication finished).
    A complete run's checkpoint goes once its outputs are written; an interrupted one's stays."""
    _release_freed_memory()
    summary = write_outputs(result, req.out, sha, str(req.path), req.run_id or new_run_id(req.sc.name))
    if summary is not None:
        report = render(summary, result.series, req.sc, req.sets)
        (req.out / "report.html").write_text(report, encoding="utf-8")
    if result.finished == req.sc.replications:
        CheckpointStore(req.out).remove()
    return summary


def write_contracts(folder: Path) -> None:
    """docs/asyncapi.yaml and docs/events.schema.json, generated from the service a strategy runs in."""
    asyncapi.write(folder, load_strategy(STRATEGY_DIR / "comms-led.yaml"))
