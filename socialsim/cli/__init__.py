"""The `socialsim` command: parses flags, prints results, maps errors to exit codes.

Wiring is not done here but in the composition root, `socialsim.bootstrap`. Each module holds a
group of commands; this one registers them on the one `app`, in the order `--help` lists them.
"""

from . import configs, evidence, experiments, platform, runs
from .console import app

COMMANDS = (
    runs.compare,
    runs.live,
    experiments.explore,
    experiments.sensitivity,
    experiments.optimize,
    experiments.breakeven,
    evidence.facts,
    configs.validate,
    configs.schema,
    platform.service,
    platform.broker,
    platform.contracts,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(platform.dashboards_app, name="dashboards")


def main() -> None:
    app()


__all__ = ["app", "main"]
