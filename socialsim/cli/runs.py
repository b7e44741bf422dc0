"""compare and live: run a comparison and print its table and verdict."""

from __future__ import annotations

import math
import shlex
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Unpack

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulator.transport import TransportError

from ..bootstrap import (
    TRANSPORTS,
    RequestOptions,
    RunRequest,
    publish,
    simulate,
)
from ..checkpoint import CheckpointError, CheckpointStore
from ..comparison import Interrupted
from ..configerrors import ConfigError
from ..configload import config_sha256, load_scenario, resolve_scenario_path, with_run_options
from ..contracts.timeunits import MINUTES_PER_DAY
from ..kafka.broker import BrokerError
from ..kafka.topics import TICKS_PER_TOPIC
from ..kafka.transport import REPLACEMENT_TIMEOUT_S
from ..outputs import prepare_folder, resumable, run_folder
from ..pace import parse_pace
from ..terminal import comparison_table
from ..verdict import decide, describe
from .console import (
    WIDTH,
    BootstrapOpt,
    CustomersOpt,
    DaysOpt,
    ExternalOpt,
    ForceOpt,
    MetricsHostOpt,
    OutOpt,
    PartitionsOpt,
    RepsOpt,
    RunIdOpt,
    SeedOpt,
    SetOpt,
    TicksOpt,
    TransportOpt,
    err_console,
    fail,
    ignore_interrupts,
    out_console,
    raise_dropped_stop,
    stop_at_once,
    stop_on_sigterm,
)

# Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class StopAtTick:
    """SIGINT handler of a run: the first Ctrl-C asks it to stop at the next tick boundary where
    it can save a checkpoint (any tick in-process, the end of the simulated day over Kafka) and
    write the finished replications; a second one stops at once, and later ones are ignored
    (`ignore_interrupts`)."""

    def __init__(self) -> None:
        self.asked = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.asked:
            stop_at_once()
        self.asked = True

    def at_tick(self) -> bool:
        """Asked between two ticks: whether to stop there; a stop at once Python dropped is raised."""
        raise_dropped_stop()
        return self.asked


def resume_command(out: Path) -> str:
    """The command line this run was started with, pointed at its folder with --resume."""
    kept, skip = [], False
    for arg in sys.argv[1:]:
        if skip or arg == "--force" or arg.startswith(("--out=", "--resume=")):
            skip = False
            continue
        if arg in ("--out", "--resume"):
            skip = True
            continue
        kept.append(arg)
    return shlex.join(["socialsim", *kept, "--resume", str(out)])


def interrupted(exc: Interrupted, req: RunRequest) -> None:
    """Write the finished replications' outputs, marked partial, and say how to go on."""
    publish(exc.result, req, config_sha256(req.sc))
    done = f"interrupted: {exc.result.finished} of {req.sc.replications} replications finished"
    how = f"checkpoint saved; go on with: {resume_command(req.out)}" if exc.checkpointed else "no checkpoint"
    line = f"{done} ({req.out}, marked partial); {how}"
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def execute(req: RunRequest) -> None:
    """Run, serving metrics if asked, then write outputs and print the comparison."""
    stop_on_sigterm()
    stop = StopAtTick()
    previous = signal.signal(signal.SIGINT, stop)
    try:
        _execute(req, stop)
    finally:
        if signal.getsignal(signal.SIGINT) is stop:  # a stopped run leaves it ignored until it exits
            signal.signal(signal.SIGINT, previous)


