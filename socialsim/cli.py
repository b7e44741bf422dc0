"""The `socialsim` command: parses flags, prints results, maps errors to exit codes.

Wiring is not done here but in the composition root, `socialsim.bootstrap`.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn, Optional, Unpack

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dashboards.push import PushError, push
from simulator.transport import TransportError

from .bootstrap import (
    TRANSPORTS,
    RequestOptions,
    RunRequest,
    publish,
    serve_strategy,
    simulate,
    write_contracts,
)
from .configerrors import ConfigError
from .configload import load_scenario, load_strategy, read_yaml, resolve_scenario_path, with_run_options
from .contracts.experiment import Experiment
from .contracts.scenario import ScenarioFile
from .contracts.strategy import Strategy
from .explore import breakeven as breakeven_mod
from .explore import optimize as optimize_mod
from .explore import sensitivity as sensitivity_mod
from .explore.execute import LocalExecutor, PointError
from .explore.experiment import LoadedExperiment, RunOptions, load_experiment
from .explore.explore import explore as run_explore
from .explore.explore import summary_lines
from .explore.progress import sweep_progress
from .facts.suite import run_facts
from .facts.table import facts_table
from .kafka.broker import BrokerError, EmbeddedBroker
from .kafka.topics import TICKS_PER_TOPIC
from .outputs import prepare_folder, run_folder
from .pace import parse_pace
from .terminal import WIDTH, comparison_table
from .verdict import decide, describe

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Who should own social media? Compare ownership strategies on a simulated company.",
)
out_console = Console(width=None if sys.stdout.isatty() else WIDTH)
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def fail(error: ConfigError) -> NoReturn:
    for line in error.lines:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def execute(req: RunRequest) -> None:
    """Run, serving metrics if asked, then write outputs and print the comparison."""
    signal.signal(
        signal.SIGTERM, _interrupt
    )  # `kill PID` cleans up like Ctrl-C: every started process is stopped
    sc = req.sc
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
            disable=not err_console.is_terminal,
        ) as bar:
            task = bar.add_task(
                f"{sc.name}: {len(sc.arms)} arms x {sc.replications} replications", total=None
            )
            result, sha = simulate(
                req,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                on_serving=lambda url: err_console.print(f"metrics: {url}", highlight=False),
            )
    except (BrokerError, TransportError, OSError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: every process the run started has been stopped", highlight=False)
        raise typer.Exit(130) from None
    summary = publish(result, req, sha)
    currency = req.sc.world.currency
    out_console.print(comparison_table(summary, currency))
    out_console.print(describe(decide(summary), summary, currency), highlight=False, soft_wrap=False)
    out_console.print(f"report: {(req.out / 'report.html').resolve()}")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


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
    **options: Unpack[RequestOptions],
) -> RunRequest:
    """Load and check what the user asked for; a config error exits 2 naming file and field."""
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
    try:
        folder = run_folder(out, sc.name)
        prepare_folder(folder, force)  # before simulating: a bad --out must not cost a whole run
    except ConfigError as exc:
        fail(exc)
    return RunRequest(sc=sc, path=path, sets=sets or [], transport=transport, out=folder, **options)


TransportOpt = Annotated[str, typer.Option(help="how the world talks to the strategies: inproc or kafka")]
BootstrapOpt = Annotated[
    Optional[str], typer.Option(help="Kafka bootstrap HOST:PORT [default: start an embedded broker]")
]
PartitionsOpt = Annotated[int, typer.Option(min=1, max=64, help="partitions per topic for a Kafka run")]
ExternalOpt = Annotated[
    bool, typer.Option("--external-services", help="do not start strategy services (they already run)")
]
RunIdOpt = Annotated[
    Optional[str],
    typer.Option(help="name of the run's topics [default: generated]; give it to external services"),
]
TicksOpt = Annotated[
    int,
    typer.Option(min=1, help="ticks per generation of a Kafka run's topics (bounds what a partition holds)"),
]
RepsOpt = Annotated[Optional[int], typer.Option(help="override the scenario's replications")]
SeedOpt = Annotated[Optional[int], typer.Option(help="override the scenario's seed")]
CustomersOpt = Annotated[Optional[int], typer.Option(help="override world.population.customers")]
DaysOpt = Annotated[Optional[int], typer.Option(help="override world.horizon.days")]
OutOpt = Annotated[
    Optional[str], typer.Option(help="output folder, new or empty [default: runs/<scenario name>]")
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="replace the previous run in the output folder (its run files only)")
]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="dotted.path=value; arms.ARM.path=value overrides one arm's strategy"),
]
MetricsHostOpt = Annotated[str, typer.Option(help="address /metrics listens on")]


@app.command()
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
        Optional[int],
        typer.Option(min=1, max=65535, help="serve Prometheus /metrics on this port during the run"),
    ] = None,
    metrics_host: MetricsHostOpt = "127.0.0.1",
) -> None:
    """Run every arm of SCENARIO on common random numbers; print a table per metric and write outputs."""
    execute(
        load_request(
            scenario,
            set_,
            transport,
            bootstrap=bootstrap,
            partitions=partitions,
            external_services=external_services,
            run_id=run_id,
            ticks_per_topic=ticks_per_topic,
            replications=replications,
            seed=seed,
            customers=customers,
            days=days,
            out=out,
            force=force,
            keep_events=not no_events,
            metrics_port=metrics_port,
            metrics_host=metrics_host,
        )
    )


@app.command()
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
) -> None:
    """Run SCENARIO paced against the wall clock, serving /metrics, so Prometheus sees it unfold.

    Ctrl-C stops it."""
    try:
        seconds_per_minute = parse_pace(pace)
    except ConfigError as exc:
        fail(exc)
    execute(
        load_request(
            scenario,
            set_,
            transport,
            bootstrap=bootstrap,
            partitions=partitions,
            external_services=external_services,
            run_id=run_id,
            ticks_per_topic=ticks_per_topic,
            replications=replications,
            seed=seed,
            customers=customers,
            days=days,
            out=out,
            force=force,
            keep_events=False,
            metrics_port=metrics_port,
            metrics_host=metrics_host,
            pace_s_per_minute=seconds_per_minute,
        )
    )


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="scenario or strategy YAML files")]) -> None:
    """Check config files; print one line per problem (file, field path, value, what is allowed)."""
    problems: list[str] = []
    for file in files:
        try:
            data = read_yaml(file)
            if "world" in data or "arms" in data:
                load_scenario(file)
            else:
                load_strategy(file)
        except ConfigError as exc:
            problems.extend(exc.lines)
            continue
        out_console.print(f"{file}: ok", highlight=False)
    if problems:
        fail(ConfigError(problems))


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="scenario, strategy or experiment")] = "scenario",
) -> None:
    """Print the JSON Schema of scenario, strategy or experiment files (for editor completion)."""
    models: dict[str, type[BaseModel]] = {
        "scenario": ScenarioFile,
        "strategy": Strategy,
        "experiment": Experiment,
    }
    if kind not in models:
        fail(ConfigError([f"schema: unknown kind {kind!r}; allowed: {', '.join(models)}"]))
    sys.stdout.write(json.dumps(models[kind].model_json_schema(), indent=2) + "\n")


@app.command()
def service(
    scenario: Annotated[
        str, typer.Option(help="scenario file (or shipped name) whose arm this service runs")
    ],
    arm: Annotated[str, typer.Option(help="the arm to serve")],
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap HOST:PORT")],
    run_id: Annotated[str, typer.Option(help="the run whose topics to serve")] = "socialsim",
    set_: Annotated[
        Optional[list[str]], typer.Option("--set", help="the same --set values the run uses")
    ] = None,
    metrics_port: Annotated[
        Optional[int], typer.Option(min=1, max=65535, help="serve Prometheus /metrics on this port")
    ] = None,
    metrics_host: MetricsHostOpt = "127.0.0.1",
) -> None:
    """Run one strategy as a Kafka microservice (what docker-compose and operators start)."""
    try:
        serve_strategy(scenario, set_ or [], arm, bootstrap, run_id, metrics_port, metrics_host)
    except ConfigError as exc:
        fail(exc)
    except BrokerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def facts(
    json_: Annotated[
        bool, typer.Option("--json", help="print the results as a JSON list instead of a table")
    ] = False,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
    scenario: Annotated[
        Optional[str],
        typer.Option(
            help="run every study on this scenario (file or shipped name) instead of each fact's own"
        ),
    ] = None,
) -> None:
    """Reproduce published findings with virtual studies on the default world; exit 1 if any fails.

    --set changes the world of every studied scenario, to see which evidence an assumption breaks;
    --scenario runs the studies on another company, to see which evidence holds there."""
    try:
        results = run_facts(
            sets=set_,
            scenario=scenario,
            replications=replications,
            seed=seed,
            customers=customers,
            days=days,
            progress=lambda text: err_console.print(f"simulating {text}", highlight=False),
        )
    except ConfigError as exc:
        fail(exc)
    if json_:
        sys.stdout.write(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    else:
        out_console.print(facts_table(results))
        out_console.print(
            f"{sum(r.passed for r in results)} of {len(results)} facts reproduced", highlight=False
        )
    raise typer.Exit(0 if all(r.passed for r in results) else 1)


dashboards_app = typer.Typer(
    help="Grafana dashboards: push the committed ones to a Grafana.", no_args_is_help=True
)
app.add_typer(dashboards_app, name="dashboards")


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. http://localhost:3000")],
    token: Annotated[
        str, typer.Option(envvar="GRAFANA_TOKEN", help="service account token [env GRAFANA_TOKEN]")
    ],
    folder: Annotated[str, typer.Option(help="folder title the dashboards go into")] = "socialsim",
    datasource_uid: Annotated[
        Optional[str],
        typer.Option(help="uid of that Grafana's Prometheus datasource [default: socialsim-prometheus]"),
    ] = None,
) -> None:
    """Upload the Strategy comparison, Customer journey and Operations dashboards (overwriting by uid)."""
    try:
        uids = push(url, token, folder, datasource_uid)
    except PushError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out_console.print(f"pushed {len(uids)} dashboards to {url}: {', '.join(uids)}")


@app.command()
def broker(port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 9092) -> None:
    """Start the embedded Kafka-protocol broker (Tansu, memory storage) until Ctrl-C."""
    b = EmbeddedBroker.start(port)
    out_console.print(f"broker listening on {b.bootstrap} (pid {b.process.pid}); Ctrl-C stops it")
    try:
        while b.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()


@app.command()
def contracts(
    out: Annotated[
        Path, typer.Argument(help="folder to write asyncapi.yaml and events.schema.json to")
    ] = Path("docs"),
) -> None:
    """Write the service contracts (AsyncAPI and the events' JSON Schema), generated from the code."""
    write_contracts(out)
    out_console.print(f"wrote {out / 'asyncapi.yaml'} and {out / 'events.schema.json'}")


ExperimentArg = Annotated[
    str, typer.Argument(help="experiment YAML file, or the name of a shipped one (config/experiments)")
]
WorkersOpt = Annotated[int, typer.Option(min=1, max=256, help="points run in parallel processes")]
ExploreOutOpt = Annotated[
    Optional[Path], typer.Option(help="output directory [default: runs/explore/<experiment>]")
]


def _experiment(
    experiment: str, customers: int | None, days: int | None, sets: list[str] | None
) -> LoadedExperiment:
    try:
        return load_experiment(experiment, RunOptions(customers, days, tuple(sets or [])))
    except ConfigError as exc:
        fail(exc)


def _point_failed(exc: PointError) -> NoReturn:
    fail(ConfigError([f"point {exc.index}: {line}" for line in exc.lines]))


@app.command()
def explore(
    experiment: ExperimentArg,
    workers: WorkersOpt = 1,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Run every arm at every point of EXPERIMENT; write decision.json, results.parquet, experiment.html.

    Interrupted? Run the same command again: finished points are kept and not run again."""
    exp = _experiment(experiment, customers, days, set_)
    folder = out or Path("runs") / "explore" / exp.name
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with sweep_progress(
            err_console, f"{exp.name}: {len(exp.arms)} arms x {exp.spec.replications} reps"
        ) as bar:
            body = run_explore(exp, folder, LocalExecutor(workers), bar.start, bar.point)
    except ConfigError as exc:
        fail(exc)
    except PointError as exc:
        _point_failed(exc)
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: finished points are kept; run the same command to resume", highlight=False
        )
        raise typer.Exit(130) from None
    for line in summary_lines(body):
        out_console.print(line, markup=False, highlight=False)
    out_console.print(f"report: {(folder / 'experiment.html').resolve()}", highlight=False)


@app.command()
def sensitivity(
    experiment: ExperimentArg,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares)")] = "morris",
    samples: Annotated[
        Optional[int],
        typer.Option(min=2, help="morris: trajectories; sobol: base samples N (N x (D + 2) points)"),
    ] = None,
    workers: WorkersOpt = 1,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """SALib indices of each metric and of each paired difference between arms; indices.json, tornado.png.

    Resumable like explore."""
    exp = _experiment(experiment, customers, days, set_)
    if method not in sensitivity_mod.METHODS:
        fail(
            ConfigError(
                [f"--method: unknown method {method!r}; allowed: {', '.join(sensitivity_mod.METHODS)}"]
            )
        )
    folder = out or Path("runs") / "sensitivity" / f"{exp.name}-{method}"
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with sweep_progress(err_console, f"{exp.name}: {method}") as bar:
            body = sensitivity_mod.sensitivity(
                exp, method, samples, folder, LocalExecutor(workers), bar.start, bar.point
            )
    except ConfigError as exc:
        fail(exc)
    except PointError as exc:
        _point_failed(exc)
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: finished points are kept; run the same command to resume", highlight=False
        )
        raise typer.Exit(130) from None
    for warning in body["warnings"]:
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    out_console.print(f"indices: {(folder / 'indices.json').resolve()}", highlight=False)
    out_console.print(f"tornado: {(folder / 'tornado.png').resolve()}", highlight=False)


@app.command()
def optimize(
    experiment: ExperimentArg,
    objective: Annotated[
        list[str], typer.Option(help="metric to optimise; give it twice for a Pareto front")
    ],
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials, run one after another")] = 30,
    arm: Annotated[
        Optional[str], typer.Option(help="arm whose results count [default: the arm the levers set]")
    ] = None,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Tune EXPERIMENT's levers with Optuna (seeded); best point with its CI, or the Pareto front."""
    exp = _experiment(experiment, customers, days, set_)
    try:
        chosen = optimize_mod.check(exp, objective, arm)
    except ConfigError as exc:
        fail(exc)
    folder = out or Path("runs") / "optimize" / exp.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with sweep_progress(err_console, f"{exp.name}: optimising {chosen}") as bar:
            bar.start(0, trials)
            frame, body = optimize_mod.optimize(exp, objective, chosen, trials, bar.point)
    except PointError as exc:
        _point_failed(exc)
    frame.to_parquet(folder / "trials.parquet", index=False)
    (folder / "pareto.json").write_text(optimize_mod.dumps(body), encoding="utf-8")
    for found in body.get("best", body.get("pareto_front", [])):
        figures = ", ".join(
            f"{m} {v['mean']:.4g} [{v['ci95'][0]:.4g}, {v['ci95'][1]:.4g}]"
            for m, v in found["objectives"].items()
        )
        levers = ", ".join(f"{k}={v:.4g}" for k, v in found["levers"].items())
        out_console.print(f"trial {found['trial']}: {levers} -> {figures}", highlight=False)
    out_console.print(f"pareto: {(folder / 'pareto.json').resolve()}", highlight=False)


@app.command()
def breakeven(
    experiment: ExperimentArg,
    lever: Annotated[str, typer.Option(help="the parameter to move: its dotted path or its short name")],
    metric: Annotated[str, typer.Option(help="the metric the two arms are compared on")],
    a: Annotated[str, typer.Option("--a", help="one arm")],
    b: Annotated[str, typer.Option("--b", help="the other arm")],
    grid: Annotated[int, typer.Option(min=3, help="lever values tried before narrowing the flip")] = 7,
    workers: WorkersOpt = 1,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """The value of LEVER where the better of two arms flips, with a 95% CI over replications."""
    exp = _experiment(experiment, customers, days, set_)
    try:
        body = breakeven_mod.breakeven(exp, exp.lookup(lever), metric, a, b, grid, LocalExecutor(workers))
    except ConfigError as exc:
        fail(exc)
    except PointError as exc:
        _point_failed(exc)
    folder = out or Path("runs") / "breakeven" / exp.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "breakeven.json").write_text(breakeven_mod.dumps(body), encoding="utf-8")
    out_console.print(body["sentence"], highlight=False)
    out_console.print(f"breakeven: {(folder / 'breakeven.json').resolve()}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
