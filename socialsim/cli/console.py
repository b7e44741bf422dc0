"""The command-line app, its consoles, how bad input is reported, and the options commands share."""

from __future__ import annotations

import signal
import sys
import warnings
import weakref
from collections.abc import Callable
from importlib.metadata import version as package_version
from types import FrameType
from typing import Annotated, Any, NoReturn, get_args

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption

from ..configerrors import ConfigError


def _repeated_type(param: TyperOption | TyperArgument) -> Callable[[Any], str]:
    """`<path>...` for a list of paths: the element's type, repeated."""
    (element,) = get_args(param.type_descriptor.annotation) or (str,)
    label = f"<{getattr(element, '__name__', 'value').lower()}>..."
    return lambda ctx: label


_TIDIED: weakref.WeakSet[Any] = weakref.WeakSet()  # parameters whose help is already tidied


def _tidy_help(params: list[Any]) -> list[Any]:
    """Help that shows what it says. Rich help reads `[default: ...]` in a help text as a markup tag
    and drops it, so brackets are escaped (no help here uses markup on purpose). And readable value
    placeholders where a parameter names none: typer prints `<bool>` beside `--force` and even
    `--help`, as if they took a value, and `<list[str]>` for a repeatable option or argument. A flag
    gets none; a list shows its element type, repeated (`<str>...`)."""
    for param in params:
        if param in _TIDIED:
            continue
        _TIDIED.add(param)
        if param.help:
            param.help = escape(param.help)
        if param.metavar is not None:
            continue
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
        elif (isinstance(param, TyperOption) and param.multiple) or (
            isinstance(param, TyperArgument) and param.nargs != 1
        ):
            # typer offers no setting for this column, so this one parameter's method is replaced
            param.display_type_rich = _repeated_type(param)  # type: ignore[method-assign, assignment]
    return params


class Group(TyperGroup):
    """Tidy help for this group and for every command reached through it, so a command
    or sub-app registered the usual way (`app.command()`, `add_typer`) needs nothing special."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy_help(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _tidy_help(command.get_params(ctx))
        return command


class App(typer.Typer):
    """A Typer whose group, and every sub-app added to it, is a `Group`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=Group, **kwargs)

    def add_typer(self, typer_instance: typer.Typer, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().add_typer(typer_instance, **kwargs)


app = App(
    add_completion=False,
    no_args_is_help=True,
    help="Who should own social media? Compare ownership strategies on a simulated company.",
    epilog=(
        "Examples:\n\n"
        "  socialsim init                      # write a scenario for your company, with plausible ranges\n"
        "  socialsim scenarios                 # what ships\n"
        "  socialsim compare credit-card-issuer --customers 500 --days 30\n"
        "  socialsim COMMAND --help            # options and examples of one command"
    ),
)
# The width output is laid out for when it is not a terminal (logs, CI) and the comparison table's
# width everywhere [columns]: 100 fits a laptop's half-screen terminal without wrapping.
WIDTH = 100
out_console = Console(width=None if sys.stdout.isatty() else WIDTH)
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        out_console.print(f"socialsim {package_version('socialsim')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the installed version and exit"
        ),
    ] = False,
) -> None:
    """Who should own social media? Compare ownership strategies on a simulated company."""


EXIT_BAD_INPUT = 2


INTERRUPTS = (signal.SIGINT, signal.SIGTERM)  # what Ctrl-C and `kill` send


def ignore_interrupts() -> None:
    """From the moment a command is being stopped, SIGINT and SIGTERM are ignored until its process
    exits. Why: an impatient user sends them again and again, and each would raise KeyboardInterrupt
    wherever the stop happens to be: in the cleanup (topics left behind, processes left running) or
    while the command writes its one final line — and typer turns a KeyboardInterrupt into a silent
    exit 130, so the user would get no line at all. Ignored (not blocked) signals are also not reset
    to their default by Python's finalization, so none can kill the exiting process either; SIGKILL
    remains for a stop that hangs. Only the main thread can call this, as it alone handles signals."""
    for sig in INTERRUPTS:
        signal.signal(sig, signal.SIG_IGN)


class _Stopping:
    """Whether the command has been told to stop at once (see `stop_at_once`), and the hook that
    reports exceptions Python drops, for every other one (`_unraisable`)."""

    asked = False
    report: Callable[[Any], object] = sys.__unraisablehook__


def _unraisable(unraisable: Any) -> None:
    """Python's report of a stop it dropped is noise: the stop is raised again (`raise_dropped_stop`,
    called between ticks or points and once the work is done) and says so in its one line."""
    if _Stopping.asked and isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    _Stopping.report(unraisable)


def stop_at_once() -> NoReturn:
    """Stop the command now (as Ctrl-C does), and let no later signal interrupt the stop. Nor is
    the stop's one line followed by Python's warnings about what it cut short: an interrupted
    Kafka client can leave a coroutine never awaited, which Python reports on stderr when it frees
    it, as late as its exit (`sys:1: RuntimeWarning: coroutine ... was never awaited`)."""
    _Stopping.asked = True
    ignore_interrupts()
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
    raise KeyboardInterrupt


def raise_dropped_stop() -> None:
    """Raise again a stop at once that Python dropped. A signal's handler runs wherever the main
    thread happens to be, and there may be a finalizer, a weakref callback or a fork hook (a
    temporary folder's cleanup, logging's lock after `subprocess` forks): Python reports an
    exception raised there ("Exception ignored in ...") and goes on. With the signals ignored from
    then on, the command would run to its end as if never stopped. Called where a command can
    stop (between two ticks of a run)."""
    if _Stopping.asked:
        raise KeyboardInterrupt


def _interrupt(signum: int, frame: FrameType | None) -> None:
    stop_at_once()


def stop_on_sigterm() -> None:
    """`kill PID` cleans up like Ctrl-C: every process the run started is stopped. Called as a
    command starts, so a stop asked of an earlier command in this process is forgotten."""
    _Stopping.asked = False
    if sys.unraisablehook is not _unraisable:
        _Stopping.report, sys.unraisablehook = sys.unraisablehook, _unraisable
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
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="dotted.path=value, repeatable; arms.ARM.path=value overrides one arm's strategy",
    ),
]
MetricsHostOpt = Annotated[str, typer.Option(help="address /metrics listens on")]
