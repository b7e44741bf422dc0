"""`socialsim worker`: a long-lived process that computes experiment points handed out over Kafka."""

from __future__ import annotations

from typing import Annotated

import typer

from ..explore.execute import serve_worker
from ..kafka.broker import BrokerError
from .console import err_console


def worker(bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap HOST:PORT")]) -> None:
    """Compute the points of every `explore --executor kafka` run on the broker, sharing them with
    the other workers (a consumer group); a worker that dies leaves its point to another.
    Ctrl-C or SIGTERM stops it; the point it was computing is redone elsewhere.

    Examples:

      socialsim worker --bootstrap localhost:9092
      docker compose up --scale worker=4"""
    try:
        serve_worker(bootstrap)
    except BrokerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
