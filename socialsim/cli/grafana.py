"""`socialsim prometheus backfill`: a finished run into a Prometheus TSDB, for Grafana to show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..telemetry.backfill import BackfillError, backfill, write_openmetrics
from .console import EXIT_BAD_INPUT, err_console, out_console

prometheus_app = typer.Typer(
    no_args_is_help=True,
    help="Prometheus storage for finished runs.",
    epilog="Examples:\n\n  socialsim prometheus backfill runs/credit-card-issuer --storage prometheus-data",
)


@prometheus_app.command("backfill")
def backfill_run(
    run_dir: Annotated[Path, typer.Argument(help="folder of a finished run (compare or live --out)")],
    storage: Annotated[
        Path | None, typer.Option(help="Prometheus TSDB folder (--storage.tsdb.path) to write blocks into")
    ] = None,
    openmetrics: Annotated[
        Path | None,
        typer.Option(help="write the series to this OpenMetrics file instead, for another promtool"),
    ] = None,
    promtool: Annotated[str | None, typer.Option(help="promtool to use [default: from PATH]")] = None,
) -> None:
    """Write a finished run's series as Prometheus blocks, labelled run, scenario and arm, at the
    run's start + simulated time (a simulated day per wall minute).

    Examples:

      socialsim prometheus backfill runs/credit-card-issuer --storage prometheus-data
      socialsim prometheus backfill runs/credit-card-issuer --openmetrics run.om"""
    try:
        if (storage is None) == (openmetrics is None):
            raise BackfillError("give one of --storage (write blocks) or --openmetrics (write the text)")
        if openmetrics is not None:
            skipped = write_openmetrics(run_dir, openmetrics)
        else:
            assert storage is not None
            skipped = backfill(run_dir, storage, promtool)
    except BackfillError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out_console.print(f"backfilled {run_dir} into {storage or openmetrics}", markup=False, highlight=False)
    for name, why in skipped.items():
        out_console.print(f"  not backfilled: {name}: {why}", markup=False, highlight=False, soft_wrap=True)
