"""The `socialsim` command: parses flags, prints results, maps errors to exit codes.

Wiring is not done here but in the composition root, `socialsim.bootstrap`. Each module holds a
group of commands; this one registers them on the one `app`, in the order `--help` lists them.
"""

from . import configs, evidence, experiments, grafana, platform, runs, scaffold, workers
from .console import app

COMMANDS = (
    scaffold.init,
    scaffold.scenarios,
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
    workers.worker,
    platform.broker,
    platform.contracts,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(platform.dashboards_app, name="dashboards")
app.add_typer(grafana.prometheus_app, name="prometheus")


def main() -> None:
    app()


__all__ = ["app", "main"]
