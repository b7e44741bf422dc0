"""`socialsim prometheus backfill`: a finished run into a Prometheus TSDB, for Grafana to show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..telemetry.backfill import BackfillError, backfill
from .console import EXIT_BAD_INPUT, err_console, out_console

prometheus_app = typer.Typer(no_args_is_help=True, help="Prometheus storage for finished runs.")


@prometheus_app.command("backfill")
def backfill_run(
    run_dir: Annotated[Path, typer.Argument(help="folder of a finished run (compare or live --out)")],
    storage: Annotated[
        Path, typer.Option(help="Prometheus TSDB folder (--storage.tsdb.path) to write blocks into")
    ],
    promtool: Annotated[str | None, typer.Option(help="promtool to use [default: from PATH]")] = None,
) -> None:
    """Write a finished run's series as Prometheus blocks, labelled run, scenario and arm, at the
    run's start + simulated time (a simulated day per wall minute)."""
    try:
        skipped = backfill(run_dir, storage, promtool)
    except BackfillError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out_console.print(f"backfilled {run_dir} into {storage}", markup=False, highlight=False)
    for name, why in skipped.items():
        out_console.print(f"  not backfilled: {name}: {why}", markup=False, highlight=False, soft_wrap=True)
