"""The `socialsim` command: parses flags, prints results, maps errors to exit codes.

Wiring is not done here but in the composition root, `socialsim.bootstrap`. Each module holds a
group of commands; this one registers them on the one `app`, in the order `--help` lists them.

Why registration is lazy: the command groups between them import matplotlib, scipy.stats,
scikit-learn, pandas and the dashboards' renderer — seconds of start-up that a strategy service
or an experiment worker (started once per process, and again after every crash) never uses.
`main()` therefore imports only the module of the command named on the command line; `--help`,
`--version` and anything unknown import them all. Reading `socialsim.cli.app` from Python (the
tests, the benches) also gives the app with every command registered.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer

from .console import app as _app

# (command, module of this package defining a function of that name), in the order --help lists them
COMMANDS: tuple[tuple[str, str], ...] = (
    ("init", "scaffold"),
    ("scenarios", "scaffold"),
    ("compare", "runs"),
    ("live", "runs"),
    ("explore", "experiments"),
    ("sensitivity", "experiments"),
    ("optimize", "experiments"),
    ("breakeven", "experiments"),
    ("facts", "evidence"),
    ("validate", "configs"),
    ("schema", "configs"),
    ("service", "serve"),
    ("worker", "workers"),
    ("broker", "platform"),
    ("contracts", "platform"),
)
# (group, module, its Typer app): commands with subcommands (`socialsim dashboards push`)
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("dashboards", "platform", "dashboards_app"),
    ("prometheus", "grafana", "prometheus_app"),
)
_registered: set[str] = set()


def register(only: str | None = None) -> typer.Typer:
    """Register the command (or group) named `only` on the app, or every one; idempotent."""
    for name, module in COMMANDS:
        if only in (None, name) and name not in _registered:
            _app.command()(getattr(import_module(f"{__name__}.{module}"), name))
            _registered.add(name)
    for name, module, attribute in GROUPS:
        if only in (None, name) and name not in _registered:
            _app.add_typer(getattr(import_module(f"{__name__}.{module}"), attribute), name=name)
            _registered.add(name)
    return _app


def main() -> None:
    """The console script: only the named command's module is imported (see the module's doc)."""
    named = sys.argv[1] if len(sys.argv) > 1 else None
    known = {name for name, _ in COMMANDS} | {name for name, _, _ in GROUPS}
    register(named if named in known else None)
    _app()


def __getattr__(name: str) -> Any:
    """`socialsim.cli.app`: the app with every command registered (PEP 562)."""
    if name == "app":
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
