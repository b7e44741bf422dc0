"""facts: reproduce published findings with virtual studies."""

from __future__ import annotations

import json
import sys
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated

import typer

from ..configerrors import ConfigError
from ..facts.suite import run_facts
from ..facts.table import facts_table
from .console import (
    CustomersOpt,
    DaysOpt,
    RepsOpt,
    SeedOpt,
    SetOpt,
    err_console,
    fail,
    out_console,
)


def facts(
    json_: Annotated[
        bool, typer.Option("--json", help="print the results as a JSON list instead of a table")
    ] = False,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    customers: CustomersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="run every study on this scenario (file or shipped name) instead of each fact's own"
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=256, help="studied scenarios simulated in parallel processes")
    ] = 1,
) -> None:
    """Reproduce published findings with virtual studies on the default world; exit 1 if any fails.

    --set changes the world of every studied scenario, to see which evidence an assumption breaks;
    --scenario runs the studies on another company, to see which evidence holds there.

    Examples:

      socialsim facts --workers 2
      socialsim facts --set world.reactions.help_half_life_minutes=120
      socialsim facts --scenario restaurant-chain --json"""
    try:
        results = run_facts(
            sets=set_,
            scenario=scenario,
            replications=replications,
            seed=seed,
            customers=customers,
            days=days,
            workers=workers,
            progress=lambda text: err_console.print(f"simulating {text}", highlight=False),
        )
    except ConfigError as exc:
        fail(exc)
    except BrokenProcessPool:
        err_console.print(
            "error: a study's simulation process died (out of memory?); try fewer --workers",
            highlight=False,
        )
        raise typer.Exit(1) from None
    if json_:
        sys.stdout.write(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    else:
        out_console.print(facts_table(results))
        out_console.print(
            f"{sum(r.passed for r in results)} of {len(results)} facts reproduced", highlight=False
        )
    raise typer.Exit(0 if all(r.passed for r in results) else 1)
