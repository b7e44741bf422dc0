"""The platform around a run: the embedded broker, dashboards, service contracts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from dashboards.push import PushError, push

from ..bootstrap import write_contracts
from ..kafka.broker import EmbeddedBroker
from .console import (
    err_console,
    out_console,
)

dashboards_app = typer.Typer(
    help="Grafana dashboards: push the committed ones to a Grafana.",
    no_args_is_help=True,
    epilog="Examples:\n\n  socialsim dashboards push --url http://localhost:3000 --token $GRAFANA_TOKEN",
)


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. http://localhost:3000")],
    token: Annotated[
        str, typer.Option(envvar="GRAFANA_TOKEN", help="service account token [env GRAFANA_TOKEN]")
    ],
    folder: Annotated[str, typer.Option(help="folder title the dashboards go into")] = "socialsim",
    datasource_uid: Annotated[
        str | None,
        typer.Option(help="uid of that Grafana's Prometheus datasource [default: socialsim-prometheus]"),
    ] = None,
) -> None:
    """Upload the Strategy comparison, Customer journey and Operations dashboards (overwriting by uid).

    Examples:

      GRAFANA_TOKEN=... socialsim dashboards push --url http://localhost:3000"""
    try:
        uids = push(url, token, folder, datasource_uid)
    except PushError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out_console.print(f"pushed {len(uids)} dashboards to {url}: {', '.join(uids)}")


def broker(port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 9092) -> None:
    """Start the embedded Kafka-protocol broker (Tansu, memory storage) until Ctrl-C.

    Examples:

      socialsim broker
      socialsim broker --port 19092"""
    b = EmbeddedBroker.start(port)
    out_console.print(f"broker listening on {b.bootstrap} (pid {b.process.pid}); Ctrl-C stops it")
    try:
        while b.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()


def contracts(
    out: Annotated[
        Path, typer.Argument(help="folder to write asyncapi.yaml and events.schema.json to")
    ] = Path("docs"),
) -> None:
    """Write the service contracts (AsyncAPI and the events' JSON Schema), generated from the code.

    Examples:

      socialsim contracts docs"""
    write_contracts(out)
    out_console.print(f"wrote {out / 'asyncapi.yaml'} and {out / 'events.schema.json'}")
