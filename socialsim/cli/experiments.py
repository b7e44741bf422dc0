"""explore, sensitivity, optimize, breakeven: decisions across many comparisons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ..configerrors import ConfigError
from ..explore import breakeven as breakeven_mod
from ..explore import optimize as optimize_mod
from ..explore import sensitivity as sensitivity_mod
from ..explore.execute import Executor, KafkaExecutor, LocalExecutor, PointError
from ..explore.experiment import LoadedExperiment, RunOptions, load_experiment
from ..explore.explore import explore as run_explore
from ..explore.explore import summary_lines
from ..explore.progress import SweepProgress, sweep_progress
from ..kafka.broker import BrokerError
from ..kafka.points import SILENCE_TIMEOUT_S
from .console import (
    CustomersOpt,
    DaysOpt,
    SetOpt,
    err_console,
    fail,
    out_console,
    raise_dropped_stop,
    stop_on_sigterm,
)

ExperimentArg = Annotated[
    str, typer.Argument(help="experiment YAML file, or the name of a shipped one (config/experiments)")
]
WorkersOpt = Annotated[int, typer.Option(min=1, max=256, help="points run in parallel processes")]
ExecutorOpt = Annotated[
    str, typer.Option(help="local (processes here, --workers) or kafka (`socialsim worker`s, --bootstrap)")
]
WorkerBootstrapOpt = Annotated[
    str | None, typer.Option(help="Kafka bootstrap HOST:PORT of the workers (--executor kafka)")
]
WorkerTimeoutOpt = Annotated[
    float,
    typer.Option(min=1, help="seconds without a word from any worker before giving up (--executor kafka)"),
]
ExploreOutOpt = Annotated[
    Path | None, typer.Option(help="output directory [default: runs/explore/<experiment>]")
]


def _experiment(
    experiment: str, customers: int | None, days: int | None, sets: list[str] | None
) -> LoadedExperiment:
    try:
        return load_experiment(experiment, RunOptions(customers, days, tuple(sets or [])))
    except ConfigError as exc:
        fail(exc)


def _executor(executor: str, workers: int, bootstrap: str | None, worker_timeout: float) -> Executor:
    if executor == "local":
        return LocalExecutor(workers)
    if executor != "kafka":
        fail(ConfigError([f"--executor: unknown executor {executor!r}; allowed: local, kafka"]))
    if bootstrap is None:
        fail(ConfigError(["--bootstrap: --executor kafka needs the broker's HOST:PORT"]))
    return KafkaExecutor(bootstrap, worker_timeout)


def _point_failed(exc: PointError) -> NoReturn:
    fail(ConfigError([f"point {exc.index}: {line}" for line in exc.lines]))


@contextmanager
def _sweep(label: str) -> Iterator[SweepProgress]:
    """A resumable sweep's progress bar, and its failures as one line each (exit 2, 1 or 130)."""
    stop_on_sigterm()
    try:
        with sweep_progress(err_console, label) as bar:
            bar.between_points = raise_dropped_stop
            yield bar
        raise_dropped_stop()  # one dropped after the last point
    except ConfigError as exc:
        fail(exc)
    except PointError as exc:
        _point_failed(exc)
    except BrokerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: finished points are kept; run the same command to resume", highlight=False
        )
        raise typer.Exit(130) from None


def explore(
    experiment: ExperimentArg,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    bootstrap: WorkerBootstrapOpt = None,
    worker_timeout: WorkerTimeoutOpt = SILENCE_TIMEOUT_S,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Run every arm at every point of EXPERIMENT; write decision.json, results.parquet, experiment.html.

    Interrupted? Run the same command again: finished points are kept and not run again. With
    --executor kafka the points go to `socialsim worker`s on the broker; the outputs are the same.

    Examples:

      socialsim explore credit-card-issuer --workers 2
      socialsim explore my-experiment.yaml --customers 500 --days 30
      socialsim explore restaurant-chain --executor kafka --bootstrap localhost:9092"""
    exp = _experiment(experiment, customers, days, set_)
    runner = _executor(executor, workers, bootstrap, worker_timeout)
    folder = out or Path("runs") / "explore" / exp.name
    with _sweep(f"{exp.name}: {len(exp.arms)} arms x {exp.spec.replications} reps") as bar:
        body = run_explore(exp, folder, runner, bar.start, bar.point)
    if isinstance(runner, KafkaExecutor) and runner.exchange is not None and runner.exchange.dead_letters:
        letters = runner.exchange.dead_letters
        err_console.print(
            f"warning: {len(letters)} unusable worker messages dead-lettered (first: {letters[0]})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for line in summary_lines(body):
        out_console.print(line, markup=False, highlight=False)
    out_console.print(f"report: {(folder / 'experiment.html').resolve()}", highlight=False)


def sensitivity(
    experiment: ExperimentArg,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares)")] = "morris",
    samples: Annotated[
        int | None,
        typer.Option(min=2, help="morris: trajectories; sobol: base samples N (N x (D + 2) points)"),
    ] = None,
    workers: WorkersOpt = 1,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """SALib indices of each metric and of each paired difference between arms; indices.json, tornado.png.

    Resumable like explore.

    Examples:

      socialsim sensitivity credit-card-issuer
      socialsim sensitivity telecom-carrier --method sobol --samples 16 --workers 2"""
    exp = _experiment(experiment, customers, days, set_)
    if method not in sensitivity_mod.METHODS:
        fail(
            ConfigError(
                [f"--method: unknown method {method!r}; allowed: {', '.join(sensitivity_mod.METHODS)}"]
            )
        )
    folder = out or Path("runs") / "sensitivity" / f"{exp.name}-{method}"
    with _sweep(f"{exp.name}: {method}") as bar:
        body = sensitivity_mod.sensitivity(
            exp, method, samples, folder, LocalExecutor(workers), bar.start, bar.point
        )
    for warning in body["warnings"]:
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    out_console.print(f"indices: {(folder / 'indices.json').resolve()}", highlight=False)
    out_console.print(f"tornado: {(folder / 'tornado.png').resolve()}", highlight=False)


def optimize(
    experiment: ExperimentArg,
    objective: Annotated[
        list[str], typer.Option(help="metric to optimise; give it twice for a Pareto front")
    ],
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials, run one after another")] = 30,
    arm: Annotated[
        str | None, typer.Option(help="arm whose results count [default: the arm the levers set]")
    ] = None,
    out: ExploreOutOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Tune EXPERIMENT's levers with Optuna (seeded); best point with its CI, or the Pareto front.

    Examples:

      socialsim optimize credit-card-issuer --objective roi --trials 20
      socialsim optimize credit-card-issuer --objective revenue --objective trust"""
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
    """The value of LEVER where the better of two arms flips, with a 95% CI over replications.

    Examples:

      socialsim breakeven credit-card-issuer --lever offer_discount --metric roi --a support-led --b comms-led
    """
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
