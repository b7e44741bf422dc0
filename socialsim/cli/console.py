"""The command-line app, its consoles, how bad input is reported, and the options commands share."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from ..configerrors import ConfigError
from ..terminal import WIDTH

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Who should own social media? Compare ownership strategies on a simulated company.",
)
out_console = Console(width=None if sys.stdout.isatty() else WIDTH)
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """`kill PID` cleans up like Ctrl-C: every process the run started is stopped."""
    signal.signal(signal.SIGTERM, _interrupt)


def fail(error: ConfigError) -> NoReturn:
    for line in error.lines:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


TransportOpt = Annotated[str, typer.Option(help="how the world talks to the strategies: inproc or kafka")]
BootstrapOpt = Annotated[
    str | None, typer.Option(help="Kafka bootstrap HOST:PORT [default: start an embedded broker]")
]
PartitionsOpt = Annotated[int, typer.Option(min=1, max=64, help="partitions per topic for a Kafka run")]
ExternalOpt = Annotated[
    bool,
    typer.Option(
        "--external-services",
        help="use the long-lived strategy services already on the broker (`socialsim service`)",
    ),
]
RunIdOpt = Annotated[
    str | None,
    typer.Option(help="name of the run's topics [default: generated]; services learn it from the run"),
]
TicksOpt = Annotated[
    int,
    typer.Option(min=1, help="ticks per generation of a Kafka run's topics (bounds what a partition holds)"),
]
RepsOpt = Annotated[int | None, typer.Option(help="override the scenario's replications")]
SeedOpt = Annotated[int | None, typer.Option(help="override the scenario's seed")]
CustomersOpt = Annotated[int | None, typer.Option(help="override world.population.customers")]
DaysOpt = Annotated[int | None, typer.Option(help="override world.horizon.days")]
OutOpt = Annotated[
    str | None, typer.Option(help="output folder, new or empty [default: runs/<scenario name>]")
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="replace the previous run in the output folder (its run files only)")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="dotted.path=value; arms.ARM.path=value overrides one arm's strategy"),
]
MetricsHostOpt = Annotated[str, typer.Option(help="address /metrics listens on")]
