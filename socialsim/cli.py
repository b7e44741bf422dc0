"""The `socialsim` command: compare, validate, schema."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.transport import TransportError

from .broker import BrokerError, EmbeddedBroker, wait_reachable
from .configerrors import ConfigError
from .configload import SCENARIO_DIR, config_sha256, load_scenario, load_strategy, read_yaml, with_run_options
from .contracts.scenario import ScenarioFile
from .contracts.strategy import Strategy
from .contracts.wire import TICKS_PER_TOPIC

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Who should own social media? Compare ownership strategies on a simulated company.")
out_console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def fail(error: ConfigError) -> None:
    for line in error.lines:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def resolve_scenario_path(scenario: str) -> Path:
    """A path, or the name of a shipped scenario (`credit-card-issuer`)."""
    path = Path(scenario)
    if not path.exists() and (SCENARIO_DIR / f"{scenario}.yaml").is_file():
        return SCENARIO_DIR / f"{scenario}.yaml"
    return path


TRANSPORTS = ("inproc", "kafka")


@contextmanager
def open_transport(name: str, sc, path: Path, sets: list[str], sha: str, bootstrap: str | None, partitions: int,
                   external_services: bool, run_id: str | None, log_dir: Path | None, ticks_per_topic: int):
    """The composition root's choice of transport: in-process, or Kafka with its processes."""
    if name == "inproc":
        from simulator.transport import InProcessTransport

        yield InProcessTransport()
        return
    from .stack import kafka_stack, new_run_id

    with kafka_stack(sc, path, sets, run_id or new_run_id(sha), bootstrap=bootstrap, partitions=partitions,
                     external_services=external_services, log_dir=log_dir,
                     ticks_per_topic=ticks_per_topic) as kafka_run:
        yield kafka_run.transport


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="scenario YAML file, or the name of a shipped scenario")],
    transport: Annotated[str, typer.Option(help="how the world talks to the strategies: inproc or kafka")] = "inproc",
    bootstrap: Annotated[Optional[str], typer.Option(help="Kafka bootstrap HOST:PORT [default: start an embedded broker]")] = None,
    partitions: Annotated[int, typer.Option(min=1, max=64, help="partitions per topic for a Kafka run")] = 3,
    external_services: Annotated[bool, typer.Option("--external-services", help="do not start strategy services (they already run)")] = False,
    run_id: Annotated[Optional[str], typer.Option(help="name of the run's topics [default: generated]; give it to external services")] = None,
    ticks_per_topic: Annotated[int, typer.Option(min=1, help="ticks per generation of a Kafka run's topics (bounds what a partition holds)")] = TICKS_PER_TOPIC,
    replications: Annotated[Optional[int], typer.Option(help="override the scenario's replications")] = None,
    seed: Annotated[Optional[int], typer.Option(help="override the scenario's seed")] = None,
    customers: Annotated[Optional[int], typer.Option(help="override world.population.customers")] = None,
    days: Annotated[Optional[int], typer.Option(help="override world.horizon.days")] = None,
    out: Annotated[Optional[Path], typer.Option(help="output directory [default: runs/<scenario>]")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="dotted.path=value; arms.ARM.path=value overrides one arm's strategy")] = None,
    no_events: Annotated[bool, typer.Option("--no-events", help="skip events.parquet (large runs)")] = False,
) -> None:
    """Run every arm of SCENARIO on common random numbers; print a table per metric and write outputs."""
    from .experiment import run
    from .outputs import write_outputs
    from .report import render

    path = resolve_scenario_path(scenario)
    try:
        sc = with_run_options(load_scenario(path, set_ or []), seed=seed, replications=replications, customers=customers, days=days)
        if transport not in TRANSPORTS:
            raise ConfigError([f"--transport: unknown transport {transport!r}; allowed: {', '.join(TRANSPORTS)}"])
    except ConfigError as exc:
        fail(exc)
    sha = config_sha256(sc)
    out = out or Path("runs") / sc.name
    try:
        with open_transport(transport, sc, path, set_ or [], sha, bootstrap, partitions, external_services, run_id,
                            out / "logs", ticks_per_topic) as tr, \
                Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                         console=err_console, transient=False, disable=not err_console.is_terminal) as bar:
            task = bar.add_task(f"{sc.name}: {len(sc.arms)} arms x {sc.replications} replications", total=None)
            result = run(sc, tr, keep_events=not no_events,
                         progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (BrokerError, TransportError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    summary = write_outputs(result, out, sha, str(path))
    (out / "report.html").write_text(render(summary, result.series, sc.description), encoding="utf-8")
    print_table(summary)
    out_console.print(f"report: {(out / 'report.html').resolve()}")


def compact(x: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def print_table(summary: dict) -> None:
    from .outcomes import METRICS
    from .stats import winner

    arms = list(summary["arms"])
    table = Table(title=f"{summary['scenario']}: mean ± 95% CI half-width over {summary['replications']} replications")
    table.add_column("metric")
    for arm in arms:
        table.add_column(arm, justify="right")
    table.add_column("winner")
    for metric, (unit, higher) in METRICS.items():
        cells = []
        for arm in arms:
            m = summary["arms"][arm][metric]
            cells.append(f"{compact(m['mean'])} ±{compact((m['ci95'][1] - m['ci95'][0]) / 2)}")
        table.add_row(escape(f"{metric} [{unit}] {'↑' if higher else '↓'}"), *cells, winner(summary["arms"], metric, higher))
    out_console.print(table)


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
def schema(kind: Annotated[str, typer.Argument(help="scenario or strategy")] = "scenario") -> None:
    """Print the JSON Schema of scenario or strategy files (for editor completion)."""
    models = {"scenario": ScenarioFile, "strategy": Strategy}
    if kind not in models:
        fail(ConfigError([f"schema: unknown kind {kind!r}; allowed: {', '.join(models)}"]))
    sys.stdout.write(json.dumps(models[kind].model_json_schema(), indent=2) + "\n")


@app.command()
def service(
    scenario: Annotated[str, typer.Option(help="scenario file (or shipped name) whose arm this service runs")],
    arm: Annotated[str, typer.Option(help="the arm to serve")],
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap HOST:PORT")],
    run_id: Annotated[str, typer.Option(help="the run whose topics to serve")] = "socialsim",
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="the same --set values the run uses")] = None,
) -> None:
    """Run one strategy as a Kafka microservice (what docker-compose and operators start)."""
    import asyncio

    from services.app import create_app

    from .contracts.wire import topics
    from .topics import TopicAdmin

    try:
        sc = load_scenario(resolve_scenario_path(scenario), set_ or [])
        if arm not in sc.arms:
            raise ConfigError([f"--arm: unknown arm {arm!r}; the scenario's arms: {', '.join(sc.arms)}"])
        wait_reachable(bootstrap, 10.0)
        admin = TopicAdmin(bootstrap)
        partitions = admin.partitions(topics(run_id, arm, 0)[0], timeout_s=120.0)  # the run creates its topics
        admin.close()
    except ConfigError as exc:
        fail(exc)
    except BrokerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    application, _ = create_app(sc.arms[arm], arm, bootstrap, run_id, partitions)
    asyncio.run(application.run())


@app.command()
def broker(port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 9092) -> None:
    """Start the embedded Kafka-protocol broker (Tansu, memory storage) until Ctrl-C."""
    import time

    b = EmbeddedBroker.start(port)
    out_console.print(f"broker listening on {b.bootstrap} (pid {b.process.pid}); Ctrl-C stops it")
    try:
        while b.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
