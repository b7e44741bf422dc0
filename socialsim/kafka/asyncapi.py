"""The service contracts, asyncapi.yaml and events.schema.json (`socialsim contracts docs` writes them).

Built by FastStream from the same app a service runs, for a representative arm and run name, so
the contract in docs/ cannot drift from the code (a test regenerates and compares).
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import yaml
from faststream.specification import AsyncAPI

import socialsim
from socialsim.contracts.points import PointNote, PointTask
from socialsim.contracts.strategy import Strategy
from socialsim.contracts.wire import DeadLetter, Inbound, Outbound, RunAnnouncement, RunEnded

from .app import create_app
from .topics import CONTROL_TOPIC

ARM, RUN = "ARM", "RUN"


def document(strategy: Strategy) -> str:
    """The AsyncAPI document of the service that hosts `strategy` (channels do not depend on which)."""
    _, broker = create_app(strategy, ARM, "localhost:9092", RUN, partitions=1)
    spec = AsyncAPI(
        broker,
        title="socialsim strategy service",
        version=socialsim.__version__,
        description=f"One long-lived service per strategy, serving every run announced on the control "
        f"topic {CONTROL_TOPIC} (RunAnnouncement per replication, keyed RUN/REPLICATION; RunEnded on "
        f"every partition) whose arms name its strategy; instances of one strategy share the "
        f"announcements through a consumer group. Topics are named per run, arm and generation G (a "
        f"fixed number of consecutive ticks; a service reads the current and the next): "
        f"{RUN}.{ARM}.conversations.G, {RUN}.{ARM}.responses.G and {RUN}.dead-letter. "
        f"Payloads are JSON.",
    )
    # FastStream lists channels in set order (which varies between processes): sort for a stable file
    return yaml.safe_dump(yaml.safe_load(spec.to_specification().to_yaml()), sort_keys=True, width=100)


def event_schemas() -> str:
    """JSON Schema of every payload the services exchange, from the msgspec types themselves."""
    kinds = [Inbound, Outbound, DeadLetter, RunAnnouncement, RunEnded, PointTask, PointNote]
    (schemas, components) = msgspec.json.schema_components(kinds)
    return (
        json.dumps(
            {
                "payloads": dict(zip((k.__name__ for k in kinds), schemas, strict=True)),
                "$defs": components,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


def write(folder: Path, strategy: Strategy) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "asyncapi.yaml").write_text(document(strategy), encoding="utf-8")
    (folder / "events.schema.json").write_text(event_schemas(), encoding="utf-8")