def _execute(req: RunRequest, stop: StopAtTick) -> None:
    sc = req.sc
    days_per_tick = sc.world.horizon.tick_minutes / MINUTES_PER_DAY  # progress counts ticks
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=15),
            MofNCompleteColumn(),
            TextColumn("days"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
            disable=not err_console.is_terminal,
        ) as bar:
            task = bar.add_task(f"{sc.name}: {len(sc.arms)} arms x {sc.replications} reps", total=None)
            result, sha = simulate(
                req,
                progress=lambda done, total: bar.update(
                    task, completed=done * days_per_tick, total=total * days_per_tick
                ),
                on_serving=lambda url: err_console.print(f"metrics: {url}", highlight=False),
                stop=stop.at_tick,
            )
            raise_dropped_stop()  # one dropped after the last tick (no tick boundary follows)
    except CheckpointError as exc:
        fail(ConfigError([f"--resume {req.out}: {exc}"]))
    except Interrupted as exc:
        ignore_interrupts()  # the stop is under way: let it write what finished, and say so
        interrupted(exc, req)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (BrokerError, TransportError, OSError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: every process the run started has been stopped", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    summary = publish(result, req, sha)
    if summary is None:  # no replication asked for: nothing to compare
        return
    currency = req.sc.world.currency
    out_console.print(comparison_table(summary, currency, WIDTH))
    out_console.print(describe(decide(summary), summary, currency), highlight=False, soft_wrap=False)
    out_console.print(f"report: {(req.out / 'report.html').resolve()}")


def load_request(
    scenario: str,
    sets: list[str] | None,
    transport: str,
    *,
    out: str | None = None,
    force: bool = False,
    seed: int | None = None,
    replications: int | None = None,
    customers: int | None = None,
    days: int | None = None,
    resume: str | None = None,
    **options: Unpack[RequestOptions],
) -> RunRequest:
    """Load and check what the user asked for; a config error exits 2 naming file and field.
    `resume` names the folder of a killed or interrupted run to go on with."""
    path = resolve_scenario_path(scenario)
    try:
        sc = with_run_options(
            load_scenario(path, sets or []),
            seed=seed,
            replications=replications,
            customers=customers,
            days=days,
        )
        if transport not in TRANSPORTS:
            raise ConfigError(
                [f"--transport: unknown transport {transport!r}; allowed: {', '.join(TRANSPORTS)}"]
            )
    except ConfigError as exc:
        fail(exc)
    timeout = options.get("replacement_timeout_s", REPLACEMENT_TIMEOUT_S)
    if not (math.isfinite(timeout) and timeout > 0):
        fail(ConfigError([f"--replacement-timeout {timeout}: allowed are seconds > 0, e.g. 60"]))
    if resume is not None:
        folder = resume_folder(resume, out, force)
        try:
            options["run_id"] = options.get("run_id") or CheckpointStore(folder).identity().get("run_id")
        except CheckpointError as exc:
            fail(ConfigError([f"--resume {folder}: {exc}"]))
        return RunRequest(
            sc=sc, path=path, sets=sets or [], transport=transport, out=folder, resume=True, **options
        )
    try:
        folder = run_folder(out, sc.name)
        prepare_folder(folder, force)  # before simulating: a bad --out must not cost a whole run
    except ConfigError as exc:
        fail(exc)
    return RunRequest(sc=sc, path=path, sets=sets or [], transport=transport, out=folder, **options)


def resume_folder(resume: str, out: str | None, force: bool) -> Path:
    """The folder `--resume` names, once it is known to hold a run to go on with; a completed
    run's folder says so and exits 0."""
    folder = Path(resume)
    try:
        if out is not None and Path(out).absolute() != folder.absolute():
            raise ConfigError([f"--out {out}: a resumed run writes to its own folder, {resume}; drop --out"])
        if force:
            raise ConfigError(["--force: a resumed run keeps what its folder holds; drop --force"])
        if not resumable(folder):
            out_console.print(f"{folder}: this run completed; nothing to resume (its outputs are there)")
            raise typer.Exit(0)
    except ConfigError as exc:
        fail(exc)
    return folder


# The flags compare and live share, passed to load_request by name.
_RUN_FLAGS = (
    "bootstrap",
    "partitions",
    "external_services",
    "run_id",
    "ticks_per_topic",
    "replications",
    "seed",
    "customers",
    "days",
    "out",
    "force",
    "metrics_port",
    "metrics_host",
    "replacement_timeout_s",
)


ReplacementTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--replacement-timeout",
        help="Kafka: seconds a tick waits for a silent strategy service, or a killed one's "
        "replacement, before the run fails",
    ),
]


