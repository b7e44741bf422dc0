"""Write a run's outputs (schemas in the README).

manifest.json, summary.json, series.parquet, events.parquet and network.parquet.
"""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .comparison import EVENT_SCHEMA, RunResult

_VERSIONED = ("socialsim", "simpy", "numpy", "scipy", "pydantic", "msgspec", "pyarrow", "pandas")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_outputs(result: RunResult, out: Path, config_sha256: str, source: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    summary = result.summary(config_sha256)
    write_json(out / "summary.json", summary)
    write_json(
        out / "manifest.json",
        {
            "scenario": result.scenario.name,
            "source": source,
            "config_sha256": config_sha256,
            "seed": result.scenario.seed,
            "replications": result.scenario.replications,
            "transport": result.transport,
            "arms": list(result.scenario.arms),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "versions": _versions(),
            "resolved_config": result.scenario.model_dump(mode="json"),
        },
    )
    pq.write_table(pa.Table.from_pylist(result.series), out / "series.parquet")
    events = pa.concat_tables(result.events) if result.events else EVENT_SCHEMA.empty_table()
    pq.write_table(events, out / "events.parquet")
    if result.network:
        pq.write_table(pa.concat_tables(result.network), out / "network.parquet")
    return summary
