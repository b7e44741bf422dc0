"""`socialsim prometheus backfill`: a finished run into a Prometheus TSDB, for Grafana to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dashboards.push import PACKAGE_JSON
from dashboards.render import PER_CURRENCY, file_name

from ..telemetry.backfill import BackfillError, backfill, write_openmetrics
from .console import EXIT_BAD_INPUT, err_console, out_console

prometheus_app = typer.Typer(
    no_args_is_help=True,
    help="Prometheus storage for finished runs.",
    epilog="Examples:\n\n  socialsim prometheus backfill runs/credit-card-issuer --storage prometheus-data",
)


def money_hint(run_dir: Path) -> str | None:
    """Which dashboard shows this run's money (Grafana units take no variables, so money dashboards
    come one per currency), or how to make it; None if the run does not say its currency."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        currency = str(manifest["resolved_config"]["world"]["currency"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    missing = [n for n in PER_CURRENCY if not (PACKAGE_JSON / f"{file_name(n, currency)}.json").is_file()]
    if not missing:
        return f"money in {currency}: open the dashboards whose title ends ({currency})"
    return (
        f"money in {currency}, which no dashboard shows yet: `python -m dashboards --currency {currency}` "
        "(from the repository root) "
        "writes them (docker-compose's Grafana loads them within 30 s; `socialsim dashboards push` "
        "uploads them to another Grafana)"
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
    hint = money_hint(run_dir)
    if hint:
        out_console.print(f"  {hint}", markup=False, highlight=False, soft_wrap=True)
    for name, why in skipped.items():
        out_console.print(f"  not backfilled: {name}: {why}", markup=False, highlight=False, soft_wrap=True)