def _run_flags(arguments: dict[str, Any]) -> dict[str, Any]:
    return {name: arguments[name] for name in _RUN_FLAGS}


def compare(
    scenario: Annotated[str, typer.Argument(help="scenario YAML file, or the name of a shipped scenario")],
    transport: TransportOpt = "inproc",
    bootstrap: BootstrapOpt = None,
    partitions: PartitionsOpt = 3,
    external_services: ExternalOpt = False,
    run_id: RunIdOpt = None,
    ticks_per_topic: TicksOpt = TICKS_PER_TOPIC,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    set_: SetOpt = None,
    no_events: Annotated[bool, typer.Option("--no-events", help="skip events.parquet (large runs)")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="serve Prometheus /metrics on this port during the run"),
    ] = None,
    metrics_host: MetricsHostOpt = "127.0.0.1",
    replacement_timeout_s: ReplacementTimeoutOpt = REPLACEMENT_TIMEOUT_S,
    resume: Annotated[
        str | None,
        typer.Option(
            help="go on with the killed or interrupted run in this folder (same scenario and options)"
        ),
    ] = None,
) -> None:
    """Run every arm of SCENARIO on common random numbers; print a table per metric and write outputs.

    A checkpoint is saved at the end of simulated days in the output folder and removed when the
    run completes. Ctrl-C stops at the next tick (over Kafka: at the end of the simulated day),
    writes the replications that finished (marked partial) and prints the command that goes on
    with --resume.

    Examples:

      socialsim compare credit-card-issuer --customers 500 --days 30 --replications 4
      socialsim compare my-company.yaml --out runs/my-company --force
      socialsim compare telecom-carrier --set world.reactions.help_half_life_minutes=60
      socialsim compare restaurant-chain --transport kafka
      socialsim compare restaurant-chain --resume runs/restaurant-chain"""
    flags = _run_flags(locals())
    execute(
        load_request(
            scenario, set_, transport, keep_events=not no_events, checkpoints=True, resume=resume, **flags
        )
    )


def live(
    scenario: Annotated[str, typer.Argument(help="scenario YAML file, or the name of a shipped scenario")],
    metrics_port: Annotated[
        int, typer.Option(min=1, max=65535, help="serve Prometheus /metrics on this port")
    ],
    pace: Annotated[
        str, typer.Option(help="simulated time = wall time, e.g. 1d=2s (units s, m, h, d)")
    ] = "1d=2s",
    metrics_host: MetricsHostOpt = "127.0.0.1",
    transport: TransportOpt = "inproc",
    bootstrap: BootstrapOpt = None,
    partitions: PartitionsOpt = 3,
    external_services: ExternalOpt = False,
    run_id: RunIdOpt = None,
    ticks_per_topic: TicksOpt = TICKS_PER_TOPIC,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    set_: SetOpt = None,
    replacement_timeout_s: ReplacementTimeoutOpt = REPLACEMENT_TIMEOUT_S,
) -> None:
    """Run SCENARIO paced against the wall clock, serving /metrics, so Prometheus sees it unfold.

    Ctrl-C stops it.

    Examples:

      socialsim live credit-card-issuer --metrics-port 9100
      socialsim live telecom-carrier --metrics-port 9100 --pace 1d=10s --days 30"""
    try:
        seconds_per_minute = parse_pace(pace)
    except ConfigError as exc:
        fail(exc)
    flags = _run_flags(locals())
    execute(
        load_request(
            scenario, set_, transport, keep_events=False, pace_s_per_minute=seconds_per_minute, **flags
        )
    )
