"""`socialsim service`: one strategy as a long-lived Kafka service.

Its own module, wired by `socialsim.service_root` rather than `socialsim.bootstrap`, so that a
service process imports only what serving needs (see `socialsim.cli`'s lazy registration).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..kafka.broker import BrokerError
from ..service_root import serve_strategy
from .console import MetricsHostOpt, err_console


def service(
    strategy: Annotated[
        str, typer.Option(help="the strategy to serve, e.g. support-led (its arms in every run)")
    ],
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap HOST:PORT")],
    run_id: Annotated[
        str | None,
        typer.Option(help="serve this run only, alone (no consumer group) [default: every run announced]"),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="serve Prometheus /metrics on this port")
    ] = None,
    metrics_host: MetricsHostOpt = "127.0.0.1",
) -> None:
    """Run one strategy as a long-lived Kafka service: it serves every run announced on the control
    topic whose arms name the strategy, and shares them with other instances of it (what
    docker-compose and operators start; `docker compose up --scale support-led=3` adds instances).

    Examples:

      socialsim service --strategy support-led --bootstrap localhost:9092
      socialsim service --strategy comms-led --bootstrap localhost:9092 --metrics-port 9101"""
    try:
        serve_strategy(strategy, bootstrap, run_id, metrics_port, metrics_host)
    except BrokerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
